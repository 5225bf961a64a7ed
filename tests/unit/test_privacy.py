"""Secrets and personal numbers are masked before Rasa sees them; ordinary numbers are not."""

from __future__ import annotations

import pytest

from assistant_core.masking import mask_sensitive


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
