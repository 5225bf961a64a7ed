"""Rasa's REST channel, for integrations and tests: authenticated, in its own conversations, guarded.

Mounted at /webhooks/rest/webhook (credentials.yml: `bot.channels.rest.GuardedRestInput`).
- With REST_API_TOKEN set every call needs `Authorization: Bearer <token>`; without it only
  direct calls from this machine are answered (`bot.channels.rest_access`).
- `{"sender": "x"}` talks in the conversation `rest:x`, never in another channel's.
- Bodies over MAX_REQUEST_BYTES get 413 before they are read (`bot.channels.limits`).
- Masking, junk refusal, the rate limit and the outage apology come from the shared guard.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Awaitable, Callable, Dict, Optional, Text

from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant_core import settings
from assistant_core.settings import InputLimits
from bot.channels import rest_access
from bot.channels.guard import DEFAULT_TURN_BUDGET_SECONDS, guarded
from bot.channels.limits import cap_request_bodies
from bot.channels.owner import owned_by

logger = logging.getLogger(__name__)


class GuardedRestInput(RestInput):
    """POST {"sender", "message"} → the bot's messages as JSON, never an empty list."""

    def __init__(
        self, turn_budget_seconds: float = DEFAULT_TURN_BUDGET_SECONDS, api_token: Optional[str] = None
    ) -> None:
        self.turn_budget_seconds = turn_budget_seconds
        self.api_token = settings.env("REST_API_TOKEN") if api_token is None else api_token

    @classmethod
    def name(cls) -> Text:
        return "rest"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "GuardedRestInput":
        budget = (credentials or {}).get("turn_budget_seconds", DEFAULT_TURN_BUDGET_SECONDS)
        return cls(turn_budget_seconds=float(budget))

    def _extract_input_channel(self, req: Request) -> Text:
        """Always "rest": a caller may not pass its messages off as another channel's."""
        return self.name()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        blueprint = super().blueprint(owned_by(self.name(), guarded(on_new_message, self.turn_budget_seconds)))
        cap_request_bodies(blueprint, f"/webhooks/{self.name()}/", InputLimits.from_env().max_request_bytes)
        token = self.api_token
        if token:
            logger.info("REST channel: every call needs the bearer token REST_API_TOKEN.")
        else:
            logger.warning(
                "REST channel: REST_API_TOKEN is not set, so /webhooks/rest/ answers only direct calls from this "
                "machine (127.0.0.1, ::1) and refuses proxied ones. To let an integration call it from elsewhere, "
                "set REST_API_TOKEN and send it as 'Authorization: Bearer <token>'."
            )

        @blueprint.middleware("request")
        async def authorize(request: Request) -> Optional[HTTPResponse]:
            """Integrations with the token, or this machine when none is set; nobody else."""
            refused = rest_access.refusal(token, request.ip, request.headers)
            if refused is None:
                return None
            logger.warning("Refused a REST call from %s: %s.", request.ip, refused.reason)
            return response.json({"error": refused.reason}, status=refused.status)

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
