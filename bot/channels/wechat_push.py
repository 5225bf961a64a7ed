"""Messages the assistant starts on WeChat (due reminders), sent through the customer-service API.

WeChat lets an account message a user only within 48 hours of that user's last message; outside it
the API answers errcode 45015 and this output raises, so the reminder scheduler retries and then
records the reminder as failed instead of pretending it was delivered. Reminders due later than
48 hours after the request are refused when they are set (actions/reminder_actions.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Dict, Text

from rasa.core.channels.channel import OutputChannel

from bot.channels import wechat_protocol as protocol

SendText = Callable[[str, str], Awaitable[bool]]
RememberOptions = Callable[[str, Dict[str, str]], None]


class WeChatUndeliverable(Exception):
    """The customer-service API refused a message (logged by the API client with its cause and fix)."""


class WeChatPushOutput(OutputChannel):
    """Renders Rasa's messages like passive replies (buttons as numbered options) and pushes them."""

    def __init__(self, send_text: SendText, remember_options: RememberOptions) -> None:
        self._send_text = send_text
        self._remember_options = remember_options

    @classmethod
    def name(cls) -> Text:
        return "wechat"

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        text, options = protocol.render_bot_messages([message])
        if options:
            self._remember_options(recipient_id, options)
        for chunk in protocol.split_text(text):
            if not await self._send_text(recipient_id, chunk):
                raise WeChatUndeliverable(f"the customer-service API refused a message to {recipient_id[:6]}…")

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.send_response(recipient_id, {"text": text})
