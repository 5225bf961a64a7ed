"""Website chat channel: Rasa's socket.io channel, made safe to expose.

Mounted from credentials.yml as `bot.channels.socketio.SocketIOInput`, with the
socket.io endpoint at `/socket.io` and a health route at `/webhooks/webchat/`.
What it adds to `rasa.core.channels.socketio.SocketIOInput`:

- only the origins in `WEB_ALLOWED_ORIGINS` (plus the demo page's own) may connect,
  where Rasa's accepts every website;
- a session id must be ≥128 random bits, and a socket may only speak for the
  session it was confirmed for, so nobody can read or write another's conversation;
- every message goes through the shared guard (`bot.channels.guard`): over-long or
  empty text gets a Chinese notice, secrets are masked, and when Rasa fails or says
  nothing the user gets the outage apology with hotlines;
- packets over MAX_REQUEST_BYTES are refused unread (polling: 413; websocket: close 1009),
  and only the metadata keys the bot reads, at most 4 KB, reach the tracker;
- rooms are joined with `await` (python-socketio 5.x made `enter_room` a coroutine,
  which Rasa 3.6 does not await, so its persistent sessions never receive replies).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any, Dict, Optional, Set, Text

from rasa.core.channels import socketio as rasa_socketio
from rasa.core.channels.channel import OutputChannel, UserMessage, decode_bearer_token
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse
from socketio import AsyncServer

from assistant_core.settings import InputLimits
from bot.channel_copy import channel_text
from bot.channels import socketio_policy as policy
from bot.channels.guard import DEFAULT_TURN_BUDGET_SECONDS, guarded
from bot.channels.limits import cap_request_bodies
from bot.channels.owner import PlatformRecipient, owned_by, platform_id, qualified
from bot.reminders.delivery import offer_for_reminders

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]

SESSION_REJECTED_EVT = "session_rejected"
_REFUSED_ORIGINS_LOGGED = 100


class WebChatOutput(rasa_socketio.SocketIOOutput):
    """Rasa's socket.io output, with custom payloads sent as data."""

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        """Custom payloads go out as the event's data (Rasa's passes them as emit() arguments)."""
        await self._send_message(recipient_id, dict(json_message))


