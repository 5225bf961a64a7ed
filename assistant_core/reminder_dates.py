"""When a user wants to be reminded: "三天后提醒我", "下周一提醒我跟进", "月底再问我" → a local date.

Dates are relative to the message's own local date (Asia/Shanghai). Only what the user said
counts: with no date in the text the answer is None and the assistant asks, it never picks a
date itself (not from a ladder's suggested wait either).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import Optional

DIGITS = {**{c: i for i, c in enumerate("零一二三四五六七八九")}, "〇": 0, "两": 2, "俩": 2}
WEEKDAYS = {**{c: i for i, c in enumerate("一二三四五六日")}, **{str(i + 1): i for i in range(7)}, "天": 6, "末": 5}
WEEKDAY_NAMES = "一二三四五六日"
NUMBER = r"(\d{1,3}|[零〇一二两俩三四五六七八九十]{1,3})"

_DAYS_AFTER = re.compile(NUMBER + r"\s*(?:个)?\s*(天|日|周|星期|礼拜|个?月)\s*(?:之?后|以后|过后)")
_IN_DAYS = re.compile(r"过\s*" + NUMBER + r"\s*(?:个)?\s*(天|日|周|星期|礼拜|个?月)")
_NEXT_WEEKDAY = re.compile(r"(下+)\s*(?:个)?\s*(?:周|星期|礼拜)\s*([一二三四五六日天末1-7])")
_THIS_WEEKDAY = re.compile(r"(?:这|本)?\s*(?:周|星期|礼拜)\s*([一二三四五六日天末1-7])")
_NEXT_WEEK = re.compile(r"下\s*(?:个)?\s*(?:周|星期|礼拜)")
_SMALL = r"(\d{1,2}|[一二三四五六七八九十]{1,3})"
_MONTH_DAY = re.compile(r"(?:(\d{4})\s*[年/-])?\s*" + _SMALL + r"\s*[月/-]\s*" + _SMALL + r"\s*[日号]?")
_MONTH_END = re.compile(r"(下\s*(?:个)?\s*)?月\s*(?:底|末)")
_MONTH_START = re.compile(r"下\s*(?:个)?\s*月\s*(?:初|头|一号|1号)")
_SIMPLE = {"大后天": 3, "后天": 2, "明天": 1, "明日": 1}


def chinese_number(text: str) -> Optional[int]:
    """12, 十二, 两, 二十 → int; None for anything else (几, 若干)."""
    if text.isdigit():
        return int(text)
    if not text or any(c not in DIGITS and c != "十" for c in text):
        return None
    if "十" not in text:
        return DIGITS[text] if len(text) == 1 else None
    tens, _, ones = text.partition("十")
    if len(ones) > 1 or len(tens) > 1:
        return None
    return (DIGITS[tens] if tens else 1) * 10 + (DIGITS[ones] if ones else 0)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later, or that month's last day."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def month_end(day: dt.date) -> dt.date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _after(count: int, unit: str, today: dt.date) -> dt.date:
    if unit in ("天", "日"):
        return today + dt.timedelta(days=count)
    if unit in ("周", "星期", "礼拜"):
        return today + dt.timedelta(weeks=count)
    return add_months(today, count)


def _month_day(match: re.Match[str], today: dt.date) -> Optional[dt.date]:
    month, day = chinese_number(match.group(2)), chinese_number(match.group(3))
    if month is None or day is None:
        return None
    year = int(match.group(1)) if match.group(1) else today.year
    try:
        found = dt.date(year, month, day)
    except ValueError:
        return None
    if not match.group(1) and found < today:
        # "1月5日" said in December is next January's.
        found = found.replace(year=year + 1)
    return found


def reminder_date(text: str, today: dt.date) -> Optional[dt.date]:
    """The local date `text` asks for, counted from `today` (the message's local date); None if it names none."""
    text = text.replace(" ", "")
    for word, days in _SIMPLE.items():
        if word in text:
            return today + dt.timedelta(days=days)
    for pattern in (_DAYS_AFTER, _IN_DAYS):
        found = pattern.search(text)
        if found:
            count = chinese_number(found.group(1))
            return None if count is None else _after(count, found.group(2), today)
    found = _MONTH_DAY.search(text)
    if found:
        return _month_day(found, today)
    found = _NEXT_WEEKDAY.search(text)
    if found:
        monday = today - dt.timedelta(days=today.weekday()) + dt.timedelta(weeks=len(found.group(1)))
        return monday + dt.timedelta(days=WEEKDAYS[found.group(2)])
    found = _MONTH_START.search(text)
    if found:
        return add_months(today.replace(day=1), 1)
    found = _MONTH_END.search(text)
    if found:
        end = month_end(add_months(today.replace(day=1), 1) if found.group(1) else today)
        return end if end > today else month_end(add_months(today.replace(day=1), 1))
    if _NEXT_WEEK.search(text):
        return today + dt.timedelta(weeks=1)
    found = _THIS_WEEKDAY.search(text)
    if found:
        ahead = (WEEKDAYS[found.group(1)] - today.weekday()) % 7 or 7
        return today + dt.timedelta(days=ahead)
    return None


def spoken_date(day: dt.date) -> str:
    """12月5日（周五）: how a date is confirmed back to the user."""
    return f"{day.month}月{day.day}日（周{WEEKDAY_NAMES[day.weekday()]}）"


def refusal(day: dt.date, today: dt.date, pending: int, max_pending: int, max_days: int) -> Optional[str]:
    """Why a reminder on `day` is refused ('in_past', 'too_far', 'too_many'), or None if it may be set."""
    if day <= today:
        return "in_past"
    if (day - today).days > max_days:
        return "too_far"
    if pending >= max_pending:
        return "too_many"
    return None


WECHAT_WINDOW = dt.timedelta(hours=48)
"""WeChat's customer-service API reaches a user only this long after their last message."""


def due_moment(day: dt.date, local_hour: int, zone: dt.tzinfo) -> dt.datetime:
    """When a reminder on `day` is sent: that local date at `local_hour`, in UTC."""
    return dt.datetime(day.year, day.month, day.day, local_hour, tzinfo=zone).astimezone(dt.timezone.utc)


def beyond_wechat_window(due_at: dt.datetime, last_user_message_at: dt.datetime) -> bool:
    """True when WeChat would no longer let us message the user at `due_at`."""
    return due_at - last_user_message_at > WECHAT_WINDOW
