"""Conversations belong to their channel: the tracker key is `<channel>:<platform id>`.

Every connector hands Rasa its messages through `owned_by(channel, handler)`, so a
REST caller who sends `{"sender": "12345"}` talks in `rest:12345`, never in the
Telegram chat `telegram:12345` or the WeChat user `wechat:<openid>`. Replies still go
to the platform's own id: `PlatformRecipient` strips the prefix before the channel's
output sends anything.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable, Dict, List, Text

from rasa.core.channels.channel import OutputChannel, UserMessage

SEPARATOR = ":"

Handler = Callable[[UserMessage], Awaitable[Any]]


def qualified(channel: str, platform_id: str) -> str:
    """The tracker key of `platform_id` on `channel`, e.g. telegram:5566."""
    return f"{channel}{SEPARATOR}{platform_id}"


def platform_id(channel: str, sender_id: str) -> str:
    """The platform's own id inside a tracker key of `channel` (unchanged if not of that channel)."""
    prefix = f"{channel}{SEPARATOR}"
    return sender_id[len(prefix) :] if sender_id.startswith(prefix) else sender_id


class PlatformRecipient(OutputChannel):
    """Wraps a channel's output so Rasa's tracker key is turned back into the platform id."""

    def __init__(self, channel: str, inner: OutputChannel) -> None:
        self.channel = channel
        self.inner = inner

    def name(self) -> Text:
        """The real channel's name, so channel-specific responses still apply."""
        return self.inner.name()

    def __getattr__(self, attribute: str) -> Any:
        return getattr(self.inner, attribute)

    def _to(self, recipient_id: Text) -> Text:
        return platform_id(self.channel, recipient_id)

    async def send_response(self, recipient_id: Text, message: Dict[Text, Any]) -> None:
        await self.inner.send_response(self._to(recipient_id), message)

    async def send_text_message(self, recipient_id: Text, text: Text, **kwargs: Any) -> None:
        await self.inner.send_text_message(self._to(recipient_id), text, **kwargs)

    async def send_text_with_buttons(
        self, recipient_id: Text, text: Text, buttons: List[Dict[Text, Any]], **kwargs: Any
    ) -> None:
        await self.inner.send_text_with_buttons(self._to(recipient_id), text, buttons, **kwargs)

    async def send_image_url(self, recipient_id: Text, image: Text, **kwargs: Any) -> None:
        await self.inner.send_image_url(self._to(recipient_id), image, **kwargs)

    async def send_attachment(self, recipient_id: Text, attachment: Text, **kwargs: Any) -> None:
        await self.inner.send_attachment(self._to(recipient_id), attachment, **kwargs)

    async def send_custom_json(self, recipient_id: Text, json_message: Dict[Text, Any], **kwargs: Any) -> None:
        await self.inner.send_custom_json(self._to(recipient_id), json_message, **kwargs)


def claim(channel: str, message: UserMessage) -> UserMessage:
    """Make `message` speak in its channel's own conversation (mutates and returns it)."""
    message.sender_id = qualified(channel, message.sender_id)
    message.output_channel = PlatformRecipient(channel, message.output_channel)
    return message


def owned_by(channel: str, handler: Handler) -> Handler:
    """`handler`, called with every message moved into `channel`'s own conversations."""

    async def in_channel(message: UserMessage) -> Any:
        return await handler(claim(channel, message))

    return in_channel
