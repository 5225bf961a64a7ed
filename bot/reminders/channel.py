"""Mounts the durable reminder scheduler in every `rasa run` (credentials.yml: bot.reminders.channel.ReminderInput).

Not a chat channel: its blueprint starts the scheduler once the model is loaded and stops it
with the server. GET /webhooks/reminders/ tells an operator when the next reminder is due.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant_core.reminder_store import ReminderStore, reminder_engine
from assistant_core.settings import Settings
from bot.reminders.delivery import OUTPUTS_KEY, Delivery
from bot.reminders.scheduler import ReminderScheduler

logger = logging.getLogger(__name__)


class ReminderInput(InputChannel):
    """Runs the reminder scheduler inside the Rasa server."""

    def __init__(self) -> None:
        self.scheduler: Optional[ReminderScheduler] = None

    @classmethod
    def name(cls) -> Text:
        return "reminders"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "ReminderInput":
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        reminders = Blueprint("reminders_webhook", __name__)

        @reminders.route("/", methods=["GET"])
        async def status(_: Request) -> HTTPResponse:
            if self.scheduler is None:
                return response.json({"status": "not started"}, status=503)
            next_due = await asyncio.get_running_loop().run_in_executor(None, self.scheduler.store.next_due_at)
            return response.json({"status": "ok", "next_due": next_due.isoformat() if next_due else None})

        @reminders.listener("after_server_start")
        async def start(app: Sanic, _: asyncio.AbstractEventLoop) -> None:
            settings = Settings.from_env()
            store = ReminderStore(reminder_engine(settings.reminders_db_url))
            self.scheduler = ReminderScheduler(
                store,
                Delivery(app, store),
                server_id=f"{socket.gethostname()}:{os.getpid()}",
                poll_seconds=settings.reminders.poll_seconds,
                late_after_seconds=settings.reminders.late_after_seconds,
            )
            if settings.reminders.test_delay_seconds:
                logger.warning(
                    "REMINDER_TEST_DELAY_SECONDS=%s: reminders fire seconds after they are set. Tests only; "
                    "set it to 0 in production.",
                    settings.reminders.test_delay_seconds,
                )
            for channel in (getattr(app.ctx, OUTPUTS_KEY, None) or {}).values():
                if hasattr(channel, "on_visit"):
                    channel.on_visit = self.scheduler.deliver_held
            self.scheduler.start()

        @reminders.listener("before_server_stop")
        async def stop(app: Sanic, _: asyncio.AbstractEventLoop) -> None:
            if self.scheduler is not None:
                await self.scheduler.stop()

        return reminders
