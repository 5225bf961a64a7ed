"""Phone numbers in what the user writes: which ones are wrong hotlines for one of our wallets, and
which are never corrected (banks, UnionPay, government lines, numbers already called)."""

from __future__ import annotations

import datetime as dt
from typing import Optional

import pytest

from actions.numbers import (
    WalletLine,
    WrongHotline,
    hotline_source,
    numbers_in,
    numbers_to_check,
    phone_numbers,
    wrong_hotline_claims,
)
from assistant_core.records import Source

# The seed's wallets as the action hands them over (name and aliases, hotline): fixed here, so the rule
# is tested on its own; tests/actions test it on the seeded store.
WALLETS = [
    WalletLine("alipay", ("支付宝", "alipay", "阿里支付", "支付包", "支付寶"), "95188"),
    WalletLine("wechat_pay", ("微信支付", "wechat pay", "微信钱包", "财付通", "微信", "零钱"), "95017"),
    WalletLine("jd_wallet", ("京东钱包", "京东支付", "京东金融", "京东"), "400-606-5500"),
    WalletLine("apple_pay", ("Apple Pay", "ApplePay", "Apple钱包", "苹果支付", "苹果钱包"), "400-666-8800"),
]


@pytest.mark.parametrize(
    ("text", "claims"),
    [
        # A number given for one of our wallets that is not its hotline.
        ("支付宝客服电话是95100吗", [("95100", "alipay")]),
        ("支付宝的客服是95100对吧", [("95100", "alipay")]),
        ("支付宝客服电话是95017吗", [("95017", "alipay")]),  # WeChat Pay's number, not Alipay's
        ("微信支付客服 95188", [("95188", "wechat_pay")]),
        ("京东钱包客服电话是400-123-4567吗", [("400-123-4567", "jd_wallet")]),
        ("apple pay 客服热线 400 123 4567", [("400 123 4567", "apple_pay")]),  # alias, any case
        ("支付宝客服电话95188还是95100", [("95100", "alipay")]),
        ("支付宝客服95100，微信客服95188", [("95100", "alipay"), ("95188", "wechat_pay")]),
        ("京东钱包和支付宝的客服电话是95017吗", [("95017", "alipay")]),  # the nearest name before it
        # The wallet's own number.
        ("支付宝客服是95188吗", []),
        ("京东客服电话是4006065500吗", []),
        ("微信和支付宝的客服电话是95017吗", []),  # WeChat Pay is named too: no claim against it
        # Banks, UnionPay, card centres: never.
        ("我已经打了95588把卡冻结了", []),
        ("银行卡被盗刷了，我已经打95588冻结了卡", []),
        ("支付宝绑的卡客服电话95588", []),  # 955xx is a bank's line
        ("支付宝客服电话是95516吗", []),  # UnionPay
        ("支付宝绑的信用卡中心400-820-5555能打吗", []),
        ("支付宝扣款找发卡行电话400-820-5555", []),
        # Government lines: never.
        ("支付宝的事打12345有用吗", []),
        ("支付宝的投诉电话是12315吗", []),
        ("支付宝被骗了报警电话110还是96110", []),
        ("支付宝的事能打12363、12378、12348、12386吗", []),
        # Already called: never.
        ("支付宝客服95100我打过了", []),
        ("我拨了支付宝客服95100", []),
        ("刚打支付宝客服95100", []),
        ("联系了支付宝客服95100没用", []),
        ("支付宝客服95100打不通", []),
        ("支付宝客服95100刚打来电话", [("95100", "alipay")]),  # a call received is not one made
        # Not attached to a wallet, or not about calling.
        ("客服电话是95100吗", []),  # no wallet named
        ("支付宝。客服电话是95100吗", []),  # the name is in another clause
        ("支付宝账户被盗了要打什么客服电话呢95100", []),  # more than ATTACH_GAP characters apart
        ("我打了400-123-4567没人接", []),
        ("支付宝被盗刷了95100", []),  # an amount: no talk of calling
        ("支付宝打款95100给对方", []),  # 打款 is paying, not calling
        ("支付宝客服说退我12000元", []),
        ("支付宝客服，订单号2024112422001400001234", []),
    ],
)
def test_only_numbers_given_for_a_wallet_that_are_not_its_hotline_are_wrong(
    text: str, claims: list[tuple[str, str]]
) -> None:
    assert wrong_hotline_claims(text, WALLETS) == [WrongHotline(number, wallet) for number, wallet in claims]


@pytest.mark.parametrize(
    ("text", "checked"),
    [
        ("支付宝客服电话是95100吗", ["95100"]),
        ("客服电话是95100吗", ["95100"]),  # a wallet may still be named: the store decides
        ("我已经打95588冻结了卡", []),
        ("打95516问问", []),
        ("信用卡中心400-820-5555", []),
        ("打12345投诉", []),
        ("打110报过警了，96110也打了", []),
        ("被盗刷了12000", []),
        ("你好", []),
    ],
)
def test_a_turn_without_a_number_to_check_needs_no_wallet_data(text: str, checked: list[str]) -> None:
    assert numbers_to_check(text) == checked


def test_a_wallet_without_names_or_an_empty_list_claims_nothing() -> None:
    assert wrong_hotline_claims("支付宝客服电话是95100吗", []) == []
    assert wrong_hotline_claims("支付宝客服电话是95100吗", [WalletLine("alipay", ("",), "95188")]) == []


def source(kind: str, title: str = "标题") -> Source:
    return Source(key="k", kind=kind, title=title, read_on=dt.date(2026, 12, 2))


@pytest.mark.parametrize(
    ("given", "said"),
    [
        (source("page", "支付宝帮助中心"), "来源：支付宝帮助中心"),
        (source("article", "种子文章《数字钱包投诉》"), "出自参考文章，还没在官网核实"),
        (source("guidance"), "来源还没核实"),
        (None, "来源还没核实"),
    ],
)
def test_only_a_page_is_named_as_the_source_of_a_number(given: Optional[Source], said: str) -> None:
    assert hotline_source(given) == said
    if given is None or given.kind != "page":
        assert "核实过" not in hotline_source(given)


def test_contacts_hold_every_number_they_name() -> None:
    assert numbers_in(["110 / 96110"]) == {"110", "96110"}
    assert phone_numbers("拨400 606 5500") == ["400 606 5500"]
