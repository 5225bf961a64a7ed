"""Rasa's REST channel, guarded: masking, junk refusal and the outage apology.

Mounted at /webhooks/rest/webhook (credentials.yml: `bot.channels.rest.GuardedRestInput`).
"""

from __future__ import annotations

import json
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

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
        blueprint = super().blueprint(guarded(on_new_message, self.turn_budget_seconds))

        @blueprint.middleware("request")
        async def refuse_malformed_bodies(request: Request) -> Optional[HTTPResponse]:
            """RestInput assumes a JSON object; anything else is a 400, not a crash."""
            if request.method != "POST":
                return None
            problem = malformed_body_problem(request.body)
            return response.json({"error": problem}, status=400) if problem else None

        return blueprint


def malformed_body_problem(body: bytes) -> Optional[str]:
    """Why a webhook body is unusable, or None when it is a proper {"sender", "message"} object."""
    try:
        payload = json.loads(body.decode("utf-8")) if body else None
    except (UnicodeDecodeError, ValueError):
        return "body must be UTF-8 JSON"
    if not isinstance(payload, dict):
        return 'body must be a JSON object like {"sender": "user-1", "message": "你好"}'
    if not isinstance(payload.get("message", ""), str):
        return "'message' must be a string"
    if not isinstance(payload.get("sender", ""), (str, int)) or isinstance(payload.get("sender"), bool):
        return "'sender' must be a string"
    return None
