"""Bodies over MAX_REQUEST_BYTES are refused unread, on every channel mounted as Rasa mounts them.

A raw socket client announces a 2 MB body but sends only the headers and a few KB: the answer
must be 413 at once, which proves the server did not wait for (read) the rest.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import List, Tuple
from urllib.parse import urlsplit

import pytest
from rasa.core.channels.channel import InputChannel

from bot.channels.rest import GuardedRestInput
from bot.channels.socketio import SocketIOInput
from bot.channels.telegram import TelegramInput, TelegramSettings
from tests.channels.conftest import serve_channels
from tests.fakes import FakeAgent

TWO_MB = 2 * 1024 * 1024
ANSWER_WITHIN_SECONDS = 5.0

Send = Callable[[bytes], Awaitable[Tuple[int, bytes]]]


@pytest.fixture
async def raw_server() -> AsyncIterator[Callable[[InputChannel], Awaitable[Send]]]:
    closers: List[Callable[[], Awaitable[None]]] = []

    async def start(channel: InputChannel) -> Send:
        served = await serve_channels([channel], FakeAgent())
        closers.append(served.close)
        parts = urlsplit(served.base_url)

        async def send(request: bytes) -> Tuple[int, bytes]:
            """Write `request` (and nothing more), then read the answer until the server closes or stops."""
            reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
            try:
                writer.write(request)
                await writer.drain()
                head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), ANSWER_WITHIN_SECONDS)
                status = int(head.split(b" ", 2)[1])
                body = await asyncio.wait_for(reader.read(4096), ANSWER_WITHIN_SECONDS)
                return status, body
            finally:
                writer.close()

        return send

    yield start
    for close in closers:
        await close()


def announcing(path: str, length: int, sent: int = 4096) -> bytes:
    """A POST announcing `length` body bytes, of which only `sent` follow."""
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {length}\r\n\r\n"
    )
    return head.encode() + b"x" * sent


def chunked(path: str, chunks: int, chunk_bytes: int = 16 * 1024) -> bytes:
    """A chunked POST of `chunks` chunks, without the final zero-size chunk."""
    head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    chunk = f"{chunk_bytes:x}\r\n".encode() + b"x" * chunk_bytes + b"\r\n"
    return head + chunk * chunks


CHANNELS = {
    "rest": (lambda: GuardedRestInput(api_token=""), "/webhooks/rest/webhook"),
    "telegram": (lambda: TelegramInput(TelegramSettings()), "/webhooks/telegram/webhook"),
    "socketio": (
        lambda: SocketIOInput.from_credentials({"session_persistence": True}),
        "/socket.io/?EIO=4&transport=polling&sid=x",
    ),
}


@pytest.mark.parametrize("name", sorted(CHANNELS))
async def test_a_2mb_body_is_refused_before_it_is_read(name: str, raw_server) -> None:  # type: ignore[no-untyped-def]
    make, path = CHANNELS[name]
    send = await raw_server(make())
    status, body = await send(announcing(path, TWO_MB))
    assert status == 413
    if name != "socketio":  # engine.io's route answers with Sanic's own 413 page
        assert b"request body over 65536 bytes" in body


@pytest.mark.parametrize("name", ["rest", "telegram"])
async def test_a_chunked_body_is_cut_off_at_the_limit(name: str, raw_server) -> None:  # type: ignore[no-untyped-def]
    make, path = CHANNELS[name]
    send = await raw_server(make())
    status, _ = await send(chunked(path, chunks=5))  # 80 KB, and the body never ends
    assert status == 413


async def test_a_body_under_the_limit_still_gets_through(raw_server) -> None:  # type: ignore[no-untyped-def]
    send = await raw_server(GuardedRestInput(api_token=""))
    payload = b'{"sender": "u1", "message": "\xe4\xbd\xa0\xe5\xa5\xbd"}'
    head = (
        "POST /webhooks/rest/webhook HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n"
    )
    status, _ = await send(head.encode() + payload)
    assert status == 200


async def test_the_limit_comes_from_max_request_bytes(raw_server, monkeypatch: pytest.MonkeyPatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("MAX_REQUEST_BYTES", "2048")
    send = await raw_server(GuardedRestInput(api_token=""))
    status, body = await send(announcing("/webhooks/rest/webhook", 4096, sent=0))
    assert status == 413 and b"over 2048 bytes" in body


async def test_other_routes_keep_sanics_own_limit(raw_server) -> None:  # type: ignore[no-untyped-def]
    """Only the channel's paths are capped: a 100 KB POST elsewhere is not refused as too large."""
    send = await raw_server(GuardedRestInput(api_token=""))
    head = "POST /webhooks/elsewhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 102400\r\nConnection: close\r\n\r\n"
    status, _ = await send(head.encode() + b"x" * 102400)
    assert status == 404
