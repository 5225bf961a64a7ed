"""What people really paste: each row's secrets are gone after masking, its facts are untouched.

Card numbers in the rows pass the Luhn check unless said otherwise; ID numbers have a right check
character (110101199003077571, 440304198512121237, 32010219780615002X) unless said otherwise.
"""

from __future__ import annotations

from typing import NamedTuple

import pytest

from assistant_core.masking import mask_for_log, mask_personal_numbers, mask_sensitive


class Row(NamedTuple):
    text: str
    gone: tuple[str, ...] = ()
    kept: tuple[str, ...] = ()


ROWS = [
    # Card numbers, however they are written.
    Row("卡号6222021234567890128被盗刷了", ("6222021234567890128",), ("6222***********0128",)),
    Row("银行卡 4111 1111 1111 1111 扣了钱", ("1111 1111 1111 1111",), ("4111", "扣了钱")),
    Row("6222  0212  3456  7890  128 这张卡被冻结", ("0212  3456",), ("6222", "被冻结")),
    Row("我的卡\u30006222\u30000212\u30003456\u30007890\u3000128", ("0212\u30003456",), ("6222",)),
    Row("卡是6222.0212.3456.7890.128", ("0212.3456",), ("6222",)),
    Row("信用卡4111-1111-1111-1111被盗刷2580元", ("1111-1111-1111-1111",), ("2580元",)),
    Row("交易卡号6222021234567890128", ("6222021234567890128",), ("交易卡号",)),
    Row("交易 6222021234567890128 被扣", ("6222021234567890128",), ("交易",)),
    Row("流水里显示6222021234567890128扣的钱", ("6222021234567890128",), ("流水里显示",)),
    Row("储蓄卡 6222 0212 3456 7890 12 尾号不对", ("0212 3456 78",), ("6222",)),  # cue: no Luhn needed
    Row("2024-11-03 6222 0212 3456 7890 128 扣了钱", ("0212 3456",), ("2024-11-03",)),
    Row("visa 4111111111111111 在国外被刷", ("4111111111111111",), ()),
    Row("美运通 378282246310005", ("378282246310005",), ()),
    # ID numbers: 18 and 15 digits, grouped or not.
    Row("身份证110101199003077578被人冒用", ("110101199003077578",), ("1101**********7578",)),
    Row("我的身份证号码 110101199003077571", ("110101199003077571",), ()),
    Row("110101 19900307 7571 是我的证件", ("19900307",), ("是我的证件",)),
    Row("身份证：440304 1985 1212 1237", ("1985 1212",), ()),
    Row("32010219780615002X 这个号被人拿去开户了", ("19780615",), ("开户",)),
    Row("32010219780615002x", ("19780615",), ()),
    Row("我的旧身份证号110101900307757", ("110101900307757",), ()),
    Row("老证件号 110101 900307 757", ("900307",), ()),
    # Verification codes before, after and a little away from their word.
    Row("我的验证码是 482913 你帮我看看", ("482913",), ("验证码",)),
    Row("收到短信校验码：7731，对方让我报给他", ("7731",), ("校验码",)),
    Row("482913是验证码吗", ("482913",), ("验证码",)),
    Row("6371 就是刚才那个短信码", ("6371",), ("短信码",)),
    Row("验证码刚才收到了是 482913", ("482913",), ()),
    Row("动态码发过来了，56781234", ("56781234",), ()),
    Row("扣了2580元，验证码也没收到", (), ("2580元",)),
    Row("验证码没收到，订单号12345678", (), ("12345678",)),
    # Passwords, whatever follows the word.
    Row("密码 abc123", ("abc123",), ("密码",)),
    Row("支付密码123456", ("123456",), ("支付密码",)),
    Row("密码是abc123。", ("abc123",), ("密码是***。",)),
    Row("登录密码：Qq@2024!x 被改了", ("Qq@2024!x",), ("被改了",)),
    Row("交易密码=888888", ("888888",), ()),
    Row("支付密码是 qq123456", ("qq123456",), ()),
    Row("密码忘了怎么办", (), ("密码忘了怎么办",)),
    Row("支付密码6位我记得", (), ("支付密码6位我记得",)),
    # Facts that must survive: order numbers, tickets, amounts, dates, hotlines.
    Row("订单号4111111111111111充值没到账", (), ("4111111111111111",)),  # passes Luhn, but labelled an order
    Row("交易号 2024110322001412345678 查不到", (), ("2024110322001412345678",)),
    Row("2024110312345678001 这笔没到账", (), ("2024110312345678001",)),  # 19 digits, passes Luhn, no card prefix
    Row("1234567890123456789 这笔充值没到账", (), ("1234567890123456789",)),  # fails Luhn
    Row("单号6222021234567890003退款", (), ("6222021234567890003",)),
    Row("淘宝订单 3812345678901234007 一直没发货", (), ("3812345678901234007",)),
    Row("工单编号 CS20241103000123 没人处理", (), ("CS20241103000123",)),
    Row("投诉单号 202411030001234567 也没回复", (), ("202411030001234567",)),
    Row("11月3号晚上8点扣了2580元", (), ("11月3号晚上8点扣了2580元",)),
    Row("2024.11.03 扣了 1,299.00 元", (), ("2024.11.03", "1,299.00")),
    Row("客服95188和400-606-5500都打不通", (), ("95188", "400-606-5500")),
    Row("打了95516和12378都没用", (), ("95516", "12378")),
    Row("我的手机号13800138000收不到短信", (), ("13800138000",)),
]


