"""WeChat official account (公众号) input channel, mounted at /webhooks/wechat/webhook.

The connector only adapts the platform: signatures, parsing, rendering and
crypto live in `wechat_protocol`, retry and replay handling in `wechat_dedupe`
and the customer-service API in `wechat_api`. What this module decides is timing:
WeChat waits 5 s for a passive reply, so Rasa gets `reply_budget_seconds`;
a later answer is sent through the customer-service API instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant_core.apology import service_unavailable_text
from assistant_core.masking import log_id
from bot.channel_copy import channel_text
from bot.channels import wechat_protocol as protocol
from bot.channels.guard import handle_guarded
from bot.channels.owner import PlatformRecipient, claim
from bot.channels.wechat_api import CustomerServiceClient
from bot.channels.wechat_dedupe import BoundedTTLMap, NonceMemory, RequestDeduplicator
from bot.channels.wechat_http import limit_body, read_body, text_response, xml_response
from bot.channels.wechat_inbound import EncryptionNotConfigured, InboundReader, PlaintextRefused, ReplayGuard
from bot.channels.wechat_push import WeChatPushOutput
from bot.channels.wechat_settings import (
    BUTTON_MEMORY_SECONDS,
    BUTTON_MEMORY_USERS,
    DEFAULT_REPLY_BUDGET_SECONDS,
    DEFAULT_TIMESTAMP_WINDOW_SECONDS,
    WeChatSettings,
    credential_seconds,
    log_modes,
    welcome_text,
)
from bot.reminders.delivery import offer_for_reminders

logger = logging.getLogger(__name__)

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
Chunks = tuple[str, ...]


class WeChatInput(InputChannel):
    """Receives 公众号 messages, answers passively within the budget, later via the API."""

    # Lets the passive first part reach the user before the rest arrives via the API.
    rest_delay_seconds = 1.0

    @classmethod
    def name(cls) -> str:
        """Channel name; also the URL prefix (/webhooks/wechat/)."""
        return "wechat"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> InputChannel:
        """Build from credentials.yml (timings) and the environment (secrets)."""
        credentials = credentials or {}
        settings = WeChatSettings.from_env(
            reply_budget_seconds=credential_seconds(credentials, "reply_budget_seconds", DEFAULT_REPLY_BUDGET_SECONDS),
            timestamp_window_seconds=credential_seconds(
                credentials, "timestamp_window_seconds", DEFAULT_TIMESTAMP_WINDOW_SECONDS
            ),
        )
        problems = settings.problems()
        if problems:
            raise RasaException("WeChat channel cannot start: " + " ".join(problems))
        log_modes(settings)
        return cls(settings)

    def __init__(
        self,
        settings: WeChatSettings,
        api: CustomerServiceClient | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Set up in-memory state; no network and no I/O happen here."""
        self.settings = settings
        self._clock = clock
        self._cipher = (
            protocol.MessageCipher(settings.token, settings.encoding_aes_key, settings.app_id)
            if settings.enabled and settings.encryption_enabled
            else None
        )
        self._reader = InboundReader(self._cipher)
        if api is None and settings.api_enabled:
            api = CustomerServiceClient(settings.app_id, settings.app_secret, settings.api_base_url)
        self._api = api
        # Retry cache entries outlive the nonce memory's (at most two windows), so a request that
        # repeats a remembered (timestamp, nonce) always finds its answer here.
        self._dedupe: RequestDeduplicator[Chunks] = RequestDeduplicator(
            BoundedTTLMap(ttl_seconds=max(600.0, 2 * settings.timestamp_window_seconds)), describe=log_id
        )
        self._replays = ReplayGuard(NonceMemory(settings.timestamp_window_seconds, clock=clock))
        self._buttons: BoundedTTLMap[str, dict[str, str]] = BoundedTTLMap(BUTTON_MEMORY_USERS, BUTTON_MEMORY_SECONDS)
        self._background: set[asyncio.Task[None]] = set()

    # --- request handling --------------------------------------------------------

    def _authentic(self, request: Request) -> bool:
        """URL signature and timestamp window; logs why a request was refused."""
        signature = request.args.get("signature", "")
        timestamp = request.args.get("timestamp", "")
        nonce = request.args.get("nonce", "")
        if not protocol.check_url_signature(self.settings.token, signature, timestamp, nonce):
            logger.warning(
                "Refused a WeChat webhook request from %s: bad signature. If this is WeChat, "
                "fix: WECHAT_TOKEN must equal the Token in 公众号后台 → 基本配置 → 服务器配置.",
                request.ip,
            )
            return False
        if not protocol.timestamp_is_fresh(timestamp, self._clock(), self.settings.timestamp_window_seconds):
            logger.warning(
                "Refused a WeChat webhook request from %s as a replay: timestamp %r is more "
                "than %.0f s from our clock. If genuine messages are refused, fix the server "
                "clock (NTP) or raise timestamp_window_seconds.",
                request.ip,
                timestamp[:16],
                self.settings.timestamp_window_seconds,
            )
            return False
        return True

    async def verify(self, request: Request) -> HTTPResponse:
        """GET: WeChat's URL check; echo `echostr` when the signature is ours."""
        if not self.settings.enabled:
            return text_response("WeChat channel not configured", 503)
        if not self._authentic(request):
            return text_response("forbidden", 403)
        echostr = request.args.get("echostr", "")
        if not echostr:
            return text_response("missing echostr", 400)
        return text_response(echostr)

    async def receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """POST: one pushed message or event; answers within the reply budget."""
        started = time.monotonic()
        limit_body(request)
        if not self.settings.enabled:
            return text_response("WeChat channel not configured", 503)
        if not self._authentic(request):
            return text_response("forbidden", 403)
        try:
            message, encrypted = self._reader.read(request, await read_body(request))
        except protocol.BodyTooLarge:
            logger.warning("Refused a WeChat webhook body over %d bytes.", protocol.MAX_BODY_BYTES)
            return text_response("payload too large", 413)
        except protocol.ForgedMessage as exc:
            logger.warning(
                "Refused an encrypted WeChat message (%s). If this is WeChat, fix: "
                "WECHAT_TOKEN, WECHAT_APP_ID and WECHAT_ENCODING_AES_KEY must match "
                "公众号后台 → 基本配置.",
                exc,
            )
            return text_response("forbidden", 403)
        except PlaintextRefused as exc:
            logger.warning(
                "Refused %s from %s: WECHAT_ENCODING_AES_KEY is set, so only encrypted pushes with a "
                "valid msg_signature are accepted. If this is WeChat, fix: set 公众号后台 → 基本配置 → "
                "消息加解密方式 to 安全模式; for local plaintext testing leave WECHAT_ENCODING_AES_KEY empty.",
                exc,
                request.ip,
            )
            return text_response("forbidden", 403)
        except EncryptionNotConfigured:
            logger.error(
                "WeChat sends safe-mode (encrypted) messages but decryption is off, so users "
                "get no answer. Fix: set WECHAT_ENCODING_AES_KEY and WECHAT_APP_ID."
            )
            return text_response("encryption not configured", 503)
        except protocol.ProtocolError as exc:
            logger.warning("Refused a malformed WeChat webhook body: %s", exc)
            return text_response("bad request", 400)

        refusal = self._replays.refusal(request, message, message.dedupe_key in self._dedupe)
        if refusal is not None:
            return refusal
        budget = self.settings.reply_budget_seconds - (time.monotonic() - started)
        outcome = await self._dedupe.run(
            message.dedupe_key,
            lambda: self._answer(message, on_new_message),
            budget,
            lambda chunks: self._send_chunks(message, chunks),
        )
        if not outcome.value:
            return text_response(protocol.SUCCESS)
        chunks = outcome.value
        if outcome.delivers and len(chunks) > 1:
            self._spawn(self._send_chunks(message, chunks[1:], delay=self.rest_delay_seconds))
        now = int(self._clock())
        reply = protocol.render_text_reply(message.openid, message.account_id, chunks[0], now)
        if encrypted and self._cipher is not None:
            reply = self._cipher.encrypt(reply, str(now), protocol.make_nonce())
        return xml_response(reply)

    # --- answering -----------------------------------------------------------------

    async def _answer(self, message: protocol.InboundMessage, on_new_message: OnNewMessage) -> Chunks:
        """The reply to one message, split for WeChat; never raises."""
        try:
            if message.msg_type in ("text", "voice"):
                text = (message.content if message.msg_type == "text" else message.recognition).strip()
                if text:
                    return await self._ask_rasa(message, text, on_new_message)
                empty = "utter_wechat_empty_text" if message.msg_type == "text" else "utter_wechat_voice_not_recognised"
                return (channel_text(empty),)
            if message.msg_type == "event":
                return (welcome_text(),) if message.event == "subscribe" else ()
            # image, video, location, link and anything newer.
            return (channel_text("utter_wechat_only_text_and_voice"),)
        except Exception as exc:
            logger.error(
                "Answering WeChat message %s failed (%s: %s); the user gets the outage apology. "
                "Fix: this is a bug in the WeChat channel; run with --debug for the traceback.",
                log_id(message.dedupe_key),
                type(exc).__name__,
                exc,
                exc_info=logger.isEnabledFor(logging.DEBUG),
            )
            return tuple(protocol.split_text(service_unavailable_text()))

    async def _ask_rasa(self, message: protocol.InboundMessage, text: str, on_new_message: OnNewMessage) -> Chunks:
        """Send the user's text (or the payload of the option they typed) to Rasa."""
        payload = protocol.button_payload(text, self._buttons.get(message.openid) or {})
        collector = CollectingOutputChannel()
        # The guard masks secrets, refuses junk and turns any Rasa failure or silence into
        # the outage apology (logged with its cause), so `collector` always has an answer.
        # Tracker key wechat:<openid>; the collected replies keep the bare openid.
        await handle_guarded(
            on_new_message,
            claim(self.name(), UserMessage(
                payload or text, collector, sender_id=message.openid, input_channel=self.name(),
                message_id=message.msg_id,
            )),
        )  # fmt: skip
        reply, options = protocol.render_bot_messages(collector.messages)
        if options:
            self._buttons.set(message.openid, options)
        else:
            self._buttons.pop(message.openid)
        return tuple(protocol.split_text(reply))

    # --- asynchronous delivery ---------------------------------------------------------

    def _spawn(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a delivery in the background, keeping a reference until it ends."""
        task = asyncio.ensure_future(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def _send_chunks(self, message: protocol.InboundMessage, chunks: Chunks, delay: float = 0.0) -> None:
        """Deliver chunks in order through the customer-service API; stop at the first failure."""
        if not chunks:
            return
        if self._api is None:
            logger.warning(
                "WeChat answer to message %s (%d part(s)) could not be sent: it was not ready "
                "within the reply budget or did not fit one reply, and the customer-service "
                "API is off. Fix: set WECHAT_APP_ID and WECHAT_APP_SECRET.",
                log_id(message.dedupe_key),
                len(chunks),
            )
            return
        if delay > 0:
            await asyncio.sleep(delay)
        for chunk in chunks:
            if not await self._api.send_text(message.openid, chunk):
                return

    async def drain(self) -> None:
        """Wait for background deliveries (tests and shutdown)."""
        await self._dedupe.drain()
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    async def close(self) -> None:
        """Release the customer-service API session."""
        if self._api is not None:
            await self._api.close()

    # --- Rasa wiring -------------------------------------------------------------------

    def get_output_channel(self) -> OutputChannel | None:
        """Pushes through the customer-service API (due reminders); None when the API is off."""
        if self._api is None:
            return None
        return PlatformRecipient(self.name(), WeChatPushOutput(self._api.send_text, self._buttons.set))

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        """Routes: GET / (health), GET /webhook (URL check), POST /webhook (messages)."""
        wechat_webhook = Blueprint("wechat_webhook")

        @wechat_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok" if self.settings.enabled else "not configured"})

        @wechat_webhook.route("/webhook", methods=["GET"])
        async def verify(request: Request) -> HTTPResponse:
            return await self.verify(request)

        @wechat_webhook.route("/webhook", methods=["POST"], stream=True)
        async def receive(request: Request) -> HTTPResponse:
            return await self.receive(request, on_new_message)

        @wechat_webhook.listener("after_server_stop")
        async def close(*_: Any) -> None:
            await self.close()

        offer_for_reminders(wechat_webhook, self)
        return wechat_webhook