class CappedSocketBlueprint(rasa_socketio.SocketBlueprint):
    """Rasa's socket.io blueprint, with websocket frames capped at MAX_REQUEST_BYTES."""

    def __init__(self, max_bytes: int, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ctx.max_bytes = max_bytes

    def register(self, app: Sanic, options: Dict[str, Any]) -> None:
        """Rasa registers blueprints before the server starts, while Sanic still reads WEBSOCKET_MAX_SIZE."""
        # The websockets library refuses a bigger frame from its header (close code 1009), unread;
        # engine.io is the app's only websocket user, so the app-wide setting is ours to lower.
        app.config.WEBSOCKET_MAX_SIZE = min(app.config.WEBSOCKET_MAX_SIZE, self.ctx.max_bytes)
        super().register(app, options)


class SocketIOInput(rasa_socketio.SocketIOInput):
    """socket.io channel with origin, session and size checks."""

    turn_budget_seconds: float = DEFAULT_TURN_BUDGET_SECONDS
    on_visit: Optional[Callable[[str], Awaitable[Any]]] = None
    """Called with the conversation id when a session (re)connects; the reminder scheduler sets it."""

    @classmethod
    def name(cls) -> Text:
        # Not "socketio": Rasa's own channel keeps that name, route prefix and blueprint.
        return "webchat"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> SocketIOInput:
        credentials = credentials or {}
        budget = credentials.get("turn_budget_seconds", DEFAULT_TURN_BUDGET_SECONDS)
        if not isinstance(budget, (int, float)) or isinstance(budget, bool) or budget <= 0:
            raise RasaException(
                f"Website chat channel: turn_budget_seconds in credentials.yml must be a positive number "
                f"of seconds, got {budget!r}; 30 is a good value."
            )
        if not credentials.get("session_persistence", False):
            logger.warning(
                "Website chat channel: session_persistence is off in credentials.yml, so a page reload starts "
                "a new conversation. Fix: set session_persistence: true."
            )
        channel = cls(
            credentials.get("user_message_evt", "user_uttered"),
            credentials.get("bot_message_evt", "bot_uttered"),
            credentials.get("namespace"),
            bool(credentials.get("session_persistence", False)),
            credentials.get("socketio_path", "/socket.io"),
            credentials.get("jwt_key"),
            credentials.get("jwt_method", "HS256"),
            credentials.get("metadata_key", "metadata"),
        )
        channel.turn_budget_seconds = float(budget)
        return channel

    def connected(self, conversation_id: str) -> bool:
        """Whether the widget of this conversation (webchat:<session id>) has a socket in its room now."""
        if self.sio is None:
            return False
        room = platform_id(self.name(), conversation_id)
        return bool(self.sio.manager.rooms.get(self.namespace or "/", {}).get(room))

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Output for external events (reminders, triggered intents)."""
        if self.sio is None:
            return super().get_output_channel()
        # Rasa addresses it by the tracker key (webchat:<session id>); the room is the session id.
        return PlatformRecipient(self.name(), WebChatOutput(self.sio, self.bot_message_evt))

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """The socket.io server, attached to the Rasa app at `socketio_path`."""
        settings = policy.WebChatSettings.from_env()
        # Tracker key webchat:<session id>; replies still go to the session's room.
        handle = owned_by(self.name(), guarded(on_new_message, self.turn_budget_seconds))
        logger.info(
            "Website chat channel on at %s; allowed origins: %s.",
            self.socketio_path,
            ", ".join(sorted(settings.allowed_origins)),
        )
        refused_logged: Set[str] = set()

        def allow_origin(origin: Optional[str]) -> bool:
            allowed = policy.origin_allowed(origin, settings.allowed_origins)
            first_refusal = origin and origin not in refused_logged and len(refused_logged) < _REFUSED_ORIGINS_LOGGED
            if not allowed and first_refusal:
                refused_logged.add(str(origin))
                logger.warning(
                    "Refused a website chat connection from origin %s. If that site embeds the widget, "
                    "add it to WEB_ALLOWED_ORIGINS.",
                    origin,
                )
            return allowed

        # MAX_REQUEST_BYTES (64 KB) still lets a pasted essay reach the guard and be refused politely.
        max_bytes = InputLimits.from_env().max_request_bytes
        sio = AsyncServer(async_mode="sanic", cors_allowed_origins=allow_origin, max_http_buffer_size=max_bytes)
        self.sio = sio
        blueprint = CappedSocketBlueprint(max_bytes, sio, self.socketio_path, "wallet_webchat_webhook", __name__)
        # Polling POSTs go through Sanic's engine.io route, which would read the body before engine.io checks it.
        cap_request_bodies(blueprint, self.socketio_path.rstrip("/"), max_bytes)
        offer_for_reminders(blueprint, self)
        namespace = self.namespace

        @blueprint.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @sio.on("connect", namespace=namespace)
        async def connect(sid: Text, environ: Dict, auth: Optional[Dict] = None) -> bool:
            if not self.jwt_key:
                return True
            token = auth.get("token") if isinstance(auth, dict) else None
            return bool(token and decode_bearer_token(token, self.jwt_key, self.jwt_algorithm))

        @sio.on("session_request", namespace=namespace)
        async def session_request(sid: Text, data: Any = None) -> None:
            requested = data.get("session_id") if isinstance(data, dict) else None
            if requested is None:
                session_id = policy.new_session_id()
            elif policy.is_unguessable_session_id(requested):
                session_id = requested
            else:
                logger.info(
                    "Refused a website chat session id (%s characters): it must be at least 128 random bits.",
                    len(requested) if isinstance(requested, str) else type(requested).__name__,
                )
                await sio.emit(
                    SESSION_REJECTED_EVT,
                    {"reason": "session_id must be at least 128 random bits (32 hex or 22 URL-safe characters)"},
                    room=sid,
                    namespace=namespace,
                )
                return
            session = await sio.get_session(sid, namespace=namespace)
            previous = session.get("session_id")
            if previous and previous != session_id and self.session_persistence:
                await sio.leave_room(sid, previous, namespace=namespace)
            await sio.save_session(sid, {"session_id": session_id}, namespace=namespace)
            if self.session_persistence:
                await sio.enter_room(sid, session_id, namespace=namespace)
            await sio.emit("session_confirm", session_id, room=sid, namespace=namespace)
            if self.session_persistence and self.on_visit is not None:
                # Reminders that fell due while the page was closed (bot/reminders/).
                asyncio.ensure_future(self.on_visit(qualified(self.name(), session_id)))

        @sio.on(self.user_message_evt, namespace=namespace)
        async def handle_message(sid: Text, data: Any = None) -> None:
            session = await sio.get_session(sid, namespace=namespace)
            session_id = session.get("session_id")
            if not session_id:
                not_ready = {"text": channel_text("utter_channel_not_ready")}
                await sio.emit(self.bot_message_evt, not_ready, room=sid, namespace=namespace)
                return
            claimed = data.get("session_id") if isinstance(data, dict) else None
            if claimed is not None and claimed != session_id:
                logger.warning("Ignored a website chat message claiming a session other than its socket's own.")
                return
            text = policy.message_text(data)
            if text is None:
                return
            message = UserMessage(
                text,
                WebChatOutput(sio, self.bot_message_evt),
                session_id if self.session_persistence else sid,
                input_channel=self.name(),
                metadata=policy.message_metadata(data, self.metadata_key or "metadata"),
            )
            await handle(message)

        return blueprint
