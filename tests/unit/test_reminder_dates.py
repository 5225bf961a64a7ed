"""Reminder dates: what users say, counted from the message's local date; never a date they did not say."""

from __future__ import annotations

import datetime as dt

import pytest

from assistant_core import reminder_dates as dates
from assistant_core.clock import local_zone

WEDNESDAY = dt.date(2026, 12, 2)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("三天后提醒我", dt.date(2026, 12, 5)),
        ("3天后提醒我", dt.date(2026, 12, 5)),
        ("下周一提醒我跟进", dt.date(2026, 12, 7)),
        ("下星期五再问我", dt.date(2026, 12, 11)),
        ("下下周三提醒我", dt.date(2026, 12, 16)),
        ("月底再问我", dt.date(2026, 12, 31)),
        ("下个月底提醒我", dt.date(2027, 1, 31)),
        ("下个月初提醒我", dt.date(2027, 1, 1)),
        ("过两天再提醒我", dt.date(2026, 12, 4)),
        ("两周后提醒我跟进", dt.date(2026, 12, 16)),
        ("一个星期后问问我", dt.date(2026, 12, 9)),
        ("十天后提醒我看看结果", dt.date(2026, 12, 12)),
        ("二十天以后提醒我", dt.date(2026, 12, 22)),
        ("明天提醒我", dt.date(2026, 12, 3)),
        ("后天提醒我打电话", dt.date(2026, 12, 4)),
        ("12月20日提醒我", dt.date(2026, 12, 20)),
        ("1月5号提醒我", dt.date(2027, 1, 5)),
        ("2027年2月1日提醒我", dt.date(2027, 2, 1)),
        ("周五提醒我", dt.date(2026, 12, 4)),
        ("周三提醒我", dt.date(2026, 12, 9)),
        ("下周再问我", dt.date(2026, 12, 9)),
        ("2个月后提醒我", dt.date(2027, 2, 2)),
    ],
)
def test_phrasings_become_dates_counted_from_the_message_day(text: str, expected: dt.date) -> None:
    assert dates.reminder_date(text, WEDNESDAY) == expected


@pytest.mark.parametrize("text", ["到时提醒我", "再等等", "过几天提醒我", "提醒我跟进一下", "我的提醒", "7天内要回复"])
def test_no_date_said_means_no_date_chosen(text: str) -> None:
    assert dates.reminder_date(text, WEDNESDAY) is None


def test_month_end_on_its_last_day_is_next_months() -> None:
    assert dates.reminder_date("月底再问我", dt.date(2026, 12, 31)) == dt.date(2027, 1, 31)


def test_three_days_after_a_late_evening_message_counts_from_its_shanghai_date() -> None:
    # 2026-12-02 17:30 UTC is already 12-03 01:30 in Shanghai.
    said = dt.datetime(2026, 12, 2, 17, 30, tzinfo=dt.timezone.utc)
    assert dates.reminder_date("三天后提醒我", said.astimezone(local_zone()).date()) == dt.date(2026, 12, 6)


def test_dates_are_confirmed_with_their_weekday() -> None:
    assert dates.spoken_date(dt.date(2026, 12, 7)) == "12月7日（周一）"


@pytest.mark.parametrize(
    "day, pending, reason",
    [
        (WEDNESDAY, 0, "in_past"),
        (WEDNESDAY - dt.timedelta(days=1), 0, "in_past"),
        (WEDNESDAY + dt.timedelta(days=61), 0, "too_far"),
        (WEDNESDAY + dt.timedelta(days=60), 0, None),
        (WEDNESDAY + dt.timedelta(days=3), 3, "too_many"),
        (WEDNESDAY + dt.timedelta(days=3), 2, None),
    ],
)
def test_limits(day: dt.date, pending: int, reason: str) -> None:
    assert dates.refusal(day, WEDNESDAY, pending, max_pending=3, max_days=60) == reason


def test_a_reminder_is_due_at_the_local_hour_of_its_date() -> None:
    due = dates.due_moment(dt.date(2026, 12, 5), 10, local_zone())
    assert due == dt.datetime(2026, 12, 5, 2, 0, tzinfo=dt.timezone.utc)


def test_wechat_reaches_a_user_only_48_hours_after_their_last_message() -> None:
    said = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.timezone.utc)
    assert not dates.beyond_wechat_window(said + dt.timedelta(hours=47, minutes=59), said)
    assert dates.beyond_wechat_window(said + dt.timedelta(hours=48, minutes=1), said)
