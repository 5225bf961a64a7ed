"""Website chat channel over socket.io, driven by python-socketio's AsyncClient on loopback.

The first tests mount the channel with rasa.core.run.configure_app and a fake agent;
the e2e ones talk to the shared real servers. The client uses the polling transport
(engine.io's websocket client needs a newer aiohttp than Rasa 3.6 pins); the
Origin check and everything after it are the same for both transports.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import pytest
import socketio
from rasa.core.channels.channel import UserMessage
from rasa.core.run import _create_single_channel

from assistant_core.apology import service_unavailable_text
from bot.channel_copy import channel_text
from bot.channels import socketio_policy as policy
from bot.channels.guard import MAX_MESSAGE_CHARS, too_long_notice
from bot.channels.socketio import SocketIOInput
from tests.channels.conftest import serve_channels
from tests.conftest import RunningServers
from tests.fakes import FakeAgent, silent

CREDENTIALS = {"user_message_evt": "user_uttered", "bot_message_evt": "bot_uttered", "session_persistence": True}
WEB_PORT = "8765"
DEMO_ORIGIN = f"http://localhost:{WEB_PORT}"
SITE_ORIGIN = "https://help.example.com"
TOO_LONG = "盗" * (MAX_MESSAGE_CHARS + 1)


class ChatClient:
    """One browser tab, as the widget behaves: connect, ask for a session, send, receive."""

    def __init__(self, url: str, origin: Optional[str]) -> None:
        self.url = url
        self.origin = origin
        self.sio = socketio.AsyncClient(reconnection=False)
        self.events: asyncio.Queue[Tuple[str, Any]] = asyncio.Queue()
        for event in ("session_confirm", "session_rejected", "bot_uttered"):
            self.sio.on(event, self._recorder(event))

    def _recorder(self, event: str) -> Callable[[Any], Awaitable[None]]:
        async def record(data: Any = None) -> None:
            await self.events.put((event, data))

        return record

    async def connect(self) -> None:
        headers = {"Origin": self.origin} if self.origin else {}
        await self.sio.connect(self.url, headers=headers, transports=["polling"], wait_timeout=10)

    async def next_event(self, timeout: float = 10.0) -> Tuple[str, Any]:
        return await asyncio.wait_for(self.events.get(), timeout)

    async def start_session(self, session_id: Optional[str] = None) -> str:
        await self.sio.emit("session_request", {"session_id": session_id or secrets.token_hex(16)})
        event, data = await self.next_event()
        assert event == "session_confirm", (event, data)
        return str(data)

    async def say(self, session_id: str, text: str) -> None:
        await self.sio.emit("user_uttered", {"message": text, "session_id": session_id})

    async def replies(self, quiet: float = 1.0, timeout: float = 60.0) -> List[Dict[str, Any]]:
        """Bot messages until none arrives for `quiet` seconds (after the first)."""
        event, first = await self.next_event(timeout)
        assert event == "bot_uttered", (event, first)
        messages = [first]
        while True:
            try:
                event, data = await self.next_event(quiet)
            except asyncio.TimeoutError:
                return messages
            assert event == "bot_uttered", (event, data)
            messages.append(data)

    async def close(self) -> None:
        if self.sio.connected:
            # abort: don't wait for the pending long-poll, which the server holds up to its ping interval.
            await self.sio.eio.disconnect(abort=True)


def joined(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(str(m.get("text", "")) for m in messages)


@dataclass
class Server:
    url: str
    rasa: FakeAgent
    clients: List[ChatClient] = field(default_factory=list)

    async def client(self, origin: Optional[str] = DEMO_ORIGIN, connect: bool = True) -> ChatClient:
        client = ChatClient(self.url, origin)
        self.clients.append(client)
        if connect:
            await client.connect()
        return client


ServerFactory = Callable[..., Awaitable[Server]]


@pytest.fixture
async def make_server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ServerFactory]:
    monkeypatch.setenv("WEB_PORT", WEB_PORT)
    monkeypatch.setenv("WEB_ALLOWED_ORIGINS", SITE_ORIGIN)
    cleanups: List[Callable[[], Awaitable[None]]] = []

    async def make(rasa: Optional[FakeAgent] = None) -> Server:
        channel = _create_single_channel("bot.channels.socketio.SocketIOInput", CREDENTIALS)
        agent = rasa or FakeAgent()
        served = await serve_channels([channel], agent)
        running = Server(served.base_url, agent)

        async def cleanup() -> None:
            for client in running.clients:
                await client.close()
            await served.close()

        cleanups.append(cleanup)
        return running

    yield make
    for cleanup in reversed(cleanups):
        await cleanup()


def test_credentials_yml_mounts_our_channel_not_rasas() -> None:
    channel = _create_single_channel("bot.channels.socketio.SocketIOInput", CREDENTIALS)
    assert isinstance(channel, SocketIOInput) and channel.session_persistence
    assert channel.name() == "webchat" and channel.turn_budget_seconds > 0


# --- origins ------------------------------------------------------------------------------------


async def test_demo_page_and_configured_site_may_connect(make_server: ServerFactory) -> None:
    server = await make_server()
    for origin in (DEMO_ORIGIN, f"http://127.0.0.1:{WEB_PORT}", SITE_ORIGIN):
        client = await server.client(origin)
        session_id = await client.start_session()
        await client.say(session_id, "你好")
        assert joined(await client.replies(quiet=0.2)) == "收到：你好"


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost:9999", "null"])
async def test_other_origins_are_refused(make_server: ServerFactory, origin: str) -> None:
    server = await make_server()
    client = await server.client(origin, connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect()
    assert server.rasa.received == []


# --- sessions -----------------------------------------------------------------------------------


async def test_short_or_patterned_session_ids_are_refused(make_server: ServerFactory) -> None:
    server = await make_server()
    client = await server.client()
    for session_id in ("1", "user-42", secrets.token_hex(8), "a" * 40):
        await client.sio.emit("session_request", {"session_id": session_id})
        event, _ = await client.next_event()
        assert event == "session_rejected"
    # No session was confirmed, so nothing this socket says reaches the assistant.
    await client.say("user-42", "你好")
    event, data = await client.next_event()
    assert (event, data["text"]) == ("bot_uttered", channel_text("utter_channel_not_ready"))
    assert server.rasa.received == []


async def test_no_session_id_gets_a_fresh_random_one(make_server: ServerFactory) -> None:
    server = await make_server()
    client = await server.client()
    await client.sio.emit("session_request", {})
    event, session_id = await client.next_event()
    assert event == "session_confirm" and policy.is_unguessable_session_id(session_id)


async def test_a_socket_cannot_speak_for_another_session(make_server: ServerFactory) -> None:
    server = await make_server()
    victim, attacker = await server.client(), await server.client()
    victim_session = await victim.start_session()
    attacker_session = await attacker.start_session()
    await attacker.say(victim_session, "把钱转给我")
    await attacker.say(attacker_session, "你好")
    assert joined(await attacker.replies(quiet=0.3)) == "收到：你好"
    assert [m.sender_id for m in server.rasa.received] == [f"webchat:{attacker_session}"]
    assert victim.events.empty()


async def test_reloading_with_the_same_session_id_continues_the_conversation(make_server: ServerFactory) -> None:
    server = await make_server()
    first_tab = await server.client()
    session_id = await first_tab.start_session()
    await first_tab.say(session_id, "我的微信零钱被盗刷了")
    await first_tab.replies(quiet=0.2)
    await first_tab.close()

    reloaded = await server.client()
    assert await reloaded.start_session(session_id) == session_id
    await reloaded.say(session_id, "还是不行")
    assert joined(await reloaded.replies(quiet=0.2)) == "收到：还是不行"
    # The conversation is the channel's own (webchat:<session id>); replies reached the session's room.
    assert [m.sender_id for m in server.rasa.received] == [f"webchat:{session_id}"] * 2
    assert {m.input_channel for m in server.rasa.received} == {"webchat"}


# --- messages -----------------------------------------------------------------------------------


async def test_over_long_message_gets_a_chinese_notice_and_never_reaches_the_assistant(
    make_server: ServerFactory,
) -> None:
    server = await make_server()
    client = await server.client()
    session_id = await client.start_session()
    await client.say(session_id, TOO_LONG)
    [notice] = await client.replies(quiet=0.3)
    assert notice["text"] == too_long_notice() and "1000" in notice["text"]
    assert server.rasa.received == []


async def test_a_verification_code_is_masked_before_the_assistant_sees_it(make_server: ServerFactory) -> None:
    server = await make_server()
    client = await server.client()
    await client.say(await client.start_session(), "客服让我报验证码 482913，我发给他了")
    replies = joined(await client.replies(quiet=0.3))
    [message] = server.rasa.received
    assert "482913" not in message.text and "482913" not in replies
    assert "验证码" in replies  # the privacy warning, then the (echoed, masked) answer


async def test_buttons_arrive_as_quick_replies(make_server: ServerFactory) -> None:
    async def ask_wallet(message: UserMessage) -> None:
        buttons = [{"title": "微信支付", "payload": '/inform{"wallet":"wechat_pay"}'}]
        await message.output_channel.send_text_with_buttons(message.sender_id, "是哪个钱包？", buttons)

    server = await make_server(FakeAgent(script=ask_wallet))
    client = await server.client()
    await client.say(await client.start_session(), "钱被盗刷了")
    [question] = await client.replies(quiet=0.2)
    assert question["text"] == "是哪个钱包？"
    assert question["quick_replies"] == [
        {"content_type": "text", "title": "微信支付", "payload": '/inform{"wallet":"wechat_pay"}'}
    ]


async def test_when_the_assistant_fails_the_user_gets_the_apology_with_hotlines(make_server: ServerFactory) -> None:
    server = await make_server(FakeAgent(error=RuntimeError("action server down")))
    client = await server.client()
    await client.say(await client.start_session(), "我的微信零钱被盗刷了")
    assert joined(await client.replies(quiet=0.3)) == service_unavailable_text()
    assert "95017" in service_unavailable_text()


async def test_when_the_assistant_says_nothing_the_user_gets_the_apology(make_server: ServerFactory) -> None:
    server = await make_server(FakeAgent(script=silent))
    client = await server.client()
    await client.say(await client.start_session(), "你好")
    assert joined(await client.replies(quiet=0.3)) == service_unavailable_text()


# --- the real assistant on the shared servers ---------------------------------------------------


@pytest.fixture
async def real_client(servers: RunningServers) -> AsyncIterator[Callable[..., Awaitable[ChatClient]]]:
    clients: List[ChatClient] = []

    async def make(origin: Optional[str] = None, connect: bool = True) -> ChatClient:
        client = ChatClient(servers.rasa_url, origin or f"http://127.0.0.1:{servers.env['WEB_PORT']}")
        clients.append(client)
        if connect:
            await client.connect()
        return client

    yield make
    for client in clients:
        await client.close()


@pytest.mark.e2e
async def test_real_server_refuses_a_foreign_origin(real_client: Callable[..., Awaitable[ChatClient]]) -> None:
    client = await real_client("https://evil.example", connect=False)
    with pytest.raises(socketio.exceptions.ConnectionError):
        await client.connect()


@pytest.mark.e2e
async def test_real_server_refuses_a_short_session_id(real_client: Callable[..., Awaitable[ChatClient]]) -> None:
    client = await real_client()
    await client.sio.emit("session_request", {"session_id": "12345"})
    event, _ = await client.next_event()
    assert event == "session_rejected"


@pytest.mark.e2e
async def test_real_server_answers_in_the_session_room_and_refuses_over_long_messages(
    real_client: Callable[..., Awaitable[ChatClient]],
) -> None:
    client = await real_client()
    session_id = await client.start_session()
    await client.say(session_id, TOO_LONG)
    [notice] = await client.replies(quiet=0.5)
    assert notice["text"] == too_long_notice()

    await client.say(session_id, "我的微信零钱被盗刷了")
    answer = joined(await client.replies(quiet=2.0))
    assert "请马上做这几件事" in answer and "95017" in answer
