"""Setting, listing and cancelling reminders, and the due message, on real SQLite stores."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import reminder_actions
from actions.privacy_actions import ActionDeleteMyRecords
from actions.reminder_actions import (
    ActionCancelReminders,
    ActionCloseCase,
    ActionListReminders,
    ActionReminderDue,
    ActionSetReminder,
)
from assistant_core.reminder_store import ReminderStore
from tests.conftest import user_event

# Wednesday 2026-12-02, 20:00 in Shanghai.
SAID_AT = dt.datetime(2026, 12, 2, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
def reminders(action_env: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReminderStore]:
    monkeypatch.setenv("REMINDERS_DB_URL", f"sqlite:///{tmp_path / 'reminders.db'}")
    for key in ("REMINDER_TEST_DELAY_SECONDS", "REMINDER_MAX_PENDING", "REMINDER_MAX_DAYS"):
        monkeypatch.delenv(key, raising=False)
    reminder_actions.reminder_store.cache_clear()
    yield reminder_actions.reminder_store()
    reminder_actions.reminder_store.cache_clear()


def tracker(
    sender: str,
    text: str,
    intent: str = "set_reminder",
    slots: Optional[Dict[str, Any]] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    latest = {**user_event(intent, text, entities), "timestamp": SAID_AT.timestamp()}
    return Tracker(sender, slots or {}, latest["parse_data"], [latest], False, None, {}, "action_listen")


async def say(action: Any, sender: str, text: str, **kwargs: Any) -> List[Dict[str, Any]]:
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, tracker(sender, text, **kwargs), {})
    return dispatcher.messages


@pytest.mark.parametrize(
    "text, date",
    [("三天后提醒我", "12月5日（周六）"), ("下周一提醒我跟进", "12月7日（周一）"), ("月底再问我", "12月31日（周四）")],
)
async def test_a_phrasing_sets_a_reminder_confirmed_as_a_date(reminders: ReminderStore, text: str, date: str) -> None:
    messages = await say(ActionSetReminder(), "telegram:5566", text)
    assert [m["response"] for m in messages] == ["utter_reminder_set", "utter_reminder_via_telegram"]
    assert messages[0]["date"] == date
    (stored,) = reminders.pending_for("telegram:5566")
    assert stored.channel == "telegram"
    # Sent at 10:00 Shanghai time on that date.
    assert stored.due_at.astimezone(dt.timezone(dt.timedelta(hours=8))).hour == 10
    assert date.startswith(f"{stored.local_date.month}月{stored.local_date.day}日")


async def test_a_button_date_is_read_from_its_entity(reminders: ReminderStore) -> None:
    entities = [{"entity": "reminder_when", "value": "一周后"}]
    messages = await say(ActionSetReminder(), "webchat:abc", "/set_reminder", entities=entities)
    assert messages[0]["date"] == "12月9日（周三）"
    assert messages[1]["response"] == "utter_reminder_via_webchat"


async def test_without_a_date_the_assistant_asks_and_sets_nothing(reminders: ReminderStore) -> None:
    messages = await say(ActionSetReminder(), "telegram:5566", "到时提醒我")
    assert [m["response"] for m in messages] == ["utter_reminder_ask_when"]
    assert reminders.pending_for("telegram:5566") == ()


async def test_more_than_60_days_ahead_is_refused(reminders: ReminderStore) -> None:
    messages = await say(ActionSetReminder(), "telegram:5566", "3个月后提醒我")
    assert [m["response"] for m in messages] == ["utter_reminder_too_far"]
    assert messages[0]["max_days"] == 60
    assert reminders.pending_for("telegram:5566") == ()


async def test_a_fourth_pending_reminder_is_refused(reminders: ReminderStore) -> None:
    for text in ("明天提醒我", "三天后提醒我", "下周一提醒我"):
        await say(ActionSetReminder(), "telegram:5566", text)
    messages = await say(ActionSetReminder(), "telegram:5566", "月底再问我")
    assert [m["response"] for m in messages] == ["utter_reminder_too_many"]
    assert (messages[0]["count"], messages[0]["limit"]) == (3, 3)
    assert len(reminders.pending_for("telegram:5566")) == 3


async def test_wechat_refuses_a_reminder_past_48_hours_and_offers_the_date_to_note(reminders: ReminderStore) -> None:
    messages = await say(ActionSetReminder(), "wechat:oUser", "三天后提醒我")
    assert [m["response"] for m in messages] == ["utter_reminder_wechat_window"]
    assert messages[0]["date"] == "12月5日（周六）"
    assert reminders.pending_for("wechat:oUser") == ()


async def test_wechat_accepts_a_reminder_within_48_hours(reminders: ReminderStore) -> None:
    # Said at 20:00 Shanghai; tomorrow at 10:00 is 14 hours later.
    messages = await say(ActionSetReminder(), "wechat:oUser", "明天提醒我")
    assert [m["response"] for m in messages] == ["utter_reminder_set", "utter_reminder_via_wechat"]
    assert len(reminders.pending_for("wechat:oUser")) == 1


async def test_rest_is_told_it_gets_no_push(reminders: ReminderStore) -> None:
    messages = await say(ActionSetReminder(), "rest:me", "三天后提醒我")
    assert messages[1]["response"] == "utter_reminder_via_rest"


async def test_the_test_delay_makes_a_reminder_due_seconds_later_but_confirms_the_asked_date(
    reminders: ReminderStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REMINDER_TEST_DELAY_SECONDS", "5")
    messages = await say(ActionSetReminder(), "telegram:5566", "三天后提醒我")
    assert messages[0]["date"] == "12月5日（周六）"
    (stored,) = reminders.pending_for("telegram:5566")
    assert stored.due_at == SAID_AT + dt.timedelta(seconds=5)


async def test_users_list_and_cancel_only_their_own(reminders: ReminderStore) -> None:
    await say(ActionSetReminder(), "telegram:1", "三天后提醒我")
    await say(ActionSetReminder(), "telegram:1", "下周一提醒我")
    await say(ActionSetReminder(), "telegram:2", "月底再问我")
    listed = await say(ActionListReminders(), "telegram:1", "我的提醒", intent="list_reminders")
    assert listed[0]["items"] == "1. 12月5日（周六）\n2. 12月7日（周一）"
    cancelled = await say(ActionCancelReminders(), "telegram:1", "取消提醒", intent="cancel_reminder")
    assert cancelled[0]["response"] == "utter_reminder_cancelled" and cancelled[0]["count"] == 2
    nothing = await say(ActionListReminders(), "telegram:1", "我的提醒", intent="list_reminders")
    assert nothing[0]["response"] == "utter_reminder_none"
    assert len(reminders.pending_for("telegram:2")) == 1


async def test_solved_closes_with_thanks_and_cancels_what_was_to_come(reminders: ReminderStore) -> None:
    await say(ActionSetReminder(), "telegram:1", "三天后提醒我")
    messages = await say(ActionCloseCase(), "telegram:1", "解决了", intent="problem_solved")
    assert [m["response"] for m in messages] == ["utter_case_closed"]
    assert reminders.pending_for("telegram:1") == ()


async def test_the_due_message_sums_up_the_case_and_the_step_waited_on(reminders: ReminderStore) -> None:
    slots = {"wallet": "alipay", "problem": "topup_failure", "amount": "500.00 CNY"}
    due = await say(ActionReminderDue(), "telegram:1", "", intent="set_reminder", slots=slots)
    assert [m["response"] for m in due] == ["utter_reminder_due", "utter_reminder_case", "utter_reminder_ask_result"]
    assert due[1]["summary"] == "支付宝 · 充值失败 · 500.00 CNY"
    assert "95188" in due[1]["step"]


async def test_a_late_due_message_says_so_with_its_date(reminders: ReminderStore) -> None:
    added = reminders.add("telegram:1", "telegram", dt.date(2026, 12, 5), SAID_AT - dt.timedelta(hours=5), SAID_AT)
    assert reminders.claim(added.id, "a", SAID_AT, dt.timedelta(minutes=10)) is not None
    due = await say(ActionReminderDue(), "telegram:1", "", intent="set_reminder")
    assert due[0]["response"] == "utter_reminder_due_late" and due[0]["date"] == "12月5日（周六）"
    assert [m["response"] for m in due[1:]] == ["utter_reminder_ask_result"]  # no case known: no summary


async def test_deleting_my_records_deletes_my_reminders_too(reminders: ReminderStore) -> None:
    await say(ActionSetReminder(), "telegram:1", "三天后提醒我")
    await say(ActionSetReminder(), "telegram:2", "三天后提醒我")
    await say(ActionDeleteMyRecords(), "telegram:1", "确认删除", intent="affirm")
    assert reminders.pending_for("telegram:1") == ()
    assert len(reminders.pending_for("telegram:2")) == 1
