"""Pure rules for the facts of a complaint: amount, incident time, order and ticket numbers, demand.

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

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any, Callable, Dict, Iterator, List, Optional, Sequence, Tuple

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
_CN_NUMBER = f"[{_CN_DIGITS}十拾][{_CN_DIGITS}{_CN_MAGNITUDES}点]*"
_AR_NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
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


def _small_number(text: str) -> Optional[int]:
    value = parse_number(text)
    return int(value) if value is not None and value == int(value) else None


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
_NUMBER = rf"(?P<number>{_AR_NUMBER}|{_CN_NUMBER})(?P<magnitude>[万千百亿]*)"
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
    re.compile(rf"(?P<number>{_CN_NUMBER})(?P<approx>多|余)?{_NOT_MONEY_AFTER}"),
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


# --- incident time ---------------------------------------------------------------------------

_NUM = r"(?:\d{1,2}|[零〇一二两三四五六七八九十]{1,3})"
_PART_OF_DAY = re.compile(r"凌晨|早上|早晨|清晨|上午|中午|下午|傍晚|晚上|夜里|夜间|半夜|深夜")
_CLOCK = re.compile(
    rf"(?P<hour>{_NUM})(?:点钟|点|时|[:：](?=\d))(?:(?P<half>半)|(?P<quarter>一刻|三刻)"
    r"|(?P<minute>\d{1,2}|[零〇一二三四五六七八九十]{1,3})分?)?"
)
_PM_PARTS = ("下午", "傍晚", "晚上", "夜里", "夜间", "深夜")
_EVENING_BY_DAY_WORD = {"昨晚": "晚上", "昨夜": "夜里", "今晚": "晚上", "今早": "早上"}
_DAY_OFFSET = {
    "大前天": -3,
    "前天": -2,
    "昨天": -1,
    "昨日": -1,
    "昨晚": -1,
    "昨夜": -1,
    "今天": 0,
    "今日": 0,
    "今早": 0,
    "今晚": 0,
    "刚才": 0,
    "刚刚": 0,
}
_WEEKDAY_INDEX = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "7": 6}
_WEEKDAY_INDEX.update({str(i + 1): i for i in range(6)})
# "today" alone is only an incident time when something happened: 今天充值失败了, not 今天天气怎么样.
_PAST_MARKER = re.compile(r"了|过|被|扣|发现|没到|未到|失败|丢|盗|骗|刚")


@dataclass(frozen=True)
class IncidentTime:
    date: dt.date
    time: Optional[dt.time] = None
    grain: str = "day"  # day, minute, week, month

    @property
    def normalised(self) -> str:
        """'2026-11-24' or '2026-11-21T15:00'."""
        if self.time is None:
            return self.date.isoformat()
        return f"{self.date.isoformat()}T{self.time.strftime('%H:%M')}"


def _shift_months(day: dt.date, months: int) -> dt.date:
    month_index = day.year * 12 + day.month - 1 + months
    year, month = divmod(month_index, 12)
    last = calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))


def _safe_date(year: int, month: int, day: int) -> Optional[dt.date]:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


_DateRule = Tuple["re.Pattern[str]", Callable[["re.Match[str]", dt.date], Optional[Tuple[dt.date, str]]]]


def _absolute(match: "re.Match[str]", today: dt.date) -> Optional[Tuple[dt.date, str]]:
    month, day = _small_number(match.group("month")), _small_number(match.group("day"))
    if month is None or day is None:
        return None
    if match.group("year"):
        found = _safe_date(int(match.group("year")), month, day)
        return (found, "day") if found and found <= today else None
    found = _safe_date(today.year, month, day)
    if found and found > today:  # 12月30号 said in January is last year's
        found = _safe_date(today.year - 1, month, day)
    return (found, "day") if found else None


def _iso(match: "re.Match[str]", today: dt.date) -> Optional[Tuple[dt.date, str]]:
    found = _safe_date(int(match.group("year")), int(match.group("month")), int(match.group("day")))
    return (found, "day") if found and found <= today else None


def _day_of_month(match: "re.Match[str]", today: dt.date) -> Optional[Tuple[dt.date, str]]:
    day = _small_number(match.group("day"))
    if day is None:
        return None
    months_back = 1 if match.group("last_month") else 0
    base = _shift_months(today.replace(day=1), -months_back)
    found = _safe_date(base.year, base.month, day)
    if found and found > today and not months_back:  # 28号 said on the 3rd is last month's
        previous = _shift_months(base, -1)
        found = _safe_date(previous.year, previous.month, day)
    return (found, "day") if found and found <= today else None


def _relative_day(match: "re.Match[str]", today: dt.date) -> Optional[Tuple[dt.date, str]]:
    return today + dt.timedelta(days=_DAY_OFFSET[match.group("word")]), "day"


def _weekday(match: "re.Match[str]", today: dt.date) -> Optional[Tuple[dt.date, str]]:
    index = _WEEKDAY_INDEX[match.group("weekday")]
    weeks_back = {"上上": 2, "上": 1, "这": 0, "本": 0}.get(match.group("which") or "", None)
    monday = today - dt.timedelta(days=today.weekday())
    if weeks_back is None:  # 周五 alone: the last Friday, today included
        weeks_back = 0 if index <= today.weekday() else 1
    found = monday - dt.timedelta(weeks=weeks_back) + dt.timedelta(days=index)
    return (found, "day") if found <= today else None


def _week(match: "re.Match[str]", today: dt.date) -> Optional[Tuple[dt.date, str]]:
    return today - dt.timedelta(weeks=2 if match.group("which") == "上上" else 1), "week"


def _last_month(match: "re.Match[str]", today: dt.date) -> Optional[Tuple[dt.date, str]]:
    return _shift_months(today, -1), "month"


def _ago(match: "re.Match[str]", today: dt.date) -> Optional[Tuple[dt.date, str]]:
    count_text, unit = match.group("count"), match.group("unit")
    count = {"几": 3, "半": 0.5}.get(count_text) or _small_number(count_text)
    if not count:
        return None
    if "月" in unit:
        if count == 0.5:
            return today - dt.timedelta(days=15), "day"
        return _shift_months(today, -int(count)), "month"
    days = count * (7 if ("周" in unit or "星期" in unit or "礼拜" in unit) else 1)
    return today - dt.timedelta(days=int(days)), "day"


def _few_days(match: "re.Match[str]", today: dt.date) -> Optional[Tuple[dt.date, str]]:
    return today - dt.timedelta(days={"几": 3, "两": 2, "三": 3}[match.group("count")]), "day"


_DATE_RULES: Sequence[_DateRule] = (
    (re.compile(r"(?P<year>\d{4})[-/.](?P<month>\d{1,2})[-/.](?P<day>\d{1,2})(?!\d)"), _iso),
    (re.compile(rf"(?:(?P<year>\d{{4}})年)?(?P<month>{_NUM})月(?P<day>{_NUM})[日号]"), _absolute),
    (re.compile(rf"(?P<last_month>上个?月)?(?P<day>{_NUM})[日号](?![线楼窗门店机键码])"), _day_of_month),
    (re.compile(r"(?P<word>大前天|前天|昨天|昨日|昨晚|昨夜|今天|今日|今早|今晚|刚才|刚刚)"), _relative_day),
    (re.compile(r"(?P<which>上上|上|这|本)?个?(?:周|星期|礼拜)(?P<weekday>[一二三四五六日天1-7])"), _weekday),
    (re.compile(r"(?P<which>上上|上)个?(?:周|星期|礼拜)(?![一二三四五六日天1-7])"), _week),
    (re.compile(r"上个?月(?![\d一二三四五六七八九十]+[日号])"), _last_month),
    (re.compile(rf"(?P<count>{_NUM}|几|两|半)(?P<unit>天|个?星期|周|个?礼拜|个?月)以?前"), _ago),
    (re.compile(r"前(?P<count>几|两|三)天"), _few_days),
)


@dataclass(frozen=True)
class _TimeMatch:
    start: int
    end: int
    value: IncidentTime


def _clock_time(match: "re.Match[str]", part: Optional[str]) -> Optional[Tuple[dt.time, int]]:
    """The clock time, and a day shift (晚上12点 is midnight: the next day's 00:00)."""
    hour = _small_number(match.group("hour"))
    if hour is None or hour > 24:
        return None
    minute = 0
    if match.group("half"):
        minute = 30
    elif match.group("quarter"):
        minute = 15 if match.group("quarter") == "一刻" else 45
    elif match.group("minute"):
        minute = _small_number(match.group("minute")) or 0
    if minute > 59:
        return None
    if part in _PM_PARTS and hour < 12:
        hour += 12
    elif part == "中午" and hour < 6:
        hour += 12
    if hour == 24 or (part in _PM_PARTS and hour == 12 and part != "下午"):
        return dt.time(0, minute), 1
    return dt.time(hour, minute), 0


# Future references are never the incident's time, nor is the clock time after them.
_FUTURE = re.compile(r"大后天|后天|明天|明日|明早|明晚|下下?个?(?:周|星期|礼拜|月)|今后|以后|将来|之后")


def _time_at(text: str, start: int, now: dt.datetime) -> Tuple[Optional[_TimeMatch], int]:
    """The time expression starting exactly at `start` (a date, then part of day and clock), if any.

    Also returns where to look next: past a rejected date (a future 12月30日), so that
    its tail (30日) is not read again as a date of its own.
    """
    today = now.date()
    future = _FUTURE.match(text, start)
    if future:
        skip = future.end()
        future_part = _PART_OF_DAY.match(text, skip)
        skip = future_part.end() if future_part else skip
        future_clock = _CLOCK.match(text, skip)
        return None, future_clock.end() if future_clock else skip
    position, found_date, grain, word = start, None, "day", None
    for pattern, resolve in _DATE_RULES:
        match = pattern.match(text, start)
        if match:
            resolved = resolve(match, today)
            if resolved is None:
                return None, match.end()
            found_date, grain = resolved
            word = match.groupdict().get("word")
            position = match.end()
            break
    part_match = _PART_OF_DAY.match(text, position)
    part = part_match.group(0) if part_match else _EVENING_BY_DAY_WORD.get(word or "")
    after_part = part_match.end() if part_match else position
    clock_match = _CLOCK.match(text, after_part)
    clock = _clock_time(clock_match, part) if clock_match else None
    if found_date is None:
        if not (part_match and clock):  # 下午三点 is a time; 三点 or 晚上 alone is too vague
            return None, start + 1
        found_date = today
    if clock is not None and clock_match is not None:
        moment = dt.datetime.combine(found_date + dt.timedelta(days=clock[1]), clock[0])
        if word is None and grain == "day" and moment > now and found_date == today:
            moment -= dt.timedelta(days=1)  # 下午三点 said at 10:00 is yesterday's
        return _TimeMatch(start, clock_match.end(), IncidentTime(moment.date(), moment.time(), "minute")), 0
    end = part_match.end() if part_match else position
    if word in ("刚才", "刚刚"):
        moment = now.replace(second=0, microsecond=0)
        return _TimeMatch(start, end, IncidentTime(moment.date(), moment.time(), "minute")), 0
    if word in ("今天", "今日") and not part_match and not _PAST_MARKER.search(text):
        if text.strip(" ，。,.!！?？就是大概在") != text[start:end]:
            return None, end
    return _TimeMatch(start, end, IncidentTime(found_date, None, grain)), 0


def find_incident_times(text: str, now: dt.datetime) -> Iterator[Tuple[FactSpan, IncidentTime]]:
    """Every past date or time in the text, resolved against `now` (the message's local time)."""
    now = now.replace(tzinfo=None)
    position = 0
    while position < len(text):
        if position > 0 and text[position - 1].isdigit() and text[position].isdigit():
            position += 1
            continue
        match, next_position = _time_at(text, position, now)
        if match is None:
            position = max(position + 1, next_position)
            continue
        yield FactSpan(INCIDENT_TIME, match.start, match.end), match.value
        position = match.end


def resolve_time(span_text: str, now: dt.datetime) -> Optional[IncidentTime]:
    """The time an extracted span stands for, relative to `now`."""
    for span, value in find_incident_times(span_text, now):
        if span.start == 0:
            return value
    return None


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
