"""Secrets and personal numbers are masked before Rasa sees them; ordinary numbers are not."""

from __future__ import annotations

import pytest

from assistant_core.masking import MASKED_NUMBER, mask_sensitive


@pytest.mark.parametrize(
    ("text", "secret", "kind"),
    [
        ("我的验证码是 482913 你帮我看看", "482913", "verification_code"),
        ("收到短信校验码：7731，对方让我报给他", "7731", "verification_code"),
        ("支付密码是 qq123456", "qq123456", "password"),
        ("身份证110101199003077578被人冒用", "110101199003077578", "id_number"),
        ("卡号6222021234567890128被盗刷了", "6222021234567890128", "card_number"),
        ("银行卡 4111 1111 1111 1111 扣了钱", "4111 1111 1111 1111", "card_number"),
    ],
)
def test_secrets_are_masked_and_named(text: str, secret: str, kind: str) -> None:
    result = mask_sensitive(text)
    assert secret not in result.text
    assert kind in result.kinds
    assert len(result.text) == len(text) or kind == "password"


@pytest.mark.parametrize(
    "text",
    [
        "订单号4111111111111111充值没到账",  # passes Luhn, but it is an order number
        "交易号 2024110322001412345678 查不到",
        "客服电话95188打不通",
        "充了100块钱没到账",
        "我的手机号13800138000收不到短信",
        "11月3号晚上8点扣了2580元",
    ],
)
def test_order_numbers_hotlines_amounts_and_dates_are_kept(text: str) -> None:
    result = mask_sensitive(text)
    assert result.text == text and not result.found


def test_card_masking_keeps_the_last_four_digits() -> None:
    assert mask_sensitive("卡号6222021234567890128").text.endswith("0128")


@pytest.mark.parametrize(
    ("text", "kept"),
    [
        ("2024110312345678001 这笔没到账", "2024110312345678001"),  # passes Luhn, but no card starts with 20
        ("1234567890123456789 充值没到账", "1234567890123456789"),
        ("投诉单号 6222021234567890003 没人回", "6222021234567890003"),
    ],
)
def test_order_numbers_without_a_card_cue_survive(text: str, kept: str) -> None:
    assert mask_sensitive(text).text == text and kept in text


@pytest.mark.parametrize(
    ("text", "secret", "kind"),
    [
        ("卡号 6222  0212  3456  7890  128", "0212  3456", "card_number"),
        ("流水显示6222021234567890128扣的钱", "6222021234567890128", "card_number"),
        ("110101 19900307 7571", "19900307", "id_number"),
        ("身份证110101900307757", "110101900307757", "id_number"),
        ("482913 是验证码", "482913", "verification_code"),
        ("密码 abc123", "abc123", "password"),
        ("支付密码123456", "123456", "password"),
    ],
)
def test_what_people_paste_is_masked_too(text: str, secret: str, kind: str) -> None:
    result = mask_sensitive(text)
    assert secret not in result.text and kind in result.kinds


def test_a_password_becomes_three_stars_and_the_sentence_stays() -> None:
    assert mask_sensitive("密码是abc123，帮我看看").text == "密码是***，帮我看看"


def test_a_wrong_check_digit_is_an_id_number_only_after_the_word_id() -> None:
    assert mask_sensitive("身份证110101199003077578").text == "身份证1101**********7578"
    assert mask_sensitive("编码110101199003077578").text == "编码110101199003077578"


def test_what_masking_leaves_of_a_card_or_id_number_is_recognised_later() -> None:
    """The unclear-message action warns on a pasted card by this pattern: it must match the mask's output."""
    for pasted in ("卡号6222021234567890128", "身份证110101199003077578"):
        masked = mask_sensitive(pasted).text
        assert MASKED_NUMBER.search(masked), masked
