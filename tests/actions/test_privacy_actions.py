"""action_delete_my_records on a seeded SQLite store: the user's case files go, nobody else's."""

from __future__ import annotations

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import names
from actions.case_store import CaseStore, CaseStoreUnavailable
from actions.privacy_actions import ActionDeleteMyRecords
from assistant_core.records import CaseRecord
from tests.conftest import user_event


def tracker_of(sender_id: str) -> Tracker:
    latest = user_event("affirm", "确认删除")
    return Tracker(sender_id, {}, latest["parse_data"], [latest], False, None, {}, "action_listen")


async def test_confirmed_deletion_removes_only_that_users_case_files(action_env: str, case_files: CaseStore) -> None:
    cases = case_files
    cases.save(CaseRecord("rest:alice", "alipay", "topup_failure", order_id="2026112500001"))
    cases.save(CaseRecord("rest:alice", "jd_wallet", "fund_security"))
    cases.save(CaseRecord("telegram:alice", "alipay", "topup_failure", order_id="2026112500002"))

    events = await ActionDeleteMyRecords().run(CollectingDispatcher(), tracker_of("rest:alice"), {})

    assert events == [SlotSet(names.SLOT_RECORDS_DELETED, True)]
    assert cases.get("rest:alice", "alipay", "topup_failure") is None
    assert cases.get("rest:alice", "jd_wallet", "fund_security") is None
    kept = cases.get("telegram:alice", "alipay", "topup_failure")
    assert kept is not None and kept.order_id == "2026112500002"


async def test_when_the_store_is_down_nothing_is_deleted_and_the_rules_apologise(action_env: str) -> None:
    class DownStore:
        def delete_conversation(self, conversation_id: str) -> int:
            raise CaseStoreUnavailable("connection refused")

    action = ActionDeleteMyRecords()
    action.cases_factory = DownStore  # type: ignore[assignment]
    events = await action.run(CollectingDispatcher(), tracker_of("rest:bob"), {})
    assert events == [SlotSet(names.SLOT_RECORDS_DELETED, False)]
