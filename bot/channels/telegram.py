"""Telegram input channel, mounted at /webhooks/telegram/webhook.

Unlike `rasa.core.channels.telegram`, which calls Telegram at start-up (so the
server cannot start offline) and on every update (getMe), this one:

- registers the webhook in the background after start-up, retrying with clear logs;
- authenticates every update by Telegram's `X-Telegram-Bot-Api-Secret-Token` (else 403),
  and refuses bodies over MAX_REQUEST_BYTES before reading them (413);
- answers stickers, photos and voice with a text-only notice and skips edits and
  other update types, instead of crashing;
- renders buttons as an inline keyboard and answers the button press;
- runs every message through the shared guard (`bot.channels.guard`): notices for
  over-long text, masked secrets, the outage apology when Rasa fails or is silent;
- is off (503, one log line) when TELEGRAM_BOT_TOKEN is not set.

Parsing and rendering live in `telegram_protocol`; the Bot API is reached
through aiogram 2 (pinned by Rasa), pointed at TELEGRAM_API_BASE_URL.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Text

import aiohttp
from aiogram import Bot
from aiogram.bot.api import TelegramAPIServer
from aiogram.types import InlineKeyboardMarkup
from aiogram.utils.exceptions import TelegramAPIError, Unauthorized
from rasa.core.channels.channel import InputChannel, OutputChannel, UserMessage
from rasa.shared.exceptions import RasaException
from sanic import Blueprint, Sanic, response
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant_core import settings as bot_settings
from assistant_core.settings import InputLimits
from bot.channel_copy import channel_text
from bot.channels import telegram_protocol as protocol
from bot.channels.guard import DEFAULT_TURN_BUDGET_SECONDS, guarded
from bot.channels.limits import cap_request_bodies
from bot.channels.owner import PlatformRecipient, owned_by
from bot.reminders.delivery import offer_for_reminders

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.telegram.org"
WEBHOOK_PATH = "/webhooks/telegram/webhook"
API_TIMEOUT_SECONDS = 15.0
DEFAULT_RETRY_SECONDS = 5.0
MAX_RETRY_SECONDS = 300.0
SEEN_UPDATES = 1000

OnNewMessage = Callable[[UserMessage], Awaitable[Any]]


@dataclass(frozen=True)
class TelegramSettings:
    """Everything the channel needs, from `.env` / the environment (the real environment wins)."""

    bot_token: str = ""
    secret_token: str = ""
    webhook_url: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> TelegramSettings:
        """Read TELEGRAM_BOT_TOKEN, TELEGRAM_SECRET_TOKEN, TELEGRAM_WEBHOOK_URL and TELEGRAM_API_BASE_URL."""
        return cls(
            bot_token=bot_settings.env("TELEGRAM_BOT_TOKEN", "", environ),
            secret_token=bot_settings.env("TELEGRAM_SECRET_TOKEN", "", environ),
            webhook_url=bot_settings.env("TELEGRAM_WEBHOOK_URL", "", environ),
            api_base_url=bot_settings.env("TELEGRAM_API_BASE_URL", "", environ) or DEFAULT_API_BASE_URL,
        )

    def problems(self) -> List[str]:
        """Settings that keep the channel off, each naming the key to fix."""
        found: List[str] = []
        if not protocol.valid_bot_token(self.bot_token):
            found.append(
                "TELEGRAM_BOT_TOKEN does not look like a bot token (digits:letters); "
                "copy it exactly as @BotFather gave it."
            )
        if not self.secret_token:
            found.append(
                "TELEGRAM_SECRET_TOKEN is not set, so updates could not be authenticated; set it to a random value, "
                'e.g. the output of: python -c "import secrets; print(secrets.token_urlsafe(32))".'
            )
        elif not protocol.valid_secret_token(self.secret_token):
            found.append("TELEGRAM_SECRET_TOKEN must be 1-256 characters of A-Z, a-z, 0-9, _ and -.")
        if not self.api_base_url.startswith(("https://", "http://")):
            found.append("TELEGRAM_API_BASE_URL must start with https:// (default https://api.telegram.org).")
        return found


class TelegramOutput(OutputChannel):
    """Sends answers to a chat through a shared aiogram Bot."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        for piece in protocol.split_text(text):
            await self.bot.send_message(recipient_id, piece)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        pieces = protocol.split_text(text) or ["请选择："]
        for piece in pieces[:-1]:
            await self.bot.send_message(recipient_id, piece)
        markup = InlineKeyboardMarkup(**protocol.inline_keyboard(buttons))
        await self.bot.send_message(recipient_id, pieces[-1], reply_markup=markup)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.bot.send_photo(recipient_id, image)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        text = json_message.get("text")
        if isinstance(text, str) and text.strip():
            await self.send_text_message(recipient_id, text)
        else:
            logger.warning("Telegram channel: a custom message without text was not sent (%s).", sorted(json_message))


