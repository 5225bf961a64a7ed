"""What every channel does around Rasa: mask secrets, refuse junk, never answer with silence.

`guarded(on_new_message)` wraps the handler Rasa gives a channel's blueprint:
- a message over RATE_LIMIT_MESSAGES per RATE_LIMIT_SECONDS (per sender) gets a short "slow down"
  reply and never reaches Rasa until the bucket refills (`bot.channels.limits`);
- empty or over-long text is answered with a short Chinese notice, without Rasa;
- verification codes, passwords, ID and card numbers are masked before Rasa (and so
  the tracker store and the logs) see them, and the user is warned not to share them;
- if Rasa fails, times out or produces nothing (e.g. the action server is down), the
  user gets the calm apology with the platform hotlines and the operator one log line.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import weakref
from pathlib import Path
from typing import Any, Awaitable, Callable, Dict, List, Optional, Text

import yaml
from rasa.core.channels.channel import OutputChannel, UserMessage

from assistant_core import settings
from assistant_core.apology import service_unavailable_text
from assistant_core.masking import log_id, mask_sensitive
from bot.channel_copy import channel_text
from bot.channels.limits import RateLimiter, Verdict

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 1000
DEFAULT_TURN_BUDGET_SECONDS = 30.0

Handler = Callable[[UserMessage], Awaitable[Any]]


def too_long_notice() -> str:
    """Said instead of answering a message over MAX_MESSAGE_CHARS."""
    return channel_text("utter_channel_too_long", max_chars=MAX_MESSAGE_CHARS)


@functools.lru_cache(maxsize=4)
def privacy_warning_text(seed_file: Optional[Path] = None) -> str:
    """The seed's fraud warning, plus the note that the numbers were hidden."""
    path = seed_file or settings.seed_path()
    try:
        seed = yaml.safe_load(path.read_text(encoding="utf-8"))
        notice = seed["notices"]["fraud_warning"]
        warning = str(notice["text"] if isinstance(notice, dict) else notice).strip()
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        logger.error("Cannot read the fraud warning from %s (%s); using a generic one.", path, exc)
        return channel_text("utter_channel_privacy_hidden")
    return f"🔐 {warning}\n我已经把你发的敏感号码隐藏了，不会保存原文。"


class CountingOutputChannel(OutputChannel):
    """Passes every message through to the real channel and counts them."""

    def __init__(self, inner: OutputChannel) -> None:
        self.inner = inner
        self.sent = 0

    def name(self) -> Text:
        """The real channel's name, so channel-specific responses still apply."""
        return self.inner.name()

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        self.sent += 1
        await self.inner.send_response(recipient_id, message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_text_message(recipient_id, text, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        self.sent += 1
        await self.inner.send_text_with_buttons(recipient_id, text, buttons, **kwargs)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        self.sent += 1
        await self.inner.send_custom_json(recipient_id, json_message, **kwargs)


_limiters: "weakref.WeakKeyDictionary[Handler, RateLimiter]" = weakref.WeakKeyDictionary()


def limiter_for(on_new_message: Handler) -> RateLimiter:
    """The rate limiter of one Rasa app (Rasa gives all its channels one handler), made on first use
    from RATE_LIMIT_MESSAGES / RATE_LIMIT_SECONDS; sender ids are per channel (`bot.channels.owner`)."""
    limiter = _limiters.get(on_new_message)
    if limiter is None:
        limiter = _limiters[on_new_message] = RateLimiter.from_settings()
    return limiter


async def _say(message: UserMessage, text: str) -> None:
    await message.output_channel.send_text_message(message.sender_id, text)


async def handle_guarded(
    on_new_message: Handler,
    message: UserMessage,
    budget_seconds: float = DEFAULT_TURN_BUDGET_SECONDS,
    limiter: Optional[RateLimiter] = None,
) -> None:
    """Run one user message through Rasa with the protections described above."""
    verdict = (limiter if limiter is not None else limiter_for(on_new_message)).check(str(message.sender_id))
    if verdict is not Verdict.ALLOW:
        # Never silence: a message over the limit still gets the short "slow down" reply (REST
        # callers would otherwise get an empty answer); Rasa is spared all the same.
        await _say(message, channel_text("utter_channel_too_fast"))
        return
    text = message.text or ""
    if not text.strip():
        await _say(message, channel_text("utter_channel_empty_message"))
        return
    if len(text) > MAX_MESSAGE_CHARS:
        logger.info(
            "Refused a %d-character message in %s (limit %d).", len(text), log_id(message.sender_id), MAX_MESSAGE_CHARS
        )
        await _say(message, too_long_notice())
        return
    masked = mask_sensitive(text)
    if masked.found:
        message.text = masked.text
        logger.info(
            "Masked %s in a message in %s before processing.", ", ".join(masked.kinds), log_id(message.sender_id)
        )
        await _say(message, privacy_warning_text())

    counter = CountingOutputChannel(message.output_channel)
    original_channel, message.output_channel = message.output_channel, counter
    cause = ""
    # Shielded: past the budget the user gets the apology now, but the turn itself runs to
    # its end, so the conversation (tracker, escalation progress) stays consistent.
    turn = asyncio.ensure_future(on_new_message(message))
    try:
        await asyncio.wait_for(asyncio.shield(turn), timeout=budget_seconds)
    except asyncio.TimeoutError:
        cause = f"no answer within {budget_seconds:.0f} s (server overloaded, or the action server slow or stuck?)"
    except Exception as exc:  # noqa: BLE001 - whatever broke, the user still gets an answer
        cause = f"{type(exc).__name__}: {exc}"
    else:
        if counter.sent == 0:
            cause = "Rasa produced no reply (action server down, or an action failed: see the log lines above)"
    finally:
        message.output_channel = original_channel
    if cause:
        logger.error(
            "Sent the outage apology in %s: %s. Fix: check the action server (/health) and the knowledge store.",
            log_id(message.sender_id),
            cause,
        )
        await _say(message, service_unavailable_text())


def guarded(
    on_new_message: Handler,
    budget_seconds: float = DEFAULT_TURN_BUDGET_SECONDS,
    limiter: Optional[RateLimiter] = None,
) -> Handler:
    """The channel-side handler: `on_new_message` wrapped by `handle_guarded`."""

    async def handler(message: UserMessage) -> None:
        await handle_guarded(on_new_message, message, budget_seconds, limiter)

    return handler
