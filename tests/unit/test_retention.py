"""The operator's purge (actions/retention.py): old conversations and case files go, recent ones stay."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from actions import retention
from actions.case_store import CaseStore
from actions.knowledge.store import make_engine
from assistant_core.records import CaseRecord
from assistant_core.reminder_store import MAX_ATTEMPTS, ReminderStore, reminder_engine
from bot.stores import UrlSQLTrackerStore

ROOT = Path(__file__).resolve().parents[2]
DAY = 86400.0


async def save_conversation(store: UrlSQLTrackerStore, sender_id: str, *days_ago: float) -> None:
    """One conversation with a turn on each of the given days."""
    events = []
    for days in days_ago:
        at = time.time() - days * DAY
        events += [ActionExecuted("action_listen", timestamp=at), UserUttered("支付宝充值失败", timestamp=at + 1)]
    await store.save(DialogueStateTracker.from_events(sender_id, events))


def senders(url: str) -> set[str]:
    with sa.create_engine(url).connect() as conn:
        return {row[0] for row in conn.execute(sa.text("SELECT DISTINCT sender_id FROM events"))}


@pytest.fixture
async def databases(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    knowledge_url = f"sqlite:///{tmp_path / 'knowledge.db'}"
    store = UrlSQLTrackerStore(domain=Domain.load(str(ROOT / "domain.yml")), host=tracker_url)
    await save_conversation(store, "telegram:old", 200)
    await save_conversation(store, "wechat:recent", 3)
    # Started long ago but still going: its latest event is recent, so it stays.
    await save_conversation(store, "rest:ongoing", 400, 1)
    cases = CaseStore(make_engine(knowledge_url))
    now = dt.datetime.now(dt.timezone.utc)
    cases.save(CaseRecord("telegram:old", "alipay", "topup_failure"), now=now - dt.timedelta(days=200))
    cases.save(CaseRecord("wechat:recent", "alipay", "topup_failure"), now=now - dt.timedelta(days=3))
    reminders = ReminderStore(reminder_engine(knowledge_url))
    for days in (200, 3):
        added = reminders.add("telegram:old", "telegram", dt.date(2026, 1, 1), now, now - dt.timedelta(days=days))
        reminders.cancel_all("telegram:old", now - dt.timedelta(days=days))
    reminders.add("telegram:old", "telegram", dt.date(2026, 1, 1), now, now - dt.timedelta(days=200))  # pending
    assert added.id == 2
    monkeypatch.setenv("TRACKER_STORE_URL", tracker_url)
    monkeypatch.setenv("KNOWLEDGE_DB_URL", knowledge_url)
    monkeypatch.setenv("CASES_DB_URL", knowledge_url)
    monkeypatch.delenv("REMINDERS_DB_URL", raising=False)
    monkeypatch.delenv("RETENTION_DAYS", raising=False)
    return tracker_url, knowledge_url


def test_purge_deletes_what_is_older_than_the_default_180_days(
    databases: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    tracker_url, knowledge_url = databases
    assert retention.main(["purge"]) == 0
    summary = "Deleted 1 conversation(s) (2 tracker rows) and 1 case file(s) and 1 finished reminder(s) older than"
    assert summary in capsys.readouterr().out
    kept = ReminderStore(reminder_engine(knowledge_url))
    assert [r.status for r in kept.pending_for("telegram:old")] == ["pending"]  # still to come: kept
    assert kept.get(2).status == "cancelled"  # finished 3 days ago: kept
    assert senders(tracker_url) == {"wechat:recent", "rest:ongoing"}
    cases = CaseStore(make_engine(knowledge_url))
    assert cases.get("telegram:old", "alipay", "topup_failure") is None
    assert cases.get("wechat:recent", "alipay", "topup_failure") is not None


def test_dry_run_counts_and_keeps_everything(databases: tuple[str, str], capsys: pytest.CaptureFixture[str]) -> None:
    tracker_url, _ = databases
    assert retention.main(["purge", "--older-than-days", "2", "--dry-run"]) == 0
    assert "Would delete 2 conversation(s)" in capsys.readouterr().out
    assert senders(tracker_url) == {"telegram:old", "wechat:recent", "rest:ongoing"}


def test_the_age_comes_from_retention_days(
    databases: tuple[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tracker_url, _ = databases
    monkeypatch.setenv("RETENTION_DAYS", "2")
    assert retention.main(["purge"]) == 0
    assert "older than 2 days" in capsys.readouterr().out
    assert senders(tracker_url) == {"rest:ongoing"}


def test_a_bad_age_is_refused_with_the_key_to_fix(
    databases: tuple[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("RETENTION_DAYS", "half a year")
    assert retention.main(["purge"]) == 2
    assert "RETENTION_DAYS" in capsys.readouterr().err


def test_an_unreachable_database_is_reported_with_the_fix(
    databases: tuple[str, str], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("TRACKER_STORE_URL", "postgresql://nobody:x@127.0.0.1:1/none")
    assert retention.main(["purge"]) == 1
    assert "TRACKER_STORE_URL" in capsys.readouterr().err


async def test_conversations_stored_before_the_upgrade_are_qualified_by_their_channel(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    tracker_url = f"sqlite:///{tmp_path / 'tracker.db'}"
    knowledge_url = f"sqlite:///{tmp_path / 'knowledge.db'}"
    store = UrlSQLTrackerStore(domain=Domain.load(str(ROOT / "domain.yml")), host=tracker_url)
    for sender, channel in (("5566", "telegram"), ("oOpenid_1", "wechat"), ("rest:new", "rest"), ("x", "cmdline")):
        events = [ActionExecuted("action_listen"), UserUttered("支付宝充值失败", input_channel=channel)]
        await store.save(DialogueStateTracker.from_events(sender, events))
    CaseStore(make_engine(knowledge_url)).save(CaseRecord("5566", "alipay", "topup_failure", order_id="123"))
    monkeypatch.setenv("TRACKER_STORE_URL", tracker_url)
    monkeypatch.setenv("KNOWLEDGE_DB_URL", knowledge_url)
    monkeypatch.setenv("CASES_DB_URL", knowledge_url)

    assert retention.main(["qualify-ids"]) == 0
    assert "Qualified 2 old conversation id(s)" in capsys.readouterr().out
    assert senders(tracker_url) == {"telegram:5566", "wechat:oOpenid_1", "rest:new", "x"}
    case = CaseStore(make_engine(knowledge_url)).get("telegram:5566", "alipay", "topup_failure")
    assert case is not None and case.order_id == "123"
    assert await store.retrieve("telegram:5566") is not None

    assert retention.main(["qualify-ids"]) == 0
    assert "Qualified 0 old conversation id(s)" in capsys.readouterr().out


def test_claims_of_a_server_that_died_mid_delivery_are_retried_or_given_up(
    databases: tuple[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    _, knowledge_url = databases
    reminders = ReminderStore(reminder_engine(knowledge_url))
    now = dt.datetime.now(dt.timezone.utc)
    two_hours_ago, just_now = now - dt.timedelta(hours=2), now - dt.timedelta(minutes=5)
    late_after = dt.timedelta(minutes=10)
    crashed = reminders.add("telegram:7", "telegram", dt.date(2026, 1, 1), two_hours_ago, two_hours_ago)
    reminders.claim(crashed.id, "dead-server", two_hours_ago, late_after)
    exhausted = reminders.add("telegram:8", "telegram", dt.date(2026, 1, 1), two_hours_ago, two_hours_ago)
    for _ in range(MAX_ATTEMPTS - 1):
        reminders.claim(exhausted.id, "dead-server", two_hours_ago, late_after)
        reminders.release(exhausted.id, two_hours_ago)
    reminders.claim(exhausted.id, "dead-server", two_hours_ago, late_after)
    in_flight = reminders.add("telegram:9", "telegram", dt.date(2026, 1, 1), just_now, just_now)
    reminders.claim(in_flight.id, "live-server", just_now, late_after)

    assert retention.main(["purge", "--dry-run"]) == 0
    assert "Would release 2 reminder(s) claimed by a server that stopped" in capsys.readouterr().out
    assert reminders.get(crashed.id).status == "claimed"

    assert retention.main(["purge"]) == 0
    assert "Released 2 reminder(s) claimed by a server that stopped" in capsys.readouterr().out
    retried = reminders.get(crashed.id)
    assert (retried.status, retried.claimed_by) == ("pending", None)
    assert retried in reminders.due(now)  # fired on the next pass, by any server
    assert reminders.get(exhausted.id).status == "failed"
    assert reminders.get(in_flight.id).status == "claimed"  # still being delivered: left alone
