"""WeChat official account (公众号) input channel, mounted at /webhooks/wechat/webhook.

The connector only adapts the platform: signatures, parsing, rendering and
crypto live in `wechat_protocol`, retry handling in `wechat_dedupe` and the
customer-service API in `wechat_api`. What this module decides is timing:
WeChat waits 5 s for a passive reply, so Rasa gets `reply_budget_seconds`;
a later answer is sent through the customer-service API instead.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass
from typing import Any

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant_core import settings as bot_settings
from assistant_core.apology import service_unavailable_text
from assistant_core.masking import log_id
from bot.channels import wechat_protocol as protocol
from bot.channels.guard import handle_guarded
from bot.channels.owner import claim
from bot.channels.wechat_api import DEFAULT_API_BASE_URL, CustomerServiceClient
from bot.channels.wechat_dedupe import BoundedTTLMap, RequestDeduplicator

logger = logging.getLogger(__name__)

WECHAT_DEADLINE_SECONDS = 5.0
DEFAULT_REPLY_BUDGET_SECONDS = 4.0
DEFAULT_TIMESTAMP_WINDOW_SECONDS = 300.0
# How long the numbered options of a reply stay typeable.
BUTTON_MEMORY_SECONDS = 3600.0
BUTTON_MEMORY_USERS = 10_000

WELCOME_TEXT = (
    "你好，欢迎关注钱包投诉助手！\n"
    "遇到数字钱包的麻烦，我可以帮你理清该怎么投诉、找谁、准备什么材料：\n"
    "· 充值失败、钱扣了没到账\n"
    "· 资金被盗刷\n"
    "· 找客服投诉却没人处理\n"
    "支持支付宝、微信支付、京东钱包、Apple Pay 等钱包。\n"
    "直接用文字或语音说说你遇到的问题就行，例如：“支付宝充值失败，钱扣了没到账”。"
)
ONLY_TEXT_AND_VOICE_TEXT = (
    "抱歉，我目前只能看懂文字和语音消息。请用文字说说你遇到的问题，例如：“微信支付被盗刷了怎么办”。"
)
VOICE_NOT_RECOGNISED_TEXT = "抱歉，这段语音没能识别出文字。请再说一遍，或直接用文字说说你遇到的问题。"
EMPTY_TEXT_TEXT = "没有收到文字内容，请用文字说说你遇到的问题。"

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]
Chunks = tuple[str, ...]


@dataclass(frozen=True)
class WeChatSettings:
    """Everything the channel needs; secrets come from the environment, timings from credentials."""

    token: str = ""
    app_id: str = ""
    app_secret: str = ""
    encoding_aes_key: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    reply_budget_seconds: float = DEFAULT_REPLY_BUDGET_SECONDS
    timestamp_window_seconds: float = DEFAULT_TIMESTAMP_WINDOW_SECONDS

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        reply_budget_seconds: float = DEFAULT_REPLY_BUDGET_SECONDS,
        timestamp_window_seconds: float = DEFAULT_TIMESTAMP_WINDOW_SECONDS,
    ) -> WeChatSettings:
        """Read WECHAT_* from `.env` / the environment (the real environment wins)."""
        return cls(
            token=bot_settings.env("WECHAT_TOKEN", "", environ),
            app_id=bot_settings.env("WECHAT_APP_ID", "", environ),
            app_secret=bot_settings.env("WECHAT_APP_SECRET", "", environ),
            encoding_aes_key=bot_settings.env("WECHAT_ENCODING_AES_KEY", "", environ),
            api_base_url=bot_settings.env("WECHAT_API_BASE_URL", "", environ) or DEFAULT_API_BASE_URL,
            reply_budget_seconds=reply_budget_seconds,
            timestamp_window_seconds=timestamp_window_seconds,
        )

    @property
    def enabled(self) -> bool:
        """The channel answers only when a token is configured."""
        return bool(self.token)

    @property
    def encryption_enabled(self) -> bool:
        """Safe/compatible mode needs the EncodingAESKey and the AppID."""
        return bool(self.encoding_aes_key and self.app_id)

    @property
    def api_enabled(self) -> bool:
        """The customer-service API needs the AppID and AppSecret."""
        return bool(self.app_id and self.app_secret)

    def problems(self) -> list[str]:
        """Settings that cannot work together, each naming the key to fix."""
        found: list[str] = []
        if not 0 < self.reply_budget_seconds < WECHAT_DEADLINE_SECONDS:
            found.append(
                "reply_budget_seconds (credentials.yml) must be above 0 and below WeChat's "
                f"{WECHAT_DEADLINE_SECONDS:.0f} s deadline; 4.0 is a good value."
            )
        if self.timestamp_window_seconds <= 0:
            found.append("timestamp_window_seconds (credentials.yml) must be positive; 300 is a good value.")
        if not self.enabled:
            return found
        if self.encoding_aes_key and not protocol.valid_aes_key(self.encoding_aes_key):
            found.append(
                "WECHAT_ENCODING_AES_KEY must be the 43-character EncodingAESKey from "
                "公众号后台 → 设置与开发 → 基本配置 → 服务器配置."
            )
        if self.encoding_aes_key and not self.app_id:
            found.append(
                "WECHAT_ENCODING_AES_KEY is set but WECHAT_APP_ID is not: encrypted mode needs both; set WECHAT_APP_ID."
            )
        if self.app_secret and not self.app_id:
            found.append(
                "WECHAT_APP_SECRET is set but WECHAT_APP_ID is not: "
                "the customer-service API needs both; set WECHAT_APP_ID."
            )
        if not self.api_base_url.startswith(("https://", "http://")):
            found.append("WECHAT_API_BASE_URL must start with https:// (default https://api.weixin.qq.com).")
        return found


class _EncryptionNotConfigured(Exception):
    """A safe-mode body arrived but decryption is not configured."""


def _seconds(credentials: Mapping[str, Any], key: str, default: float) -> float:
    """A numeric credentials entry, failing start-up with the key's name if it is not a number."""
    value = credentials.get(key)
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RasaException(
            f"WeChat channel: {key} in credentials.yml must be a number of seconds, got {value!r}."
        ) from None


