"""Pure rules for the facts of a complaint: amount, order and ticket numbers, demand (time: fact_time.py).

No spaCy here. `bot/nlu/fact_pipeline.py` wraps these rules in a blank spaCy `zh`
pipeline and `bot/nlu/facts.py` exposes that pipeline to Rasa; everything below is
a function of the text (and, for relative times, of "now"), so it is tested alone.

Normalised values, as the dialogue sees them in entities and slots:
- amount: "1200.00 CNY" (two decimals, ISO currency);
- incident_time: "2026-11-24" (a day) or "2026-11-21T15:00" (a clock time), local time;
- order_id / ticket_id: the number as written ("2024110322001412345678", "T20241118007");
- demand: refund, unfreeze, apology, compensation, investigate.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, Iterator, List, Optional, Tuple

from bot.nlu.fact_numbers import (
    AMOUNT,
    AR_NUMBER,
    CN_NUMBER,
    DEMAND,
    DEMAND_APOLOGY,
    DEMAND_COMPENSATION,
    DEMAND_INVESTIGATE,
    DEMAND_REFUND,
    DEMAND_UNFREEZE,
    INCIDENT_TIME,
    ORDER_ID,
    TICKET_ID,
    FactSpan,
    parse_number,
    small_number,
)
from bot.nlu.fact_time import IncidentTime, find_incident_times, resolve_time

__all__ = [
    "AMOUNT",
    "DEMAND",
    "INCIDENT_TIME",
    "ORDER_ID",
    "TICKET_ID",
    "FactSpan",
    "IncidentTime",
    "demand_patterns",
    "find_fact_spans",
    "is_negated",
    "normalise_amount",
    "parse_number",
    "resolve_time",
    "small_number",
]

# --- amount ----------------------------------------------------------------------------------

_CURRENCY = {
    "¥": "CNY",
    "￥": "CNY",
    "RMB": "CNY",
    "CNY": "CNY",
    "人民币": "CNY",
    "元": "CNY",
    "圆": "CNY",
    "块": "CNY",
    "块钱": "CNY",
    "US$": "USD",
    "$": "USD",
    "USD": "USD",
    "美元": "USD",
    "美金": "USD",
    "HK$": "HKD",
    "HKD": "HKD",
    "港币": "HKD",
    "港元": "HKD",
}
_PREFIX_CURRENCY = r"(?P<prefix>¥|￥|RMB|CNY|人民币|HK\$|US\$|\$|USD|HKD)"
# 块 is also "together" (一块去) or "a piece" (一块儿): only money when nothing like that follows.
_SUFFIX_CURRENCY = r"(?P<suffix>块钱|块(?![儿去来走玩吃住])|元(?!旦)|圆|人民币|美元|美金|港币|港元)"
# Things counted that are not money: 三百多人, 一万个, 两千次.
_NOT_MONEY_AFTER = (
    r"(?![多余来几]?(?:个|次|人|天|年|月|号|条|遍|分|秒|小时|倍|公里|米|斤|页|张|笔|件|位|名|户|岁|点|%|％))"
)
_NUMBER = rf"(?P<number>{AR_NUMBER}|{CN_NUMBER})(?P<magnitude>[万千百亿]*)"
_AMOUNT_PATTERNS = (
    # ¥1,200 / RMB 500 / 人民币500元
    re.compile(rf"{_PREFIX_CURRENCY}\s?{_NUMBER}(?P<approx>多|余)?(?:\s?{_SUFFIX_CURRENCY})?", re.IGNORECASE),
    # 500元 / 三百块 / 两块五 / 两千多块钱 / 100美元
    re.compile(
        rf"{_NUMBER}(?P<approx>多|余|来)?\s?{_SUFFIX_CURRENCY}"
        # 两块五 (only right after 块, at the end of the phrase) or 5元5角.
        r"(?P<tenths>(?<=块)[一二两三四五六七八九\d](?=$|[的钱，。,.!！?？\s])|[一二两三四五六七八九\d][毛角])?"
    ),
    # 两千五 / 一万二 / 1.2万: a magnitude says "amount of money" in a complaint about a wallet.
    re.compile(rf"(?P<number>{CN_NUMBER})(?P<approx>多|余)?{_NOT_MONEY_AFTER}"),
    re.compile(rf"(?P<number>\d+(?:\.\d+)?)(?P<magnitude>[万千]+)(?P<approx>多|余)?{_NOT_MONEY_AFTER}"),
)


@dataclass(frozen=True)
class Amount:
    value: Decimal
    currency: str
    approximate: bool = False

    @property
    def normalised(self) -> str:
        """'1200.00 CNY'."""
        return f"{self.value.quantize(Decimal('0.01'))} {self.currency}"


def _amount_from_match(match: "re.Match[str]") -> Optional[Amount]:
    groups = match.groupdict()
    number = groups.get("number") or ""
    magnitude = groups.get("magnitude") or ""
    value = parse_number(number + magnitude)
    if value is None or value <= 0:
        return None
    is_chinese = not re.match(r"\d", number)
    has_unit = bool(groups.get("prefix") or groups.get("suffix"))
    if not has_unit and not magnitude and not (is_chinese and re.search("[百千万亿佰仟]", number)):
        return None  # a bare number is not an amount (三点 is a time, 两次 a count)
    tenths = groups.get("tenths")
    if tenths:
        digit = parse_number(tenths.rstrip("毛角"))
        if digit is not None:
            value += digit / 10
    symbol = groups.get("prefix") or groups.get("suffix") or "元"
    currency = _CURRENCY.get(symbol.upper() if symbol.isascii() else symbol, "CNY")
    return Amount(value, currency, approximate=bool(groups.get("approx")))


def find_amounts(text: str) -> Iterator[Tuple[FactSpan, Amount]]:
    """Every amount of money in the text, left to right, without overlaps."""
    found: List[Tuple[int, FactSpan, Amount]] = []
    for pattern in _AMOUNT_PATTERNS:
        for match in pattern.finditer(text):
            if match.start() > 0 and re.match(r"[\dA-Za-z.,_\-]", text[match.start() - 1]):
                continue  # the tail of a longer number or code
            amount = _amount_from_match(match)
            if amount is not None:
                found.append((0, FactSpan(AMOUNT, match.start(), match.end()), amount))
    yield from _without_overlaps(found)


def normalise_amount(span_text: str) -> Optional[Amount]:
    """The amount an extracted span stands for."""
    for span, amount in find_amounts(span_text):
        if span.start == 0 and span.end == len(span_text):
            return amount
    return None


# --- order and ticket numbers ----------------------------------------------------------------

_FILLER = r"[\s:：#＃是为]{0,3}"
# 工单号 is a ticket, 快递单号/运单号 a parcel: neither is the order.
_ORDER_CUE = (
    r"(?:订单编号|订单号码|订单号|商户订单号|商户单号|交易单号|交易流水号|交易号|支付单号|转账单号|流水号"
    r"|(?<![工诉递运务])单号)"
)
_TICKET_CUE = r"(?:工单编号|工单号|工单|投诉单号|投诉编号|受理编号|受理号|服务单号|服务编号|案件编号|案件号|回执号)"
_ORDER = re.compile(rf"{_ORDER_CUE}{_FILLER}(?P<id>[A-Za-z]{{0,4}}\d{{8,32}})(?![\dA-Za-z])")
_TICKET = re.compile(rf"{_TICKET_CUE}{_FILLER}(?P<id>[A-Za-z]{{0,4}}-?\d{{4,30}})(?![\dA-Za-z])")
_PHONE = re.compile(r"(?:\+?86)?1[3-9]\d{9}")


def _numbers_after_cue(text: str, pattern: "re.Pattern[str]", entity: str) -> Iterator[FactSpan]:
    for match in pattern.finditer(text):
        number = match.group("id")
        if _PHONE.fullmatch(number):
            continue  # a mobile number is never an order or ticket number, whatever precedes it
        yield FactSpan(entity, match.start("id"), match.end("id"))


def find_order_ids(text: str) -> Iterator[FactSpan]:
    """Long numbers right after 订单号/交易号/流水号/单号; never phone or card numbers without the cue."""
    return _numbers_after_cue(text, _ORDER, ORDER_ID)


def find_ticket_ids(text: str) -> Iterator[FactSpan]:
    """Ticket numbers right after 工单号/投诉单号/受理编号 …"""
    return _numbers_after_cue(text, _TICKET, TICKET_ID)


# --- demand ----------------------------------------------------------------------------------

# Key → token regexes (a jieba token containing one of these words) and multi-token phrases.
DEMAND_WORDS: Dict[str, Tuple[str, ...]] = {
    DEMAND_REFUND: ("退款", "退钱", "退回", "退还", "返还", "退费", "返款", "还钱"),
    DEMAND_UNFREEZE: ("解冻", "解封", "解除冻结", "解除限制", "恢复账户", "恢复账号"),
    DEMAND_APOLOGY: ("道歉", "赔礼", "致歉"),
    DEMAND_COMPENSATION: ("赔偿", "补偿", "赔钱", "赔付"),
    DEMAND_INVESTIGATE: ("查明", "查清", "说明原因", "给个说法", "给个解释", "调查清楚", "解释清楚"),
}
_NEGATION_BEFORE = re.compile(
    r"(?:(?:不要|不用|不需要|无需|不必|别|不想|不求|不是要|没要求)[^，。,.!！?？]{0,3}|已经?)$"
)


def demand_patterns(label: str) -> List[Dict[str, Any]]:
    """EntityRuler patterns for the demand words, each with its key as the pattern id.

    One token pattern per key (a jieba token containing a demand word: 退回来, 赔偿损失)
    and one phrase pattern per word (phrases jieba splits: 解除 / 冻结).
    """
    patterns: List[Dict[str, Any]] = []
    for key, words in DEMAND_WORDS.items():
        single = "|".join(re.escape(w) for w in words)
        patterns.append({"label": label, "id": key, "pattern": [{"TEXT": {"REGEX": single}}]})
        for word in words:
            patterns.append({"label": label, "id": key, "pattern": word})
    return patterns


def is_negated(text: str, start: int) -> bool:
    """True for 不要道歉 / 已经退款了: the user does not (or no longer) ask for it."""
    return bool(_NEGATION_BEFORE.search(text[max(0, start - 8) : start]))


# --- all facts that regexes find (demands come from the EntityRuler) -------------------------


def find_fact_spans(text: str, now: dt.datetime) -> List[FactSpan]:
    """Amounts, times, order and ticket numbers, without overlaps (numbers after a cue win)."""
    candidates: List[Tuple[int, FactSpan, Any]] = [(0, span, None) for span in find_order_ids(text)]
    candidates += [(0, span, None) for span in find_ticket_ids(text)]
    candidates += [(1, span, value) for span, value in find_incident_times(text, now)]
    candidates += [(2, span, value) for span, value in find_amounts(text)]
    return [span for span, _ in _without_overlaps(candidates)]


def _without_overlaps(candidates: List[Tuple[int, FactSpan, Any]]) -> Iterator[Tuple[FactSpan, Any]]:
    """By priority, then longest first: keep a span unless it overlaps one kept already."""
    kept: List[Tuple[FactSpan, Any]] = []
    for _, span, value in sorted(candidates, key=lambda c: (c[0], -(c[1].end - c[1].start), c[1].start)):
        if all(span.end <= other.start or span.start >= other.end for other, _ in kept):
            kept.append((span, value))
    yield from sorted(kept, key=lambda item: item[0].start)
