"""Customer-service API client against a local fake of api.weixin.qq.com (127.0.0.1 only)."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import AsyncIterator

import pytest

from bot.channels.wechat_api import CustomerServiceClient
from tests.fakes import FakeWeChatApi

APP_ID = "wx_test_app"
APP_SECRET = "s3cr3t-never-logged"


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
async def fake() -> AsyncIterator[FakeWeChatApi]:
    api = FakeWeChatApi(APP_ID, APP_SECRET)
    await api.start()
    yield api
    await api.close()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def client(fake: FakeWeChatApi, clock: FakeClock) -> AsyncIterator[CustomerServiceClient]:
    api = CustomerServiceClient(APP_ID, APP_SECRET, base_url=fake.base_url, clock=clock)
    yield api
    await api.close()


async def test_sends_chinese_text_to_the_user_with_one_cached_token(
    fake: FakeWeChatApi, client: CustomerServiceClient
) -> None:
    assert await client.send_text("oUser1", "您的投诉步骤如下：拨打 95188")
    assert await client.send_text("oUser1", "第二条")
    assert fake.sent[0] == {"touser": "oUser1", "msgtype": "text", "text": {"content": "您的投诉步骤如下：拨打 95188"}}
    assert "您的投诉步骤".encode() in fake.raw_bodies[0]  # not \\u-escaped: WeChat would show escapes
    assert fake.token_calls == 1


async def test_token_is_refreshed_shortly_before_it_expires(
    fake: FakeWeChatApi, client: CustomerServiceClient, clock: FakeClock
) -> None:
    assert await client.send_text("oUser1", "一")
    clock.now = 6800  # expires_in 7200, refreshed 300 s early
    assert await client.send_text("oUser1", "二")
    assert fake.token_calls == 1
    clock.now = 6901
    assert await client.send_text("oUser1", "三")
    assert fake.token_calls == 2
    assert [m["text"]["content"] for m in fake.sent] == ["一", "二", "三"]


@pytest.mark.parametrize("errcode", [40001, 42001])
async def test_rejected_token_is_refreshed_once_and_the_message_still_arrives(
    fake: FakeWeChatApi, client: CustomerServiceClient, errcode: int
) -> None:
    assert await client.send_text("oUser1", "一")
    fake.send_errcodes = [errcode]  # WeChat says the cached token is invalid/expired
    assert await client.send_text("oUser1", "二")
    assert fake.token_calls == 2
    assert [m["text"]["content"] for m in fake.sent] == ["一", "二"]


async def test_a_token_rejected_twice_gives_up_instead_of_looping(
    fake: FakeWeChatApi, client: CustomerServiceClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.send_errcodes = [40001, 40001]
    assert not await client.send_text("oUser1", "一")
    assert fake.token_calls == 2 and fake.sent == []
    assert "WECHAT_APP_SECRET" in caplog.text


async def test_concurrent_sends_share_one_token_fetch_and_one_refresh(
    fake: FakeWeChatApi, client: CustomerServiceClient
) -> None:
    fake.token_delay = 0.05
    results = await asyncio.gather(*(client.send_text(f"oUser{i}", "并发") for i in range(10)))
    assert all(results) and fake.token_calls == 1
    fake.valid_tokens = set()  # the token is revoked behind our back
    results = await asyncio.gather(*(client.send_text(f"oUser{i}", "再来") for i in range(10)))
    assert all(results) and fake.token_calls == 2
    assert len(fake.sent) == 20


@pytest.mark.parametrize(
    ("errcode", "advice"),
    [(45015, "48 hours"), (48001, "permission"), (45047, "quota"), (99999, "全局返回码")],
)
async def test_send_errors_are_logged_with_cause_and_fix(
    fake: FakeWeChatApi,
    client: CustomerServiceClient,
    caplog: pytest.LogCaptureFixture,
    errcode: int,
    advice: str,
) -> None:
    fake.send_errcodes = [errcode]
    caplog.set_level(logging.ERROR)
    assert not await client.send_text("oUser1", "一")
    assert f"errcode {errcode}" in caplog.text and advice in caplog.text
    assert "Fix:" in caplog.text
    assert APP_SECRET not in caplog.text and "TOKEN1" not in caplog.text


async def test_ip_whitelist_error_on_token_names_the_fix(
    fake: FakeWeChatApi, client: CustomerServiceClient, caplog: pytest.LogCaptureFixture
) -> None:
    fake.token_errcode = 40164
    assert not await client.send_text("oUser1", "一")
    assert "IP白名单" in caplog.text and fake.sent == []
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
