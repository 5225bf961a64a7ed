"""The durable reminder loop each Rasa server runs: find due reminders, claim, deliver.

Rasa's own `ReminderScheduled` keeps jobs in APScheduler's in-memory store (rasa/core/jobs.py):
a restart loses them and every server fires its own copy. Here the reminders live in SQL
(`assistant_core.reminder_store`); at start-up the first pass finds everything still pending (a
reminder whose time passed while every server was down fires then, marked late), and a
reminder is fired only by the one server whose claim changed its row.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from typing import Any, Awaitable, Callable, Optional, TypeVar

from assistant_core.clock import utc_now
from assistant_core.reminder_store import Reminder, ReminderStore

logger = logging.getLogger(__name__)

DELIVERED, RETRY, HELD, GONE = "delivered", "retry", "held", "gone"
RETRY_SECONDS = 60.0
"""The first retry of a failed delivery comes this long after it (then twice as long, …)."""
Deliver = Callable[[Reminder], Awaitable[str]]
"""Sends a claimed reminder to its user: DELIVERED, RETRY (failed; try again later), HELD (the user is
not connected now; send it when they come back) or GONE (erased with its conversation, or no longer this
server's claim, while it waited for the conversation's lock: nothing to send, nothing to record)."""

T = TypeVar("T")


class ReminderScheduler:
    """Polls the store every `poll_seconds` (sooner when a reminder is due sooner) and fires due ones."""

    def __init__(
        self,
        store: ReminderStore,
        deliver: Deliver,
        server_id: str,
        poll_seconds: float,
        late_after_seconds: float,
        clock: Callable[[], dt.datetime] = utc_now,
    ) -> None:
        self.store = store
        self.deliver = deliver
        self.server_id = server_id
        self.poll_seconds = poll_seconds
        self.late_after = dt.timedelta(seconds=late_after_seconds)
        self.clock = clock
        self._task: Optional[asyncio.Task[None]] = None

    async def _blocking(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(None, functools.partial(function, *args))

    async def fire_due(self) -> int:
        """One pass: claim and deliver every due reminder this server wins; how many it delivered."""
        delivered = 0
        for reminder in await self._blocking(self.store.due, self.clock()):
            claimed = await self._blocking(self.store.claim, reminder.id, self.server_id, self.clock(), self.late_after)
            if claimed is not None:  # else another server claimed it, or the user cancelled it meanwhile
                delivered += await self._send(claimed)
        return delivered

    async def deliver_held(self, conversation_id: str) -> int:
        """A user is back (the widget reconnected): send what was kept for them; how many."""
        delivered = 0
        for claimed in await self._blocking(self.store.claim_held, conversation_id, self.server_id, self.clock()):
            delivered += await self._send(claimed)
        return delivered

    async def _send(self, claimed: Reminder) -> int:
        try:
            outcome = await self.deliver(claimed)
        except Exception:  # a channel or the action server failing must not stop the loop
            logger.exception("Reminder %s: delivery raised; it will be retried.", claimed.id)
            outcome = RETRY
        if outcome == DELIVERED:
            await self._blocking(self.store.mark_delivered, claimed.id, self.clock())
            return 1
        if outcome == GONE:
            logger.info("Reminder %s: its conversation was deleted or it was claimed again; not sent.", claimed.id)
            return 0
        if outcome == HELD:
            await self._blocking(self.store.hold, claimed.id, self.clock())
            logger.info("Reminder %s: %s is not connected; kept for their next visit.", claimed.id, claimed.channel)
            return 0
        # Back off: an action server or channel being restarted gets minutes, not seconds, to come back.
        retry_at = self.clock() + dt.timedelta(seconds=max(self.poll_seconds, RETRY_SECONDS) * claimed.attempts)
        status = await self._blocking(self.store.release, claimed.id, self.clock(), retry_at)
        logger.warning(
            "Reminder %s for %s was not delivered (now %s). Fix: check that channel's settings and the "
            "action server (GET /webhooks/health/).",
            claimed.id,
            claimed.channel,
            status,
        )
        return 0

    async def _seconds_to_next(self) -> float:
        next_due = await self._blocking(self.store.next_due_at)
        if next_due is None:
            return self.poll_seconds
        return min(self.poll_seconds, max(0.05, (next_due - self.clock()).total_seconds()))

    async def run(self) -> None:
        """Fire due reminders until cancelled; a database outage is logged and retried."""
        pending = await self._blocking(self.store.next_due_at)
        logger.info(
            "Reminder scheduler %s armed from the reminder store (next due: %s; polling every %ss).",
            self.server_id,
            pending.isoformat() if pending else "none",
            self.poll_seconds,
        )
        while True:
            try:
                await self.fire_due()
                wait = await self._seconds_to_next()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                logger.error(
                    "Reminder scheduler: the reminder store failed (%s). Fix: check REMINDERS_DB_URL; retrying in %ss.",
                    exc,
                    self.poll_seconds,
                )
                wait = self.poll_seconds
            await asyncio.sleep(wait)

    def start(self) -> None:
        """Run in the background of the current event loop."""
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self.run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            try:
                await self._task
            except asyncio.CancelledError:
                pass
            self._task = None
