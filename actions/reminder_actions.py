"""Follow-up reminders: set ("三天后提醒我"), list ("我的提醒"), cancel ("取消提醒"), and the due message.

The date comes only from what the user said (assistant_core.reminder_dates), counted from their
message's local date; without one the assistant asks. Reminders are stored in the shared SQL
reminder store; every Rasa server's scheduler (bot/reminders/) fires each once, by running
`action_reminder_due` in the conversation. Copy is in domain.yml (utter_reminder_*).
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
from abc import ABCMeta, abstractmethod
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions.base import KnowledgeAction, case_ladder, off_the_loop
from actions.case import case_from_tracker
from actions.knowledge.store import KnowledgeStore
from actions.replies import step_contact
from assistant_core import reminder_dates as dates
from assistant_core.apology import service_unavailable_text
from assistant_core.clock import local_zone, utc_now
from assistant_core.reminder_store import Reminder, ReminderStore, reminder_engine
from assistant_core.settings import Settings

logger = logging.getLogger(__name__)

ENTITY_REMINDER_WHEN = "reminder_when"
CHANNELS = ("telegram", "webchat", "wechat", "rest")


@functools.lru_cache(maxsize=1)
def reminder_store() -> ReminderStore:
    """The process-wide reminder store (REMINDERS_DB_URL, by default the case database)."""
    return ReminderStore(reminder_engine(Settings.from_env().reminders_db_url))


def channel_of(conversation_id: str) -> str:
    """The channel a conversation belongs to (its tracker key is `<channel>:<platform id>`)."""
    prefix = conversation_id.split(":", 1)[0]
    return prefix if prefix in CHANNELS and ":" in conversation_id else "rest"


def message_moment(tracker: Tracker) -> dt.datetime:
    """When the latest user message arrived (UTC); the clock if it carries no timestamp."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and isinstance(event.get("timestamp"), (int, float)):
            return dt.datetime.fromtimestamp(float(event["timestamp"]), tz=dt.timezone.utc)
    return utc_now()


def requested_text(tracker: Tracker) -> str:
    """The date words: a button's reminder_when entity, else the message itself."""
    for entity in tracker.latest_message.get("entities") or []:
        if entity.get("entity") == ENTITY_REMINDER_WHEN and entity.get("value"):
            return str(entity["value"])
    return str(tracker.latest_message.get("text") or "")


class ReminderAction(Action, metaclass=ABCMeta):
    """Runs the blocking store work off the event loop; a calm apology if the store is down."""

    store_factory = staticmethod(reminder_store)

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        return await off_the_loop(self._safely, dispatcher, tracker)

    def _safely(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        try:
            self.remind(dispatcher, tracker, self.store_factory(), Settings.from_env())
        except SQLAlchemyError as exc:
            logger.error("%s: reminder store unavailable (%s). Fix: check REMINDERS_DB_URL.", self.name(), exc)
            dispatcher.utter_message(text=service_unavailable_text(Settings.from_env().knowledge_seed_path))
        return []

    @abstractmethod
    def remind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: ReminderStore, settings: Settings
    ) -> None:
        """Read the message, ask the reminder store, utter the reply."""


class ActionSetReminder(ReminderAction):
    def name(self) -> Text:
        return "action_set_reminder"

    def remind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: ReminderStore, settings: Settings
    ) -> None:
        said_at = message_moment(tracker)
        today = said_at.astimezone(local_zone()).date()
        day = dates.reminder_date(requested_text(tracker), today)
        if day is None:
            dispatcher.utter_message(response="utter_reminder_ask_when")
            return
        limits = settings.reminders
        spoken = dates.spoken_date(day)
        pending = store.pending_for(tracker.sender_id)
        refused = dates.refusal(day, today, len(pending), limits.max_pending, limits.max_days)
        if refused:
            dispatcher.utter_message(
                response=f"utter_reminder_{refused}",
                date=spoken,
                max_days=limits.max_days,
                count=len(pending),
                limit=limits.max_pending,
            )
            return
        channel = channel_of(tracker.sender_id)
        due_at = dates.due_moment(day, limits.local_hour, local_zone())
        if channel == "wechat" and dates.beyond_wechat_window(due_at, said_at):
            dispatcher.utter_message(response="utter_reminder_wechat_window", date=spoken)
            return
        fire_at = said_at + dt.timedelta(seconds=limits.test_delay_seconds) if limits.test_delay_seconds else due_at
        store.add(tracker.sender_id, channel, day, fire_at, utc_now())
        dispatcher.utter_message(response="utter_reminder_set", date=spoken)
        dispatcher.utter_message(response=f"utter_reminder_via_{channel}")


def listed(reminders: tuple[Reminder, ...]) -> str:
    """1. 12月5日（周六） — one line per reminder."""
    return "\n".join(f"{i}. {dates.spoken_date(r.local_date)}" for i, r in enumerate(reminders, start=1))


class ActionListReminders(ReminderAction):
    def name(self) -> Text:
        return "action_list_reminders"

    def remind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: ReminderStore, settings: Settings
    ) -> None:
        pending = store.pending_for(tracker.sender_id)
        if pending:
            dispatcher.utter_message(response="utter_reminder_list", items=listed(pending))
        else:
            dispatcher.utter_message(response="utter_reminder_none")


class ActionCancelReminders(ReminderAction):
    def name(self) -> Text:
        return "action_cancel_reminders"

    def remind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: ReminderStore, settings: Settings
    ) -> None:
        cancelled = store.cancel_all(tracker.sender_id, utc_now())
        if cancelled:
            dispatcher.utter_message(response="utter_reminder_cancelled", count=cancelled)
        else:
            dispatcher.utter_message(response="utter_reminder_none")


class ActionCloseCase(ReminderAction):
    """解决了: thank the user and cancel what was still to come for this case."""

    def name(self) -> Text:
        return "action_close_case"

    def remind(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: ReminderStore, settings: Settings
    ) -> None:
        store.cancel_all(tracker.sender_id, utc_now())
        dispatcher.utter_message(response="utter_case_closed")


class ActionReminderDue(KnowledgeAction):
    """The due message: the case in one line, the step waited on, "有结果了吗？" with three buttons.

    Run by the Rasa server's reminder scheduler (bot/reminders/delivery.py), not by a prediction.
    """

    reminders_factory = staticmethod(reminder_store)

    def name(self) -> Text:
        return "action_reminder_due"

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        case = case_from_tracker(tracker)
        summary: Optional[str] = None
        step: Optional[str] = None
        if case.problem:
            platform = store.platform(case.wallet) if case.wallet else None
            parts = [platform.name if platform else None, store.category(case.problem).name, case.amount]
            summary = " · ".join(p for p in parts if p)
            waited = case.current_step(case_ladder(store, tracker, case.problem, case.wallet)[0])
            step = f"{waited.title}（{step_contact(waited, platform)}）"
        claimed = self.reminders_factory().claimed_for(tracker.sender_id)
        late = next((r for r in claimed if r.late), None)
        if late:
            dispatcher.utter_message(response="utter_reminder_due_late", date=dates.spoken_date(late.local_date))
        else:
            dispatcher.utter_message(response="utter_reminder_due")
        if summary and step:
            dispatcher.utter_message(response="utter_reminder_case", summary=summary, step=step)
        dispatcher.utter_message(response="utter_reminder_ask_result")
        return []
