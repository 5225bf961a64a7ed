"""Health of the Rasa server and what it depends on: GET /webhooks/health/.

200 when the model is loaded and the action server and knowledge store answer;
503 with the failing part named otherwise. Mounted from credentials.yml.
"""

from __future__ import annotations

import asyncio
from typing import Any, Awaitable, Callable, Dict, Optional, Text

import aiohttp
from rasa.core.channels.channel import InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant_core import settings
from bot.action_validation import install_prebuilt_validator

CHECK_TIMEOUT_SECONDS = 3.0


def action_server_base_url() -> str:
    """The action server's base URL, from the ACTION_SERVER_URL used in endpoints.yml."""
    url = settings.env("ACTION_SERVER_URL", "http://127.0.0.1:5055/webhook")
    return url[: -len("/webhook")] if url.endswith("/webhook") else url.rstrip("/")


async def check_action_server(base_url: str) -> Dict[str, Any]:
    """The action server's knowledge health, or why it could not be read."""
    try:
        timeout = aiohttp.ClientTimeout(total=CHECK_TIMEOUT_SECONDS)
        async with aiohttp.ClientSession(timeout=timeout) as session:
            async with session.get(f"{base_url}/health/knowledge") as reply:
                body = await reply.json(content_type=None)
                return {"action_server": "ok", "knowledge_store": body.get("knowledge_store", {})}
    except (aiohttp.ClientError, asyncio.TimeoutError, ValueError) as exc:
        return {"action_server": f"unreachable ({type(exc).__name__})", "knowledge_store": {"state": "unknown"}}


class HealthInput(InputChannel):
    """Not a chat channel: a readiness endpoint for operators and load balancers."""

    @classmethod
    def name(cls) -> Text:
        return "health"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> "HealthInput":
        # Start-up hook of every `rasa run` here: check the response validator once (see the module).
        install_prebuilt_validator()
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        health = Blueprint("health_webhook", __name__)

        @health.route("/", methods=["GET"])
        async def report(request: Request) -> HTTPResponse:
            agent = getattr(request.app.ctx, "agent", None)
            model_ready = bool(agent and agent.is_ready())
            dependencies = await check_action_server(action_server_base_url())
            healthy = (
                model_ready
                and dependencies["action_server"] == "ok"
                and dependencies["knowledge_store"].get("state") == "ok"
            )
            body = {"status": "ok" if healthy else "degraded", "model": "loaded" if model_ready else "not loaded"}
            return response.json({**body, **dependencies}, status=200 if healthy else 503)

        return health
