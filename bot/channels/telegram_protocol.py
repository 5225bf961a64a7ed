"""Telegram Bot API shapes: reading updates, checking the webhook secret, building keyboards.

Pure functions, tested without a server; `bot.channels.telegram` applies them.
"""

from __future__ import annotations

import enum
import hmac
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Mapping, Optional, Sequence

from assistant_core import text as text_helpers

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
# Telegram's limits: sendMessage text, callback_data, secret_token.
MAX_TELEGRAM_TEXT = 4096
MAX_CALLBACK_DATA_BYTES = 64
BUTTONS_PER_ROW = 2
ALLOWED_UPDATES = ("message", "edited_message", "callback_query")

_SECRET_TOKEN = re.compile(r"[A-Za-z0-9_-]{1,256}")
_BOT_TOKEN = re.compile(r"\d+:[A-Za-z0-9_-]{20,}")
# Telegram's own commands, mapped to the assistant's greeting.
_GREETING_COMMANDS = {"/start", "/help"}
GREET_PAYLOAD = "/greet"



class Kind(enum.Enum):
    """What an update asks of the assistant."""

    TEXT = "text"  # a user's text message, for the assistant
    BUTTON = "button"  # an inline-keyboard press: its payload, for the assistant
    UNSUPPORTED = "unsupported"  # a sticker, photo, voice…: answer that only text is understood
    IGNORED = "ignored"  # edits, membership changes, channel posts…: nothing to say


@dataclass(frozen=True)
class Incoming:
    """The parts of one update the channel acts on."""

    kind: Kind
    update_id: Optional[int] = None
    chat_id: Optional[int] = None
    text: str = ""
    message_id: Optional[str] = None
    callback_query_id: Optional[str] = None


def valid_bot_token(token: str) -> bool:
    """`<digits>:<secret>` as BotFather hands it out."""
    return bool(_BOT_TOKEN.fullmatch(token))


def valid_secret_token(secret: str) -> bool:
    """1–256 characters of A-Z, a-z, 0-9, _ and - (Telegram's rule for secret_token)."""
    return bool(_SECRET_TOKEN.fullmatch(secret))


def secret_matches(received: Optional[str], expected: str) -> bool:
    """Constant-time comparison of the `X-Telegram-Bot-Api-Secret-Token` header."""
    if not received or not expected:
        return False
    return hmac.compare_digest(received.encode("utf-8"), expected.encode("utf-8"))


def _int(value: Any) -> Optional[int]:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _chat_id(message: Any) -> Optional[int]:
    if not isinstance(message, Mapping):
        return None
    chat = message.get("chat")
    return _int(chat.get("id")) if isinstance(chat, Mapping) else None


def _user_text(text: str) -> str:
    """Telegram commands like /start (or /start@WalletBot) become the greeting; other text is kept."""
    stripped = text.strip()
    command = stripped.split(maxsplit=1)[0].split("@", 1)[0].lower() if stripped.startswith("/") else ""
    return GREET_PAYLOAD if command in _GREETING_COMMANDS else stripped


def parse_update(update: Mapping[str, Any]) -> Incoming:
    """What an update (https://core.telegram.org/bots/api#update) asks of the assistant."""
    update_id = _int(update.get("update_id"))
    query = update.get("callback_query")
    if isinstance(query, Mapping):
        query_id = query.get("id") if isinstance(query.get("id"), str) else None
        sender = query.get("from")
        chat_id = _chat_id(query.get("message")) or (_int(sender.get("id")) if isinstance(sender, Mapping) else None)
        data = query.get("data")
        if chat_id is None or not isinstance(data, str) or not data.strip():
            return Incoming(Kind.IGNORED, update_id, chat_id, callback_query_id=query_id)
        return Incoming(Kind.BUTTON, update_id, chat_id, data.strip(), f"cb-{query_id}", query_id)

    message = update.get("message")
    if not isinstance(message, Mapping):
        # edited_message, channel_post, my_chat_member, inline_query, …
        return Incoming(Kind.IGNORED, update_id, _chat_id(update.get("edited_message")))
    chat_id = _chat_id(message)
    if chat_id is None:
        return Incoming(Kind.IGNORED, update_id)
    message_id = _int(message.get("message_id"))
    message_key = f"{chat_id}-{message_id}" if message_id is not None else None
    text = message.get("text")
    if not isinstance(text, str):
        return Incoming(Kind.UNSUPPORTED, update_id, chat_id, message_id=message_key)
    if not text.strip():
        return Incoming(Kind.IGNORED, update_id, chat_id)
    return Incoming(Kind.TEXT, update_id, chat_id, _user_text(text), message_key)


def callback_data(button: Mapping[str, Any]) -> str:
    """A button's payload, or its title when the payload is over Telegram's 64-byte limit."""
    payload = str(button.get("payload") or button.get("title") or "")
    if len(payload.encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES:
        return payload
    title = str(button.get("title") or "")
    return title.encode("utf-8")[:MAX_CALLBACK_DATA_BYTES].decode("utf-8", errors="ignore")


def inline_keyboard(buttons: Sequence[Mapping[str, Any]]) -> Dict[str, List[List[Dict[str, str]]]]:
    """Rasa buttons as an InlineKeyboardMarkup, two per row."""
    keys = [
        {"text": str(button.get("title") or button.get("payload") or ""), "callback_data": callback_data(button)}
        for button in buttons
        if button.get("title") or button.get("payload")
    ]
    rows = [keys[i : i + BUTTONS_PER_ROW] for i in range(0, len(keys), BUTTONS_PER_ROW)]
    return {"inline_keyboard": rows}


def split_text(text: str, limit: int = MAX_TELEGRAM_TEXT) -> List[str]:
    """Text in pieces Telegram accepts (characters), cut at line breaks where possible."""
    return text_helpers.split_text(text, limit)
