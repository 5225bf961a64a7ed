"""Serve channels exactly as Rasa mounts them (rasa.core.run.configure_app), on loopback."""

from __future__ import annotations

import socket
from dataclasses import dataclass
from typing import Any, Awaitable, Callable, Sequence

import pytest
from rasa.core.channels.channel import InputChannel
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
