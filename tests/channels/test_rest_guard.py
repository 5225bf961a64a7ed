"""The guarded REST channel through rasa.core.run.configure_app, over real HTTP on loopback.

A fake agent stands in for Rasa: it answers, stays silent (an action failed), raises or is slow.
"""

from __future__ import annotations

from typing import Any, AsyncIterator, Awaitable, Callable, List

import aiohttp
import pytest

from bot.channels.guard import MAX_MESSAGE_CHARS
from bot.channels.rest import GuardedRestInput
from tests.channels.conftest import serve_channels
from tests.fakes import FakeAgent, silent

HOTLINES = ("95188", "95017", "400-606-5500", "400-666-8800")


def failing(behaviour: str) -> FakeAgent:
    """Rasa that says nothing (an action failed), raises, or is slower than the 1 s turn budget."""
    if behaviour == "silent":
        return FakeAgent(script=silent)
    if behaviour == "raise":
        return FakeAgent(error=RuntimeError("Failed to execute custom action 'action_answer_problem'"))
    assert behaviour == "slow"
    return FakeAgent(delay=3)


Post = Callable[..., Awaitable[Any]]


@pytest.fixture
async def rest(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Callable[[FakeAgent], Awaitable[Post]]]:
    closers: List[Callable[[], Awaitable[None]]] = []

    async def start(agent: FakeAgent, token: str = "") -> Post:
        served = await serve_channels([GuardedRestInput(turn_budget_seconds=1.0, api_token=token)], agent)
        session = aiohttp.ClientSession()
        url = f"{served.base_url}/webhooks/rest/webhook"

        async def post(payload: Any = None, raw: bytes | None = None, headers: dict | None = None) -> tuple[int, Any]:
            kwargs: dict = (
                {"json": payload} if raw is None else {"data": raw, "headers": {"Content-Type": "application/json"}}
            )
            kwargs["headers"] = {**kwargs.get("headers", {}), **(headers or {})}
            async with session.post(url, **kwargs) as reply:
                body = await reply.text()
                return reply.status, (await reply.json(content_type=None) if reply.status == 200 else body)

        async def close() -> None:
            await session.close()
            await served.close()

        closers.append(close)
        return post

    yield start
    for close in closers:
        await close()


def texts(messages: list) -> str:
    return "\n".join(m.get("text", "") for m in messages)


async def test_normal_answer_passes_through(rest) -> None:
    post = await rest(FakeAgent())
    status, messages = await post({"sender": "u1", "message": "支付宝充值失败"})
    assert status == 200 and texts(messages) == "收到：支付宝充值失败"


@pytest.mark.parametrize("behaviour", ["silent", "raise", "slow"])
async def test_failures_get_the_apology_with_every_hotline(rest, behaviour: str) -> None:
    post = await rest(failing(behaviour))
    status, messages = await post({"sender": "u2", "message": "我的微信零钱被盗刷了"})
    assert status == 200
    reply = texts(messages)
    assert "抱歉" in reply
    assert all(hotline in reply for hotline in HOTLINES)


async def test_card_numbers_are_masked_before_rasa_and_the_user_is_warned(rest) -> None:
    agent = FakeAgent()
    post = await rest(agent)
    _, messages = await post({"sender": "u3", "message": "卡号6222021234567890128被盗刷了，验证码是 482913"})
    assert "6222021234567890128" not in agent.received[0].text and "482913" not in agent.received[0].text
    assert "验证码" in texts(messages) and "隐藏" in texts(messages)


@pytest.mark.parametrize("message", ["", "   ", "\n\t"])
async def test_empty_messages_get_a_hint_without_reaching_rasa(rest, message: str) -> None:
    agent = FakeAgent()
    post = await rest(agent)
    status, messages = await post({"sender": "u4", "message": message})
    assert status == 200 and "没收到" in texts(messages)
    assert agent.received == []


async def test_ten_thousand_characters_are_refused_politely(rest) -> None:
    agent = FakeAgent()
    post = await rest(agent)
    status, messages = await post({"sender": "u5", "message": "钱" * 10_000})
    assert status == 200 and str(MAX_MESSAGE_CHARS) in texts(messages)
    assert agent.received == []


@pytest.mark.parametrize(
    "raw",
    [b"\xff\xfe\x00junk", b'{"sender": "u6", "message": "\xc3\x28"}', b"not json", b"", b"[1, 2]", b'{"message": 5}',
     b'{"sender": {"a": 1}, "message": "hi"}', b"null"],
)  # fmt: skip
async def test_invalid_bytes_are_a_client_error_not_a_crash(rest, raw: bytes) -> None:
    agent = FakeAgent()
    post = await rest(agent)
    status, _ = await post(raw=raw)
    assert 400 <= status < 500
    assert agent.received == []
    status, messages = await post({"sender": "u6", "message": "你好"})
    assert status == 200 and texts(messages) == "收到：你好"


# --- Who may call, and in whose conversation ----------------------------------------------------


async def test_a_sender_named_like_another_channels_user_talks_in_its_own_rest_conversation(rest) -> None:
    agent = FakeAgent()
    post = await rest(agent)
    for sender in ("5566", "telegram:5566", "wechat:oUser_openid"):
        status, messages = await post({"sender": sender, "message": "帮我写投诉信", "input_channel": "telegram"})
        assert status == 200 and messages[0]["recipient_id"] == sender
    assert [m.sender_id for m in agent.received] == ["rest:5566", "rest:telegram:5566", "rest:wechat:oUser_openid"]
    assert {m.input_channel for m in agent.received} == {"rest"}


async def test_with_a_token_set_calls_without_it_are_refused(rest) -> None:
    agent = FakeAgent()
    post = await rest(agent, token="s3cret-token")
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": "s3cret-token"}):
        status, body = await post({"sender": "u7", "message": "你好"}, headers=headers)
        assert status == 401 and "REST_API_TOKEN" in body
    assert agent.received == []
    status, messages = await post({"sender": "u7", "message": "你好"}, headers={"Authorization": "Bearer s3cret-token"})
    assert status == 200 and texts(messages) == "收到：你好"


async def test_without_a_token_proxied_calls_are_refused(rest) -> None:
    agent = FakeAgent()
    post = await rest(agent)
    status, body = await post({"sender": "u8", "message": "你好"}, headers={"X-Forwarded-For": "203.0.113.9"})
    assert status == 403 and "REST_API_TOKEN" in body
    assert agent.received == []
