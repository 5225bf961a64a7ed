"""Phone numbers the user offers: which count, and which the store does not know."""

from __future__ import annotations

import pytest

from actions.numbers import numbers_in, offered_numbers, phone_numbers, unknown_numbers

KNOWN = numbers_in(["95188", "95017", "400-606-5500", "400-666-8800", "12315", "12363", "110 / 96110"])


@pytest.mark.parametrize(
    ("text", "wrong"),
    [
        ("支付宝客服电话是95100吗", ["95100"]),
        ("我打了400-123-4567没人接", ["400-123-4567"]),
        ("支付宝客服是95188吗", []),
        ("已经打过12315了", []),
        ("打110报过警了", []),
        ("被盗刷了12000", []),  # an amount without a unit, and no talk of calling
        ("客服说退我12000元", []),
        ("工单号T20241118007，客服电话打过了", []),
        ("订单号2024112422001400001234，打客服没用", []),
    ],
)
def test_only_numbers_offered_for_calling_and_unknown_to_the_store_are_wrong(text: str, wrong: list[str]) -> None:
    assert unknown_numbers(offered_numbers(text), KNOWN) == wrong


def test_contacts_hold_every_number_they_name() -> None:
    assert numbers_in(["110 / 96110"]) == {"110", "96110"}
    assert phone_numbers("拨400 606 5500") == ["400 606 5500"]
