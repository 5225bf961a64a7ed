"""The shared vocabulary of the fact rules: entity names, demand keys, where a fact is, and numbers
written in digits or Chinese (五百, 两千五, 1,200.50)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Optional

import cn2an

# Entity names, as declared in domain.yml.
AMOUNT = "amount"
INCIDENT_TIME = "incident_time"
ORDER_ID = "order_id"
TICKET_ID = "ticket_id"
DEMAND = "demand"

# Demand keys (the values of the `demand` entity).
DEMAND_REFUND = "refund"
DEMAND_UNFREEZE = "unfreeze"
DEMAND_APOLOGY = "apology"
DEMAND_COMPENSATION = "compensation"
DEMAND_INVESTIGATE = "investigate"


@dataclass(frozen=True)
class FactSpan:
    """Where a fact is in the text (character offsets) and what kind it is."""

    entity: str
    start: int
    end: int


# --- numbers ---------------------------------------------------------------------------------

_CN_DIGITS = "零〇一二两三四五六七八九壹贰叁肆伍陆柒捌玖"
_CN_MAGNITUDES = "十百千万亿拾佰仟"
CN_NUMBER = f"[{_CN_DIGITS}十拾][{_CN_DIGITS}{_CN_MAGNITUDES}点]*"
AR_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_MAGNITUDE_VALUE = {"十": 10, "拾": 10, "百": 100, "佰": 100, "千": 1000, "仟": 1000, "万": 10_000, "亿": 100_000_000}


def parse_number(text: str) -> Optional[Decimal]:
    """'1,200' → 1200, '1.2万' → 12000, '两千五' → 2500, '三点五万' → 35000; None if not a number."""
    s = text.replace(",", "").replace("，", "").strip()
    if not s:
        return None
    arabic = re.fullmatch(r"(\d+(?:\.\d+)?)([十百千万亿]*)", s)
    if arabic:
        value = Decimal(arabic.group(1))
        for char in arabic.group(2):
            value *= _MAGNITUDE_VALUE[char]
        return value
    try:
        return Decimal(str(cn2an.cn2an(s, "smart")))
    except (ValueError, KeyError, IndexError, InvalidOperation):
        pass
    # cn2an refuses a decimal before a magnitude (三点五万): split it off ourselves.
    split = re.fullmatch(r"(.+?)([万亿])", s)
    if split:
        head = parse_number(split.group(1))
        return head * _MAGNITUDE_VALUE[split.group(2)] if head is not None else None
    return None


def small_number(text: str) -> Optional[int]:
    """A whole number written in digits or Chinese (3, 十二), or None."""
    value = parse_number(text)
    return int(value) if value is not None and value == int(value) else None