def _log_modes(settings: WeChatSettings) -> None:
    """Tell the operator at start-up what works and which key turns on the rest."""
    if not settings.enabled:
        logger.error(
            "WeChat channel is mounted at /webhooks/wechat/webhook but WECHAT_TOKEN is not set, "
            "so it answers 503. Fix: set WECHAT_TOKEN in .env to the Token from "
            "公众号后台 → 设置与开发 → 基本配置 → 服务器配置."
        )
        return
    encryption = (
        "plaintext, compatible and safe mode"
        if settings.encryption_enabled
        else "plaintext mode only (for compatible/safe mode set WECHAT_ENCODING_AES_KEY and WECHAT_APP_ID)"
    )
    api = (
        "on"
        if settings.api_enabled
        else "off, so answers slower than the reply budget are lost (set WECHAT_APP_ID and WECHAT_APP_SECRET)"
    )
    logger.info(
        "WeChat channel on: %s; customer-service API %s; reply budget %.1f s.",
        encryption,
        api,
        settings.reply_budget_seconds,
    )


def _text(body: str, status: int = 200) -> HTTPResponse:
    """A plain-text response that browsers will not sniff as HTML."""
    return response.text(
        body,
        status=status,
        content_type="text/plain; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff"},
    )


def _xml(body: str) -> HTTPResponse:
    """A passive-reply response."""
    return response.text(body, content_type="application/xml; charset=utf-8")


def _limit_body(request: Request) -> None:
    """Cap this request's body at the protocol limit, also for what Sanic drains after we answer."""
    stream = request.stream
    if stream is not None and hasattr(stream, "request_max_size"):
        stream.request_max_size = protocol.MAX_BODY_BYTES


