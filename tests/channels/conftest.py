"""Serve channels exactly as Rasa mounts them (rasa.core.run.configure_app), on loopback."""

from __future__ import annotations

import socket
from dataclasses import dataclass, field
from typing import Any, Awaitable, Callable, List, Optional, Sequence

import pytest
from rasa.core.channels.channel import InputChannel, UserMessage
from rasa.core.run import configure_app
from sanic import Sanic


@dataclass
class LoopbackApp:
    base_url: str
    close: Callable[[], Awaitable[None]]


@pytest.fixture(autouse=True)
def sanic_test_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    """Several apps named rasa_core_no_api are created in one process."""
    monkeypatch.setattr(Sanic, "test_mode", True)


async def serve_channels(channels: Sequence[InputChannel], agent: Any) -> LoopbackApp:
    """Mount `channels` with Rasa's own configure_app, with `agent` standing in for Rasa."""
    app = configure_app(input_channels=list(channels), enable_api=False)
    app.ctx.agent = agent
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = await app.create_server(sock=sock, return_asyncio_server=True, access_log=False)
    assert server is not None
    await server.startup()
    await server.before_start()
    await server.after_start()

    async def close() -> None:
        await server.before_stop()
        server.close()
        await server.wait_closed()
        await server.after_stop()

    return LoopbackApp(f"http://127.0.0.1:{sock.getsockname()[1]}", close)


Script = Callable[[UserMessage], Awaitable[None]]


async def echo(message: UserMessage) -> None:
    """The simplest assistant: says back what it got."""
    await message.output_channel.send_text_message(message.sender_id, f"收到：{message.text}")


@dataclass
class FakeRasa:
    """Stands in for app.ctx.agent; the channel reaches it through Rasa's own register() handler."""

    script: Script = echo
    error: Optional[Exception] = None
    received: List[UserMessage] = field(default_factory=list)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.error:
            raise self.error
        await self.script(message)
