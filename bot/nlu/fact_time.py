"""Pure rules for the incident time of a complaint: 昨天晚上, 11月3号下午三点, 上周五, 三天前 …

Split from `fact_rules.py` (amounts, order and ticket numbers, demands); a function of the
text and of "now", so it is tested alone. The value is local time: "2026-11-24" (a day) or
"2026-11-21T15:00" (a clock time).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass
from typing import Callable, Iterator, Optional, Sequence, Tuple

from bot.nlu.fact_numbers import INCIDENT_TIME, FactSpan, small_number

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
    month, day = small_number(match.group("month")), small_number(match.group("day"))
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
    day = small_number(match.group("day"))
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
    count = {"几": 3, "半": 0.5}.get(count_text) or small_number(count_text)
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
    hour = small_number(match.group("hour"))
    if hour is None or hour > 24:
        return None
    minute = 0
    if match.group("half"):
        minute = 30
    elif match.group("quarter"):
        minute = 15 if match.group("quarter") == "一刻" else 45
    elif match.group("minute"):
        minute = small_number(match.group("minute")) or 0
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