@pytest.mark.parametrize("row", ROWS, ids=[row.text[:16] for row in ROWS])
def test_secrets_go_and_facts_stay(row: Row) -> None:
    masked = mask_sensitive(row.text)
    for secret in row.gone:
        assert secret not in masked.text, masked.text
    for fact in row.kept:
        assert fact in masked.text, masked.text
    assert masked.found == bool(row.gone)


def test_the_table_is_long_enough_to_mean_something() -> None:
    assert len(ROWS) >= 40


@pytest.mark.parametrize(
    ("text", "gone", "kept"),
    [
        ("用户手机 13800138000 打不通", "13800138000", "138****8000"),
        ("回拨 +86 138 0013 8000 无人接", "0013", "+86 138 **** 8000"),
        ("联系电话138-0013-8000", "0013", "138-****-8000"),
        ("邮箱 zhang.san@example.com 收不到", "zhang.san", "z***@example.com"),
        ("QQ邮箱 123456789@qq.com", "123456789", "1***@qq.com"),
        ("卡号6222021234567890128", "6222021234567890128", "6222***********0128"),
    ],
)
def test_logs_also_hide_phone_numbers_and_email_addresses(text: str, gone: str, kept: str) -> None:
    logged = mask_for_log(text)
    assert gone not in logged and kept in logged


def test_logs_keep_hotlines_and_order_numbers() -> None:
    line = "客服95188、400-606-5500，订单号 2024110322001412345678"
    assert mask_for_log(line) == line


def test_letters_keep_the_case_numbers_and_phones_but_not_cards() -> None:
    body = "订单2024110312345678001，卡号6222021234567890128，对方电话13800138000，工单 6222021234567890003"
    letter = mask_personal_numbers(body, keep=["2024110312345678001", "6222 0212 3456 7890 003"])
    assert "2024110312345678001" in letter and "6222021234567890003" in letter and "13800138000" in letter
    assert "6222021234567890128" not in letter


def test_a_number_the_case_keeps_is_kept_even_when_it_looks_like_a_card() -> None:
    assert mask_personal_numbers("6222021234567890128", keep=["6222021234567890128"]) == "6222021234567890128"
    assert mask_personal_numbers("6222021234567890128") == "6222***********0128"