class TelegramInput(InputChannel):
    """Telegram webhook channel that starts offline and authenticates its caller."""

    @classmethod
    def name(cls) -> Text:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: Optional[Dict[Text, Any]]) -> TelegramInput:
        """Secrets come from the environment; credentials.yml may only tune the retry delay."""
        credentials = credentials or {}
        unexpected = {"access_token", "verify", "webhook_url"} & set(credentials)
        if unexpected:
            raise RasaException(
                f"Telegram channel: {', '.join(sorted(unexpected))} must not be in credentials.yml; "
                "set TELEGRAM_BOT_TOKEN, TELEGRAM_SECRET_TOKEN and TELEGRAM_WEBHOOK_URL in .env instead."
            )
        numbers = {}
        for key, default in (
            ("webhook_retry_seconds", DEFAULT_RETRY_SECONDS),
            ("turn_budget_seconds", DEFAULT_TURN_BUDGET_SECONDS),
        ):
            value = credentials.get(key, default)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or value <= 0:
                raise RasaException(
                    f"Telegram channel: {key} in credentials.yml must be a positive number of seconds, got {value!r}."
                )
            numbers[key] = float(value)
        return cls(TelegramSettings.from_env(), **numbers)

    def __init__(
        self,
        settings: TelegramSettings,
        webhook_retry_seconds: float = DEFAULT_RETRY_SECONDS,
        turn_budget_seconds: float = DEFAULT_TURN_BUDGET_SECONDS,
    ) -> None:
        self.settings = settings
        self.webhook_retry_seconds = webhook_retry_seconds
        self.turn_budget_seconds = turn_budget_seconds
        self.bot: Optional[Bot] = None
        self.webhook_registered = False
        self._seen_updates: OrderedDict[int, None] = OrderedDict()
        self._webhook_task: Optional[asyncio.Task] = None

    @property
    def enabled(self) -> bool:
        return self.bot is not None

    def _make_bot(self) -> Optional[Bot]:
        """The Bot API client, or None (with one log line saying why) when the channel is off."""
        if not self.settings.bot_token:
            logger.info(
                "Telegram channel is off: TELEGRAM_BOT_TOKEN is not set (%s answers 503). "
                "To turn it on, see docs/widget-and-telegram.md.",
                WEBHOOK_PATH,
            )
            return None
        problems = self.settings.problems()
        if problems:
            logger.error("Telegram channel is off (%s answers 503): %s", WEBHOOK_PATH, " ".join(problems))
            return None
        return Bot(
            self.settings.bot_token,
            timeout=API_TIMEOUT_SECONDS,
            server=TelegramAPIServer.from_base(self.settings.api_base_url),
        )

    def get_output_channel(self) -> Optional[OutputChannel]:
        """Output for external events (reminders, triggered intents); no network call here."""
        # Rasa addresses it by the tracker key (telegram:<chat id>).
        return PlatformRecipient(self.name(), TelegramOutput(self.bot)) if self.bot is not None else None

    def blueprint(self, on_new_message: OnNewMessage) -> Blueprint:
        self.bot = self._make_bot()
        # Tracker key telegram:<chat id>; replies still go to the chat id.
        handle = owned_by(self.name(), guarded(on_new_message, self.turn_budget_seconds))
        telegram_webhook = Blueprint("wallet_telegram_webhook", __name__)
        cap_request_bodies(telegram_webhook, f"/webhooks/{self.name()}/", InputLimits.from_env().max_request_bytes)

        @telegram_webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            if not self.enabled:
                return response.json({"status": "off"}, status=503)
            return response.json({"status": "ok", "webhook_registered": self.webhook_registered})

        @telegram_webhook.route("/webhook", methods=["POST"])
        async def webhook(request: Request) -> HTTPResponse:
            if self.bot is None:
                return response.text("Telegram channel is off.", status=503)
            received = request.headers.get(protocol.SECRET_HEADER)
            if not protocol.secret_matches(received, self.settings.secret_token):
                logger.warning(
                    "Refused a Telegram webhook call from %s: %s secret token header.",
                    request.remote_addr or request.ip,
                    "wrong" if received else "missing",
                )
                return response.text("forbidden", status=403)
            try:
                update = json.loads(request.body or b"")
            except ValueError:
                return response.text("body must be a JSON Telegram update", status=400)
            if not isinstance(update, dict):
                return response.text("body must be a JSON Telegram update", status=400)
            await self._handle_update(protocol.parse_update(update), self.bot, handle)
            return response.text("ok")

        @telegram_webhook.listener("after_server_start")
        async def start_webhook_registration(app: Sanic, _: asyncio.AbstractEventLoop) -> None:
            if self.bot is None:
                return
            if not self.settings.webhook_url:
                logger.warning(
                    "Telegram channel on, but TELEGRAM_WEBHOOK_URL is not set, so the webhook is not registered "
                    "and Telegram sends no updates. Fix: set it to https://<public host>%s.",
                    WEBHOOK_PATH,
                )
                return
            self._webhook_task = asyncio.ensure_future(self.register_webhook(self.bot))

        @telegram_webhook.listener("before_server_stop")
        async def stop(app: Sanic, _: asyncio.AbstractEventLoop) -> None:
            if self._webhook_task is not None:
                self._webhook_task.cancel()
            if self.bot is not None:
                await self.bot.session.close()

        offer_for_reminders(telegram_webhook, self)
        return telegram_webhook

    async def register_webhook(self, bot: Bot) -> bool:
        """setWebhook with our secret, retried with back-off until Telegram accepts it."""
        if not self.settings.webhook_url.startswith("https://"):
            logger.warning("TELEGRAM_WEBHOOK_URL should start with https:// — Telegram refuses other webhooks.")
        payload = {
            "url": self.settings.webhook_url,
            "secret_token": self.settings.secret_token,
            "allowed_updates": json.dumps(list(protocol.ALLOWED_UPDATES)),
        }
        delay = self.webhook_retry_seconds
        attempt = 0
        while True:
            attempt += 1
            try:
                await bot.request("setWebhook", payload)
            except Unauthorized:
                logger.error(
                    "Telegram rejected TELEGRAM_BOT_TOKEN (401), so the webhook is not registered. "
                    "Fix: copy the token again from @BotFather (/token) and restart."
                )
                return False
            except (TelegramAPIError, aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
                logger.warning(
                    "Telegram webhook not registered yet (attempt %d: %s); retrying in %.0f s. "
                    "Is %s reachable from this server? The other channels keep working meanwhile.",
                    attempt,
                    exc or type(exc).__name__,
                    delay,
                    self.settings.api_base_url,
                )
                await asyncio.sleep(delay)
                delay = min(delay * 2, MAX_RETRY_SECONDS)
                continue
            self.webhook_registered = True
            logger.info("Telegram webhook registered at %s (attempt %d).", self.settings.webhook_url, attempt)
            return True

    def _first_time(self, update_id: Optional[int]) -> bool:
        """False for an update Telegram re-delivers (it retries when we answer slowly)."""
        if update_id is None:
            return True
        if update_id in self._seen_updates:
            return False
        self._seen_updates[update_id] = None
        while len(self._seen_updates) > SEEN_UPDATES:
            self._seen_updates.popitem(last=False)
        return True

    async def _handle_update(self, incoming: protocol.Incoming, bot: Bot, handle: OnNewMessage) -> None:
        """Answer one authenticated update; never raises, so Telegram always gets a 200."""
        if not self._first_time(incoming.update_id):
            logger.debug("Skipped Telegram update %s: already handled.", incoming.update_id)
            return
        if incoming.callback_query_id:
            await self._safely(bot.answer_callback_query(incoming.callback_query_id), "answerCallbackQuery")
        if incoming.chat_id is None or incoming.kind is protocol.Kind.IGNORED:
            return
        output = TelegramOutput(bot)
        chat = str(incoming.chat_id)
        if incoming.kind is protocol.Kind.UNSUPPORTED:
            await self._safely(output.send_text_message(chat, channel_text("utter_channel_only_text")), "sendMessage")
            return
        message = UserMessage(incoming.text, output, chat, input_channel=self.name(), message_id=incoming.message_id)
        # The guard turns Rasa's failures into the apology; only sending that can fail here.
        await self._safely(handle(message), "sendMessage")

    async def _safely(self, call: Awaitable[Any], method: str) -> None:
        """Await one Bot API call, logging instead of raising when Telegram is unreachable or refuses."""
        try:
            await call
        except (TelegramAPIError, aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            logger.error("Telegram %s failed: %s. Is %s reachable?", method, exc, self.settings.api_base_url)
