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

Deliver = Callable[[Reminder], Awaitable[bool]]
"""Sends a claimed reminder to its user; True when it reached them."""

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
            if claimed is None:
                continue  # another server claimed it, or the user cancelled it meanwhile
            try:
                reached = await self.deliver(claimed)
            except Exception:  # a channel or the action server failing must not stop the loop
                logger.exception("Reminder %s: delivery raised; it will be retried.", claimed.id)
                reached = False
            if reached:
                await self._blocking(self.store.mark_delivered, claimed.id, self.clock())
                delivered += 1
            else:
                status = await self._blocking(
                    self.store.release, claimed.id, self.clock(), self.clock() + dt.timedelta(seconds=self.poll_seconds)
                )
                logger.warning(
                    "Reminder %s for %s was not delivered (now %s). Fix: check that channel's settings and the "
                    "action server (GET /webhooks/health/).",
                    claimed.id,
                    claimed.channel,
                    status,
                )
        return delivered

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
                    "Reminder scheduler: the reminder store failed (%s). Fix: check REMINDERS_DB_URL; "
                    "retrying in %ss.",
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
