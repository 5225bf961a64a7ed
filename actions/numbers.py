"""Phone numbers in what the user wrote, and whether the knowledge store knows them.

A number a user offers ("支付宝客服是95100吗", "我打了400-123-4567") that is not a hotline or a
ladder contact of the store gets corrected with the verified one: people dial what they read.
Only phone-shaped numbers count (service numbers like 95188 and 12315, 400/800 lines, 110):
order and ticket numbers are longer, amounts shorter.
"""

from __future__ import annotations

import re
from typing import Iterable

_PHONE = re.compile(
    r"(?<![\dA-Za-z¥￥.])(?:[48]00[-\s]?\d{3}[-\s]?\d{4}|9[56]\d{3,4}|12\d{3}|110)"
    r"(?![\d.,]|\s*(?:元|块|圆|万|千|角|%|rmb|RMB|人民币|多))"
)
_NOT_DIGIT = re.compile(r"\D")
# A number counts as a phone number the user offers only where the message talks about calling.
_PHONE_CONTEXT = re.compile(r"电话|热线|客服|号码|拨|打")


def digits(number: str) -> str:
    """'400-606-5500' → '4006065500'."""
    return _NOT_DIGIT.sub("", number)


def phone_numbers(text: str) -> list[str]:
    """The phone-shaped numbers in `text`, as written, in order, without repeats."""
    return list(dict.fromkeys(match.group().strip() for match in _PHONE.finditer(text or "")))


def numbers_in(contacts: Iterable[str]) -> frozenset[str]:
    """Every phone number (digits only) inside the contact texts: '110 / 96110' → {'110', '96110'}."""
    return frozenset(digits(n) for contact in contacts for n in phone_numbers(contact))


def offered_numbers(text: str) -> list[str]:
    """The phone numbers a message offers: only where it talks about calling (so "被盗刷了12000" is
    an amount, not a number to check)."""
    return phone_numbers(text) if _PHONE_CONTEXT.search(text or "") else []


def unknown_numbers(offered: Iterable[str], known: frozenset[str]) -> list[str]:
    """The `offered` numbers that are none of the `known` ones."""
    return [n for n in offered if digits(n) not in known]
