"""A reminder firing during "删除我的记录" cannot bring the conversation back (bot/reminders/delivery.py).

The reminder's delivery waits for the conversation's lock (the one Rasa takes for each user
message, so for the deletion turn too) and, once it holds it, sends only if its claim survived.
Real ReminderStore on SQLite and Rasa's InMemoryLockStore; the agent's processor is a fake
that records which actions ran.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path
from types import SimpleNamespace
from typing import Any, List, Optional, Tuple

import pytest
from rasa.core.lock_store import InMemoryLockStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered
from rasa.shared.core.trackers import DialogueStateTracker

from assistant_core.reminder_store import CLAIMED, DELIVERED, ReminderStore, reminder_engine
from bot.reminders.delivery import ACTION_REMINDER_DUE, Delivery
from bot.reminders.scheduler import ReminderScheduler

ROOT = Path(__file__).resolve().parents[2]
NOW = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.timezone.utc)
CONVERSATION = "rest:5566"


class FakeProcessor:
    """Records each action run in a conversation, as if the action server answered."""

    def __init__(self) -> None:
        self.ran: List[Tuple[str, str]] = []

    async def execute_action(self, conversation_id: str, action: str, *_: Any) -> Optional[DialogueStateTracker]:
        self.ran.append((conversation_id, action))
        events = [ActionExecuted(action)] + ([BotUttered("有结果了吗？")] if action == ACTION_REMINDER_DUE else [])
        return DialogueStateTracker.from_events(conversation_id, events)


@pytest.fixture(scope="module")
def domain() -> Domain:
    return Domain.load(str(ROOT / "domain.yml"))


@pytest.fixture
def store(tmp_path: Path) -> ReminderStore:
    return ReminderStore(reminder_engine(f"sqlite:///{tmp_path / 'reminders.db'}"))


def server(store: ReminderStore, domain: Domain) -> Tuple[ReminderScheduler, InMemoryLockStore, FakeProcessor]:
    """A Rasa server's reminder loop, its lock store and what its processor ran."""
    processor, locks = FakeProcessor(), InMemoryLockStore()
    agent = SimpleNamespace(is_ready=lambda: True, lock_store=locks, domain=domain, processor=processor, nlg=None)
    app = SimpleNamespace(ctx=SimpleNamespace(agent=agent))
    loop = ReminderScheduler(store, Delivery(app, store), "a", 1, 600, clock=lambda: NOW)  # type: ignore[arg-type]
    return loop, locks, processor


async def claimed(store: ReminderStore, reminder_id: int) -> None:
    """Wait until the scheduler has claimed the reminder (it then waits for the lock)."""
    for _ in range(200):
        if store.get(reminder_id).status == CLAIMED:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the reminder was never claimed")


async def test_a_reminder_firing_during_the_deletion_turn_is_dropped_not_sent(
    store: ReminderStore, domain: Domain
) -> None:
    reminder = store.add(CONVERSATION, "rest", dt.date(2026, 12, 2), NOW, NOW)
    loop, locks, processor = server(store, domain)
    async with locks.lock(CONVERSATION):  # the user's "确认删除" turn
        firing = asyncio.ensure_future(loop.fire_due())
        await claimed(store, reminder.id)
        await asyncio.sleep(0.1)
        assert processor.ran == []  # it waits for the turn to end
        # action_delete_my_records, then the tracker store deletes the conversation
        store.delete_conversation(CONVERSATION)
    assert await asyncio.wait_for(firing, 10) == 0
    assert processor.ran == []  # nothing ran, so nothing wrote the conversation back
    assert store.pending_for(CONVERSATION) == () and store.claimed_for(CONVERSATION) == ()


async def test_a_reminder_waits_for_the_users_turn_then_is_sent(store: ReminderStore, domain: Domain) -> None:
    reminder = store.add(CONVERSATION, "rest", dt.date(2026, 12, 2), NOW, NOW)
    loop, locks, processor = server(store, domain)
    async with locks.lock(CONVERSATION):  # the user is mid-turn
        firing = asyncio.ensure_future(loop.fire_due())
        await claimed(store, reminder.id)
        await asyncio.sleep(0.1)
        assert processor.ran == []
    assert await asyncio.wait_for(firing, 10) == 1
    assert processor.ran == [(CONVERSATION, ACTION_REMINDER_DUE), (CONVERSATION, "action_listen")]
    assert store.get(reminder.id).status == DELIVERED


async def test_a_claim_taken_back_meanwhile_is_not_sent_twice(store: ReminderStore, domain: Domain) -> None:
    reminder = store.add(CONVERSATION, "rest", dt.date(2026, 12, 2), NOW, NOW)
    loop, locks, processor = server(store, domain)
    async with locks.lock(CONVERSATION):
        firing = asyncio.ensure_future(loop.fire_due())
        await claimed(store, reminder.id)
        # the purge judged this server dead and another server claimed the reminder again
        store.release_stale_claims(NOW + dt.timedelta(hours=2), NOW + dt.timedelta(hours=2))
        store.claim(reminder.id, "b", NOW + dt.timedelta(hours=2), dt.timedelta(minutes=10))
    assert await asyncio.wait_for(firing, 10) == 0
    assert processor.ran == []
    assert store.get(reminder.id).claimed_by == "b"
