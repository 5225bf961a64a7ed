"""Customer-service API client against a local fake of api.weixin.qq.com (127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.channels.wechat_api import CustomerServiceClient

APP_ID = "wx_test_app"
APP_SECRET = "s3cr3t-never-logged"


@dataclass
class FakeWeChat:
    """Issues tokens, accepts messages, and fails on demand."""

    token_calls: int = 0
    valid_tokens: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)
    raw_bodies: list[bytes] = field(default_factory=list)
    used_tokens: list[str] = field(default_factory=list)
    expires_in: int = 7200
    token_delay: float = 0.0
    token_errcode: int = 0
    send_errcodes: list[int] = field(default_factory=list)  # consumed one per send

    async def token(self, request: web.Request) -> web.Response:
        assert request.query["grant_type"] == "client_credential"
        assert (request.query["appid"], request.query["secret"]) == (APP_ID, APP_SECRET)
        await asyncio.sleep(self.token_delay)
        if self.token_errcode:
            return web.json_response({"errcode": self.token_errcode, "errmsg": "invalid ip 1.2.3.4"})
        self.token_calls += 1
        token = f"TOKEN{self.token_calls}"
        self.valid_tokens = {token}  # a new token invalidates the old one
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    async def send(self, request: web.Request) -> web.Response:
        token = request.query.get("access_token", "")
        self.used_tokens.append(token)
        if token not in self.valid_tokens:
            return web.json_response({"errcode": 40001, "errmsg": "invalid credential"})
        if self.send_errcodes:
            errcode = self.send_errcodes.pop(0)
            if errcode:
                return web.json_response({"errcode": errcode, "errmsg": "refused"})
        raw = await request.read()
        self.raw_bodies.append(raw)
        self.sent.append(json.loads(raw))
        return web.json_response({"errcode": 0, "errmsg": "ok"})


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[tuple[FakeWeChat, str]]:
    state = FakeWeChat()
    app = web.Application()
    app.router.add_get("/cgi-bin/token", state.token)
    app.router.add_post("/cgi-bin/message/custom/send", state.send)
    server = TestServer(app, host="127.0.0.1", port=0)
    await server.start_server()
    yield state, str(server.make_url("")).rstrip("/")
    await server.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(fake: tuple[FakeWeChat, str], clock: FakeClock) -> AsyncIterator[CustomerServiceClient]:
    api = CustomerServiceClient(APP_ID, APP_SECRET, base_url=fake[1], clock=clock)
    yield api
    await api.close()


async def test_sends_chinese_text_to_the_user_with_one_cached_token(
    fake: tuple[FakeWeChat, str], client: CustomerServiceClient
) -> None:
    state, _ = fake
    assert await client.send_text("oUser1", "您的投诉步骤如下：拨打 95188")
    assert await client.send_text("oUser1", "第二条")
    assert state.sent[0] == {"touser": "oUser1", "msgtype": "text", "text": {"content": "您的投诉步骤如下：拨打 95188"}}
    assert "您的投诉步骤".encode() in state.raw_bodies[0]  # not \\u-escaped: WeChat would show escapes
    assert state.token_calls == 1


async def test_token_is_refreshed_shortly_before_it_expires(
    fake: tuple[FakeWeChat, str], client: CustomerServiceClient, clock: FakeClock
) -> None:
    state, _ = fake
    assert await client.send_text("oUser1", "一")
    clock.now = 6800  # expires_in 7200, refreshed 300 s early
    assert await client.send_text("oUser1", "二")
    assert state.token_calls == 1
    clock.now = 6901
    assert await client.send_text("oUser1", "三")
    assert state.token_calls == 2
    assert [m["text"]["content"] for m in state.sent] == ["一", "二", "三"]


@pytest.mark.parametrize("errcode", [40001, 42001])
async def test_rejected_token_is_refreshed_once_and_the_message_still_arrives(
    fake: tuple[FakeWeChat, str], client: CustomerServiceClient, errcode: int
) -> None:
    state, _ = fake
    assert await client.send_text("oUser1", "一")
    state.send_errcodes = [errcode]  # WeChat says the cached token is invalid/expired
    assert await client.send_text("oUser1", "二")
    assert state.token_calls == 2
    assert [m["text"]["content"] for m in state.sent] == ["一", "二"]


async def test_a_token_rejected_twice_gives_up_instead_of_looping(
    fake: tuple[FakeWeChat, str], client: CustomerServiceClient, caplog: pytest.LogCaptureFixture
) -> None:
    state, _ = fake
    state.send_errcodes = [40001, 40001]
    assert not await client.send_text("oUser1", "一")
    assert state.token_calls == 2 and state.sent == []
    assert "WECHAT_APP_SECRET" in caplog.text


async def test_concurrent_sends_share_one_token_fetch_and_one_refresh(
    fake: tuple[FakeWeChat, str], client: CustomerServiceClient
) -> None:
    state, _ = fake
    state.token_delay = 0.05
    results = await asyncio.gather(*(client.send_text(f"oUser{i}", "并发") for i in range(10)))
    assert all(results) and state.token_calls == 1
    state.valid_tokens = set()  # the token is revoked behind our back
    results = await asyncio.gather(*(client.send_text(f"oUser{i}", "再来") for i in range(10)))
    assert all(results) and state.token_calls == 2
    assert len(state.sent) == 20


@pytest.mark.parametrize(
    ("errcode", "advice"),
    [(45015, "48 hours"), (48001, "permission"), (45047, "quota"), (99999, "全局返回码")],
)
async def test_send_errors_are_logged_with_cause_and_fix(
    fake: tuple[FakeWeChat, str],
    client: CustomerServiceClient,
    caplog: pytest.LogCaptureFixture,
    errcode: int,
    advice: str,
) -> None:
    state, _ = fake
    state.send_errcodes = [errcode]
    caplog.set_level(logging.ERROR)
    assert not await client.send_text("oUser1", "一")
    assert f"errcode {errcode}" in caplog.text and advice in caplog.text
    assert "Fix:" in caplog.text
    assert APP_SECRET not in caplog.text and "TOKEN1" not in caplog.text


async def test_ip_whitelist_error_on_token_names_the_fix(
    fake: tuple[FakeWeChat, str], client: CustomerServiceClient, caplog: pytest.LogCaptureFixture
) -> None:
    state, _ = fake
    state.token_errcode = 40164
    assert not await client.send_text("oUser1", "一")
    assert "IP白名单" in caplog.text and state.sent == []
    assert APP_SECRET not in caplog.text


async def test_unreachable_api_is_logged_not_raised(caplog: pytest.LogCaptureFixture) -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    api = CustomerServiceClient(APP_ID, APP_SECRET, base_url=f"http://127.0.0.1:{port}", timeout_seconds=2)
    try:
        assert not await api.send_text("oUser1", "一")
    finally:
        await api.close()
    assert "WECHAT_API_BASE_URL" in caplog.text
    assert APP_SECRET not in caplog.text
