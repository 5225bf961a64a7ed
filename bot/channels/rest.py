"""Rasa's REST channel, guarded: masking, junk refusal and the outage apology.

Mounted at /webhooks/rest/webhook (credentials.yml: `bot.channels.rest.GuardedRestInput`).
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint

from bot.channels.guard import DEFAULT_TURN_BUDGET_SECONDS, guarded


class GuardedRestInput(RestInput):
    """POST {"sender", "message"} → the bot's messages as JSON, never an empty list."""

    def __init__(self, turn_budget_seconds: float = DEFAULT_TURN_BUDGET_SECONDS) -> None:
        self.turn_budget_seconds = turn_budget_seconds

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "GuardedRestInput":
        budget = (credentials or {}).get("turn_budget_seconds", DEFAULT_TURN_BUDGET_SECONDS)
        return cls(turn_budget_seconds=float(budget))

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        return super().blueprint(guarded(on_new_message, self.turn_budget_seconds))
