"""The tracker store deletes a conversation when the user's deletion went through (bot/stores.py),
and the website widget is told to forget the copy it keeps in the browser (actions/privacy_actions.py)."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, SlotSet, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet as SdkSlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import names
from actions.case_store import CaseStore, CaseStoreUnavailable
from actions.privacy_actions import ActionDeleteMyRecords
from bot.stores import UrlSQLTrackerStore
from tests.conftest import user_event

ROOT = Path(__file__).resolve().parents[2]


def conversation(sender_id: str, text: str) -> DialogueStateTracker:
    return DialogueStateTracker.from_events(
        sender_id, [ActionExecuted("action_listen"), UserUttered(text, {"name": "report_topup_failure"})]
    )


def rows(url: str, sender_id: str) -> int:
    with sa.create_engine(url).connect() as conn:
        return int(conn.execute(sa.text("SELECT count(*) FROM events WHERE sender_id = :s"), {"s": sender_id}).scalar())


async def test_a_confirmed_deletion_removes_every_row_and_the_next_message_starts_fresh(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = UrlSQLTrackerStore(domain=Domain.load(str(ROOT / "domain.yml")), host=url)
    mine = conversation("rest:5566", "订单号2026112512345678充值没到账")
    await store.save(mine)
    await store.save(conversation("telegram:5566", "支付宝充值失败"))
    assert rows(url, "rest:5566") == 2

    mine.update(SlotSet("records_deleted", True))
    await store.save(mine)

    assert rows(url, "rest:5566") == 0
    assert await store.retrieve("rest:5566") is None
    assert rows(url, "telegram:5566") == 2


async def test_a_failed_deletion_keeps_the_conversation(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'tracker.db'}"
    store = UrlSQLTrackerStore(domain=Domain.load(str(ROOT / "domain.yml")), host=url)
    mine = conversation("rest:77", "支付宝充值失败")
    mine.update(SlotSet("records_deleted", False))
    await store.save(mine)
    assert rows(url, "rest:77") == 3


async def test_the_website_widget_is_told_to_forget_its_copy_and_only_it(
    action_env: str, case_files: CaseStore
) -> None:
    for sender_id, signalled in (("webchat:" + "ab" * 16, True), ("telegram:5566", False)):
        dispatcher = CollectingDispatcher()
        events = await ActionDeleteMyRecords().run(dispatcher, tracker_of(sender_id), {})
        assert events == [SdkSlotSet(names.SLOT_RECORDS_DELETED, True)]
        assert [m["custom"] for m in dispatcher.messages if m.get("custom")] == (
            [{"records_deleted": True}] if signalled else []
        )


async def test_a_failed_deletion_does_not_tell_the_widget_to_forget(action_env: str) -> None:
    class DownStore:
        def delete_conversation(self, conversation_id: str) -> int:
            raise CaseStoreUnavailable("connection refused")

    action, dispatcher = ActionDeleteMyRecords(), CollectingDispatcher()
    action.cases_factory = DownStore  # type: ignore[assignment]
    await action.run(dispatcher, tracker_of("webchat:" + "cd" * 16), {})
    assert dispatcher.messages == []


def tracker_of(sender_id: str) -> Tracker:
    latest = user_event("affirm", "确认删除")
    return Tracker(sender_id, {}, latest["parse_data"], [latest], False, None, {}, "action_listen")