async def _read_body(request: Request) -> bytes:
    """The request body, refusing to read more than the protocol limit."""
    _limit_body(request)
    try:
        await request.receive_body()
    except PayloadTooLarge as exc:
        raise protocol.BodyTooLarge("body over the limit") from exc
    return bytes(request.body or b"")


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
            reply_budget_seconds=_seconds(credentials, "reply_budget_seconds", DEFAULT_REPLY_BUDGET_SECONDS),
            timestamp_window_seconds=_seconds(
                credentials, "timestamp_window_seconds", DEFAULT_TIMESTAMP_WINDOW_SECONDS
            ),
        )
        problems = settings.problems()
        if problems:
            raise RasaException("WeChat channel cannot start: " + " ".join(problems))
        _log_modes(settings)
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
        if api is None and settings.api_enabled:
            api = CustomerServiceClient(settings.app_id, settings.app_secret, settings.api_base_url)
        self._api = api
        self._dedupe: RequestDeduplicator[Chunks] = RequestDeduplicator(
            ttl_seconds=max(600.0, 2 * settings.timestamp_window_seconds)
        )
        self._buttons: BoundedTTLMap[str, dict[str, str]] = BoundedTTLMap(BUTTON_MEMORY_USERS, BUTTON_MEMORY_SECONDS)
        self._background: set[asyncio.Task[None]] = set()
        self._warned_plain_compat = False

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
            return _text("WeChat channel not configured", 503)
        if not self._authentic(request):
            return _text("forbidden", 403)
        echostr = request.args.get("echostr", "")
        if not echostr:
            return _text("missing echostr", 400)
        return _text(echostr)

    def _read_message(self, request: Request, body: bytes) -> tuple[protocol.InboundMessage, bool]:
        """Parse (and decrypt) the body; returns the message and whether to encrypt the reply."""
        fields = protocol.parse_fields(protocol.guard_body(body))
        if request.args.get("encrypt_type", "raw").lower() != "aes":
            return protocol.message_from_fields(fields), False
        if self._cipher is None:
            if "MsgType" in fields:  # compatible mode still carries the plaintext fields
                if not self._warned_plain_compat:
                    self._warned_plain_compat = True
                    logger.warning(
                        "WeChat sends encrypted messages (compatible mode) but decryption is "
                        "off; answering in plaintext. Fix: set WECHAT_ENCODING_AES_KEY and "
                        "WECHAT_APP_ID, or switch the account to plaintext mode."
                    )
                return protocol.message_from_fields(fields), False
            raise _EncryptionNotConfigured
        inner = self._cipher.decrypt(
            protocol.encrypted_part(fields),
            request.args.get("msg_signature", ""),
            request.args.get("timestamp", ""),
            request.args.get("nonce", ""),
        )
        inner_fields = protocol.parse_fields(protocol.guard_body(inner.encode("utf-8")))
        return protocol.message_from_fields(inner_fields), True

    async def receive(self, request: Request, on_new_message: OnNewMessage) -> HTTPResponse:
        """POST: one pushed message or event; answers within the reply budget."""
        started = time.monotonic()
        _limit_body(request)
        if not self.settings.enabled:
            return _text("WeChat channel not configured", 503)
        if not self._authentic(request):
            return _text("forbidden", 403)
        try:
            message, encrypted = self._read_message(request, await _read_body(request))
        except protocol.BodyTooLarge:
            logger.warning("Refused a WeChat webhook body over %d bytes.", protocol.MAX_BODY_BYTES)
            return _text("payload too large", 413)
        except protocol.ForgedMessage as exc:
            logger.warning(
                "Refused an encrypted WeChat message (%s). If this is WeChat, fix: "
                "WECHAT_TOKEN, WECHAT_APP_ID and WECHAT_ENCODING_AES_KEY must match "
                "公众号后台 → 基本配置.",
                exc,
            )
            return _text("forbidden", 403)
        except _EncryptionNotConfigured:
            logger.error(
                "WeChat sends safe-mode (encrypted) messages but decryption is off, so users "
                "get no answer. Fix: set WECHAT_ENCODING_AES_KEY and WECHAT_APP_ID."
            )
            return _text("encryption not configured", 503)
        except protocol.ProtocolError as exc:
            logger.warning("Refused a malformed WeChat webhook body: %s", exc)
            return _text("bad request", 400)

        budget = self.settings.reply_budget_seconds - (time.monotonic() - started)
        outcome = await self._dedupe.run(
            message.dedupe_key,
            lambda: self._answer(message, on_new_message),
            budget,
            lambda chunks: self._send_chunks(message, chunks),
        )
        if not outcome.value:
            return _text(protocol.SUCCESS)
        chunks = outcome.value
        if outcome.delivers and len(chunks) > 1:
            self._spawn(self._send_chunks(message, chunks[1:], delay=self.rest_delay_seconds))
        now = int(self._clock())
        reply = protocol.render_text_reply(message.openid, message.account_id, chunks[0], now)
        if encrypted and self._cipher is not None:
            reply = self._cipher.encrypt(reply, str(now), protocol.make_nonce())
        return _xml(reply)

    # --- answering -----------------------------------------------------------------

    async def _answer(self, message: protocol.InboundMessage, on_new_message: OnNewMessage) -> Chunks:
        """The reply to one message, split for WeChat; never raises."""
        try:
            if message.msg_type == "text":
                text = message.content.strip()
                return await self._ask_rasa(message, text, on_new_message) if text else (EMPTY_TEXT_TEXT,)
            if message.msg_type == "voice":
                text = message.recognition.strip()
                return await self._ask_rasa(message, text, on_new_message) if text else (VOICE_NOT_RECOGNISED_TEXT,)
            if message.msg_type == "event":
                return (WELCOME_TEXT,) if message.event == "subscribe" else ()
            # image, video, location, link and anything newer.
            return (ONLY_TEXT_AND_VOICE_TEXT,)
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
                message.dedupe_key,
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

        return wechat_webhook
