"""The durable reminder store: pending reminders survive, each is claimed by exactly one server, late ones say so."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from pathlib import Path
from typing import List

import pytest

from assistant_core.reminder_store import (
    CANCELLED,
    CLAIMED,
    DELIVERED,
    FAILED,
    HELD,
    MAX_ATTEMPTS,
    PENDING,
    Reminder,
    ReminderStore,
    reminder_engine,
)
from bot.reminders import scheduler as scheduler_module
from bot.reminders.scheduler import ReminderScheduler

NOW = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.timezone.utc)
DAY = dt.date(2026, 12, 5)
LATE_AFTER = dt.timedelta(minutes=10)


def new_store(path: Path) -> ReminderStore:
    """A store with its own engine (as another server would have) on the same database file."""
    return ReminderStore(reminder_engine(f"sqlite:///{path / 'reminders.db'}"))


@pytest.fixture
def store(tmp_path: Path) -> ReminderStore:
    return new_store(tmp_path)


def test_a_reminder_is_kept_until_due(store: ReminderStore, tmp_path: Path) -> None:
    added = store.add("telegram:5566", "telegram", DAY, NOW + dt.timedelta(hours=1), NOW)
    reopened = new_store(tmp_path)  # a restarted server
    assert reopened.pending_for("telegram:5566") == (added,)
    assert reopened.due(NOW) == ()
    assert reopened.due(NOW + dt.timedelta(hours=1)) == (added,)
    assert reopened.next_due_at() == NOW + dt.timedelta(hours=1)


def test_users_see_and_cancel_only_their_own(store: ReminderStore) -> None:
    store.add("telegram:1", "telegram", DAY, NOW, NOW)
    store.add("telegram:1", "telegram", DAY + dt.timedelta(days=1), NOW, NOW)
    other = store.add("rest:1", "rest", DAY, NOW, NOW)
    assert [r.local_date for r in store.pending_for("telegram:1")] == [DAY, DAY + dt.timedelta(days=1)]
    assert store.cancel_all("telegram:1", NOW) == 2
    assert store.pending_for("telegram:1") == ()
    assert store.pending_for("rest:1") == (other,)
    assert store.claim(other.id, "a", NOW, LATE_AFTER) is not None
    assert store.cancel_all("rest:1", NOW) == 0  # being fired: no longer cancellable


def test_a_cancelled_reminder_is_never_claimed(store: ReminderStore) -> None:
    reminder = store.add("telegram:1", "telegram", DAY, NOW, NOW)
    store.cancel_all("telegram:1", NOW)
    assert store.get(reminder.id).status == CANCELLED
    assert store.claim(reminder.id, "a", NOW, LATE_AFTER) is None
    assert store.due(NOW) == ()


def test_two_servers_claiming_at_once_fire_each_reminder_exactly_once(tmp_path: Path) -> None:
    first, second = new_store(tmp_path), new_store(tmp_path)
    ids = [first.add(f"telegram:{i}", "telegram", DAY, NOW, NOW).id for i in range(30)]
    wins: dict[str, List[int]] = {"a": [], "b": []}
    start = threading.Barrier(2)

    def claimer(name: str, store: ReminderStore) -> None:
        start.wait()
        for reminder_id in ids:
            if store.claim(reminder_id, name, NOW, LATE_AFTER) is not None:
                wins[name].append(reminder_id)

    threads = [threading.Thread(target=claimer, args=(n, s)) for n, s in (("a", first), ("b", second))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(wins["a"] + wins["b"]) == ids
    assert not set(wins["a"]) & set(wins["b"])
    assert {first.get(i).claimed_by for i in wins["a"]} <= {"a"}


def test_late_only_when_fired_well_past_its_time(store: ReminderStore) -> None:
    on_time = store.add("telegram:1", "telegram", DAY, NOW, NOW)
    missed = store.add("telegram:2", "telegram", DAY, NOW - dt.timedelta(hours=3), NOW)
    claimed_on_time = store.claim(on_time.id, "a", NOW + dt.timedelta(seconds=30), LATE_AFTER)
    claimed_missed = store.claim(missed.id, "a", NOW, LATE_AFTER)
    assert claimed_on_time is not None and not claimed_on_time.late
    assert claimed_missed is not None and claimed_missed.late
    assert store.claimed_for("telegram:2") == (claimed_missed,)


def test_failed_deliveries_are_retried_a_few_times_then_given_up(store: ReminderStore) -> None:
    reminder = store.add("telegram:1", "telegram", DAY, NOW, NOW)
    for attempt in range(1, MAX_ATTEMPTS + 1):
        assert store.claim(reminder.id, "a", NOW, LATE_AFTER) is not None
        status = store.release(reminder.id, NOW)
        assert status == (FAILED if attempt == MAX_ATTEMPTS else PENDING)
    assert store.due(NOW) == ()


def scheduler(store: ReminderStore, delivered: List[Reminder], name: str, now: dt.datetime) -> ReminderScheduler:
    async def deliver(reminder: Reminder) -> str:
        await asyncio.sleep(0)  # let the other server's pass run in between
        delivered.append(reminder)
        return scheduler_module.DELIVERED

    return ReminderScheduler(store, deliver, name, poll_seconds=1, late_after_seconds=600, clock=lambda: now)


def test_a_restarted_server_fires_what_was_pending_once_and_marks_the_missed_one_late(tmp_path: Path) -> None:
    before = new_store(tmp_path)
    missed = before.add("telegram:1", "telegram", DAY, NOW - dt.timedelta(hours=2), NOW - dt.timedelta(days=3))
    upcoming = before.add("telegram:2", "telegram", DAY, NOW + dt.timedelta(hours=2), NOW - dt.timedelta(days=3))
    delivered: List[Reminder] = []
    after_restart = scheduler(new_store(tmp_path), delivered, "a", NOW)
    assert asyncio.run(after_restart.fire_due()) == 1
    assert asyncio.run(after_restart.fire_due()) == 0
    assert [(r.id, r.late) for r in delivered] == [(missed.id, True)]
    assert before.get(missed.id).status == DELIVERED
    assert before.get(upcoming.id).status == PENDING


def test_two_schedulers_on_one_database_deliver_each_reminder_once(tmp_path: Path) -> None:
    seed = new_store(tmp_path)
    ids = [seed.add(f"telegram:{i}", "telegram", DAY, NOW, NOW).id for i in range(10)]
    delivered: List[Reminder] = []

    async def both() -> None:
        await asyncio.gather(
            scheduler(new_store(tmp_path), delivered, "a", NOW).fire_due(),
            scheduler(new_store(tmp_path), delivered, "b", NOW).fire_due(),
        )

    asyncio.run(both())
    assert sorted(r.id for r in delivered) == ids
    assert {seed.get(i).status for i in ids} == {DELIVERED}


def test_an_undelivered_reminder_goes_back_to_pending_for_a_retry(store: ReminderStore) -> None:
    reminder = store.add("telegram:1", "telegram", DAY, NOW, NOW)

    async def refuse(_: Reminder) -> str:
        return scheduler_module.RETRY

    loop = ReminderScheduler(store, refuse, "a", poll_seconds=5, late_after_seconds=600, clock=lambda: NOW)
    assert asyncio.run(loop.fire_due()) == 0
    again = store.get(reminder.id)
    assert again.status == PENDING and again.due_at == NOW + dt.timedelta(seconds=scheduler_module.RETRY_SECONDS)
    assert store.get(reminder.id).status != CLAIMED


def test_a_widget_reminder_is_held_until_the_user_is_back_then_sent_once(tmp_path: Path) -> None:
    store = new_store(tmp_path)
    reminder = store.add("webchat:abc", "webchat", DAY, NOW, NOW)
    connected = {"now": False}
    sent: List[Reminder] = []

    async def deliver(claimed: Reminder) -> str:
        if not connected["now"]:
            return scheduler_module.HELD
        sent.append(claimed)
        return scheduler_module.DELIVERED

    loop = ReminderScheduler(store, deliver, "a", poll_seconds=1, late_after_seconds=600, clock=lambda: NOW)
    assert asyncio.run(loop.fire_due()) == 0
    assert store.get(reminder.id).status == HELD
    assert asyncio.run(loop.fire_due()) == 0 and sent == []  # held: not polled again
    connected["now"] = True
    other_server = ReminderScheduler(new_store(tmp_path), deliver, "b", 1, 600, clock=lambda: NOW)

    async def both_see_the_visit() -> None:
        await asyncio.gather(loop.deliver_held("webchat:abc"), other_server.deliver_held("webchat:abc"))

    asyncio.run(both_see_the_visit())
    assert [r.id for r in sent] == [reminder.id]
    assert store.get(reminder.id).status == DELIVERED


def test_a_claim_is_still_held_only_by_its_server_until_erased_or_taken_back(store: ReminderStore) -> None:
    reminder = store.add("webchat:abc", "webchat", DAY, NOW, NOW)
    claimed = store.claim(reminder.id, "a", NOW, LATE_AFTER)
    assert claimed is not None and store.still_claimed(reminder.id, "a")
    assert not store.still_claimed(reminder.id, "b")
    store.delete_conversation("webchat:abc")  # the user deleted their records meanwhile
    assert not store.still_claimed(reminder.id, "a")
    assert store.claim(reminder.id, "a", NOW, LATE_AFTER) is None  # found due, erased before the claim


def test_stale_claims_go_back_to_pending_still_due_and_late_or_fail_after_the_last_attempt(
    store: ReminderStore,
) -> None:
    crashed = store.add("telegram:1", "telegram", DAY, NOW, NOW)
    store.claim(crashed.id, "dead", NOW, LATE_AFTER)
    later = NOW + dt.timedelta(hours=2)
    assert store.release_stale_claims(later - dt.timedelta(hours=1), later, release_them=False) == 1
    assert store.release_stale_claims(later - dt.timedelta(hours=1), later) == 1
    assert store.due(later) == (store.get(crashed.id),)
    retried = store.claim(crashed.id, "b", later, LATE_AFTER)
    assert retried is not None and retried.late and retried.attempts == 2
    store.release(crashed.id, later)
    store.claim(crashed.id, "dead", later, LATE_AFTER)  # the last attempt, and its server dies too
    much_later = later + dt.timedelta(hours=2)
    assert store.release_stale_claims(much_later - dt.timedelta(hours=1), much_later) == 1
    assert store.get(crashed.id).status == FAILED
