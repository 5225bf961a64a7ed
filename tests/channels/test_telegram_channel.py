"""Telegram channel on loopback: real Telegram updates in, a local fake Bot API out.

Most tests mount the channel with rasa.core.run.configure_app and a fake agent;
the last ones send updates to the shared real servers (tests/conftest.py turns the
channel on there, pointed at a fake Bot API that is down until these tests start it).
Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from rasa.core.channels.channel import UserMessage
from rasa.core.channels.rest import RestInput

from assistant_core.apology import service_unavailable_text
from bot.channel_copy import channel_text
from bot.channels import telegram_protocol as protocol
from bot.channels.guard import too_long_notice
from bot.channels.telegram import TelegramInput, TelegramSettings
from tests.channels.conftest import serve_channels
from tests.conftest import RunningServers, free_port
from tests.fakes import FakeAgent, silent

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw"
SECRET = "test-secret_0123456789"
WEBHOOK_URL = "https://bot.example.test/webhooks/telegram/webhook"
PATH = "/webhooks/telegram/webhook"
CHAT_ID = 4242
WALLET_BUTTONS = [
    {"title": "支付宝", "payload": '/inform{"wallet":"alipay"}'},
    {"title": "微信支付", "payload": '/inform{"wallet":"wechat_pay"}'},
    {"title": "京东钱包", "payload": '/inform{"wallet":"jd_wallet"}'},
    {"title": "Apple Pay", "payload": '/inform{"wallet":"apple_pay"}'},
]


@dataclass
class FakeTelegramApi:
    """api.telegram.org on loopback: records every Bot API call as (method, fields)."""

    token: str = TOKEN
    calls: List[Dict[str, Any]] = field(default_factory=list)
    server: Optional[TestServer] = None
    _next_message_id: int = 100

    async def handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return web.json_response({"ok": False, "error_code": 401, "description": "Unauthorized"}, status=401)
        method = request.match_info["method"]
        fields = {k: str(v) for k, v in (await request.post()).items()}
        self.calls.append({"method": method, **fields})
        if method == "sendMessage":
            self._next_message_id += 1
            chat = {"id": int(fields["chat_id"]), "type": "private"}
            result: Any = {"message_id": self._next_message_id, "date": 0, "chat": chat, "text": fields["text"]}
        else:
            result = True
        return web.json_response({"ok": True, "result": result})

    async def start(self, port: int = 0) -> str:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self.handle)
        self.server = TestServer(app, host="127.0.0.1", port=port)
        # Rasa's Bot API client keeps connections alive; don't wait the default minute for them on close.
        await self.server.start_server(shutdown_timeout=0.5)
        return f"http://127.0.0.1:{self.server.port}"

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.close()

    def called(self, method: str) -> List[Dict[str, Any]]:
        return [c for c in self.calls if c["method"] == method]

    def texts_to(self, chat_id: int) -> List[str]:
        return [c["text"] for c in self.called("sendMessage") if c["chat_id"] == str(chat_id)]

    async def wait_for(self, method: str, count: int = 1, seconds: float = 10.0) -> List[Dict[str, Any]]:
        for _ in range(int(seconds / 0.05)):
            if len(self.called(method)) >= count:
                break
            await asyncio.sleep(0.05)
        return self.called(method)


async def assistant(message: UserMessage) -> None:
    """A tiny stand-in for the assistant: the wallet question with buttons, then an answer."""
    out = message.output_channel
    if message.text == "钱被盗刷了":
        await out.send_text_with_buttons(message.sender_id, "是哪个钱包？", WALLET_BUTTONS)
    elif message.text == '/inform{"wallet":"wechat_pay"}':
        answer = "⚠️ 请马上做这几件事：\n1. 冻结账户\n\n📞 微信支付客服热线：95017"
        await out.send_text_message(message.sender_id, answer)
    else:
        await out.send_text_message(message.sender_id, f"收到：{message.text}")


@dataclass
class Server:
    """A running Rasa app with the Telegram and REST channels, seen from Telegram's side."""

    base: str
    http: aiohttp.ClientSession
    rasa: FakeAgent
    channel: TelegramInput

    async def post_update(self, update: Dict[str, Any], secret: Optional[str] = SECRET) -> int:
        headers = {protocol.SECRET_HEADER: secret} if secret is not None else {}
        async with self.http.post(self.base + PATH, json=update, headers=headers) as response:
            return response.status


ServerFactory = Callable[..., Awaitable[Server]]


@pytest.fixture
async def make_server(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[ServerFactory]:
    cleanups: List[Callable[[], Awaitable[None]]] = []

    async def make(api_base_url: str, rasa: Optional[FakeAgent] = None, token: str = TOKEN) -> Server:
        settings = TelegramSettings(token, SECRET, WEBHOOK_URL, api_base_url)
        channel = TelegramInput(settings, webhook_retry_seconds=0.05)
        agent = rasa or FakeAgent(script=assistant)
        served = await serve_channels([channel, RestInput()], agent)
        http = aiohttp.ClientSession()

        async def cleanup() -> None:
            await http.close()
            await served.close()

        cleanups.append(cleanup)
        return Server(served.base_url, http, agent, channel)

    yield make
    for cleanup in reversed(cleanups):
        await cleanup()


@pytest.fixture
async def api() -> AsyncIterator[FakeTelegramApi]:
    fake = FakeTelegramApi()
    yield fake
    await fake.stop()


def text_update(text: str, update_id: int = 1, chat_id: int = CHAT_ID) -> Dict[str, Any]:
    chat = {"id": chat_id, "type": "private", "first_name": "小王"}
    message = {"message_id": update_id, "date": 1700000000, "chat": chat, "text": text}
    return {"update_id": update_id, "message": message}


def button_update(data: str, update_id: int = 2, chat_id: int = CHAT_ID) -> Dict[str, Any]:
    chat = {"id": chat_id, "type": "private"}
    return {
        "update_id": update_id,
        "callback_query": {
            "id": f"cbq-{update_id}",
            "from": {"id": chat_id, "is_bot": False, "first_name": "小王"},
            "message": {"message_id": 50, "date": 1700000000, "chat": chat, "text": "是哪个钱包？"},
            "chat_instance": "1",
            "data": data,
        },
    }


# --- webhook registration ----------------------------------------------------------------------


async def test_webhook_is_registered_in_the_background_with_our_secret(
    make_server: ServerFactory, api: FakeTelegramApi
) -> None:
    server = await make_server(await api.start())
    [call] = await api.wait_for("setWebhook")
    assert call["url"] == WEBHOOK_URL and call["secret_token"] == SECRET
    assert json.loads(call["allowed_updates"]) == ["message", "edited_message", "callback_query"]
    assert server.channel.webhook_registered


async def test_server_starts_and_serves_while_telegram_is_down_then_registers(
    make_server: ServerFactory, api: FakeTelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="bot.channels.telegram")
    port = free_port()  # nothing listens here yet
    server = await make_server(f"http://127.0.0.1:{port}")

    async with server.http.post(server.base + "/webhooks/rest/webhook", json={"sender": "u", "message": "你好"}) as r:
        assert r.status == 200 and await r.json() == [{"recipient_id": "u", "text": "收到：你好"}]
    # An update still gets a 200 (Telegram would otherwise re-deliver it); the failed send is logged.
    assert await server.post_update(text_update("你好")) == 200
    assert not server.channel.webhook_registered
    assert "Telegram webhook not registered yet" in caplog.text

    await api.start(port)
    assert await api.wait_for("setWebhook")
    for _ in range(100):
        if server.channel.webhook_registered:
            break
        await asyncio.sleep(0.05)
    assert server.channel.webhook_registered


async def test_a_token_telegram_rejects_stops_the_retries_with_a_clear_error(
    make_server: ServerFactory, api: FakeTelegramApi, caplog: pytest.LogCaptureFixture
) -> None:
    base = await api.start()
    api.token = "987654321:SomeOtherBotsTokenXXXXXXXXXXXXXXXXXX"
    server = await make_server(base)
    for _ in range(100):
        if "rejected TELEGRAM_BOT_TOKEN" in caplog.text:
            break
        await asyncio.sleep(0.05)
    assert "rejected TELEGRAM_BOT_TOKEN" in caplog.text and "@BotFather" in caplog.text
    assert not server.channel.webhook_registered


# --- authentication -----------------------------------------------------------------------------


@pytest.mark.parametrize("secret", [None, "", "wrong-secret", SECRET + "x"])
async def test_updates_without_the_right_secret_are_refused(
    make_server: ServerFactory, api: FakeTelegramApi, secret: Optional[str]
) -> None:
    server = await make_server(await api.start())
    assert await server.post_update(text_update("我的微信零钱被盗刷了"), secret=secret) == 403
    assert server.rasa.received == [] and api.called("sendMessage") == []


async def test_body_that_is_not_an_update_is_a_bad_request(make_server: ServerFactory, api: FakeTelegramApi) -> None:
    server = await make_server(await api.start())
    headers = {protocol.SECRET_HEADER: SECRET}
    for body in (b"not json", b"[1, 2]"):
        async with server.http.post(server.base + PATH, data=body, headers=headers) as response:
            assert response.status == 400
    assert server.rasa.received == []


# --- messages -----------------------------------------------------------------------------------


async def test_text_update_gets_the_assistants_answer(make_server: ServerFactory, api: FakeTelegramApi) -> None:
    server = await make_server(await api.start())
    assert await server.post_update(text_update("我的微信零钱被盗刷了", update_id=11)) == 200
    assert api.texts_to(CHAT_ID) == ["收到：我的微信零钱被盗刷了"]
    [message] = server.rasa.received
    # The tracker key is the channel's own; the answer above still went to the chat id.
    expected = (f"telegram:{CHAT_ID}", "telegram", "4242-11")
    assert (message.sender_id, message.input_channel, message.message_id) == expected


async def test_buttons_are_an_inline_keyboard_and_a_press_is_answered(
    make_server: ServerFactory, api: FakeTelegramApi
) -> None:
    server = await make_server(await api.start())
    assert await server.post_update(text_update("钱被盗刷了")) == 200
    [question] = api.called("sendMessage")
    keyboard = json.loads(question["reply_markup"])["inline_keyboard"]
    assert [[key["text"] for key in row] for row in keyboard] == [["支付宝", "微信支付"], ["京东钱包", "Apple Pay"]]
    assert keyboard[0][1]["callback_data"] == '/inform{"wallet":"wechat_pay"}'

    assert await server.post_update(button_update(keyboard[0][1]["callback_data"], update_id=2)) == 200
    assert [c["callback_query_id"] for c in api.called("answerCallbackQuery")] == ["cbq-2"]
    assert server.rasa.received[-1].text == '/inform{"wallet":"wechat_pay"}'
    assert "95017" in api.texts_to(CHAT_ID)[-1]


async def test_start_command_greets(make_server: ServerFactory, api: FakeTelegramApi) -> None:
    server = await make_server(await api.start())
    assert await server.post_update(text_update("/start")) == 200
    assert [m.text for m in server.rasa.received] == ["/greet"]


async def test_stickers_photos_edits_and_other_updates_do_not_crash(
    make_server: ServerFactory, api: FakeTelegramApi
) -> None:
    server = await make_server(await api.start())
    chat = {"id": CHAT_ID, "type": "private"}
    base_message = {"message_id": 5, "date": 1700000000, "chat": chat}
    updates = [
        {"update_id": 21, "message": {**base_message, "sticker": {"file_id": "s", "width": 1, "height": 1}}},
        {"update_id": 22, "message": {**base_message, "photo": [{"file_id": "p", "width": 1, "height": 1}]}},
        {"update_id": 23, "edited_message": {**base_message, "text": "改过的话", "edit_date": 1700000001}},
        {"update_id": 24, "my_chat_member": {"chat": chat}},
        {"update_id": 25, "callback_query": {"id": "cbq-game", "from": {"id": CHAT_ID}, "game_short_name": "g"}},
    ]
    for update in updates:
        assert await server.post_update(update) == 200
    assert server.rasa.received == []
    assert api.texts_to(CHAT_ID) == [channel_text("utter_channel_only_text")] * 2
    assert [c["callback_query_id"] for c in api.called("answerCallbackQuery")] == ["cbq-game"]


async def test_a_redelivered_update_is_handled_once(make_server: ServerFactory, api: FakeTelegramApi) -> None:
    server = await make_server(await api.start())
    for _ in range(2):
        assert await server.post_update(text_update("你好", update_id=31)) == 200
    assert len(server.rasa.received) == 1 and len(api.texts_to(CHAT_ID)) == 1


async def test_over_long_text_gets_a_notice_not_the_assistant(make_server: ServerFactory, api: FakeTelegramApi) -> None:
    server = await make_server(await api.start())
    assert await server.post_update(text_update("盗" * 1001)) == 200
    assert server.rasa.received == []
    assert api.texts_to(CHAT_ID) == [too_long_notice()]


async def test_a_verification_code_is_masked_before_the_assistant_sees_it(
    make_server: ServerFactory, api: FakeTelegramApi
) -> None:
    server = await make_server(await api.start())
    assert await server.post_update(text_update("客服让我报验证码 482913，我发给他了")) == 200
    [message] = server.rasa.received
    assert "482913" not in message.text
    assert not any("482913" in text for text in api.texts_to(CHAT_ID))


async def test_when_the_assistant_fails_the_user_gets_the_apology_with_hotlines(
    make_server: ServerFactory, api: FakeTelegramApi
) -> None:
    server = await make_server(await api.start(), FakeAgent(error=RuntimeError("model crashed")))
    assert await server.post_update(text_update("我的微信零钱被盗刷了")) == 200
    assert api.texts_to(CHAT_ID) == [service_unavailable_text()]
    assert "95017" in service_unavailable_text()


async def test_when_the_assistant_says_nothing_the_user_gets_the_apology(
    make_server: ServerFactory, api: FakeTelegramApi
) -> None:
    server = await make_server(await api.start(), FakeAgent(script=silent))
    assert await server.post_update(text_update("你好")) == 200
    assert api.texts_to(CHAT_ID) == [service_unavailable_text()]


# --- off without a token ------------------------------------------------------------------------


async def test_without_a_token_the_channel_is_off_and_says_so_once(
    make_server: ServerFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="bot.channels.telegram")
    server = await make_server("http://127.0.0.1:9", token="")
    assert await server.post_update(text_update("你好")) == 503
    async with server.http.get(server.base + "/webhooks/telegram/") as response:
        assert response.status == 503
    assert server.rasa.received == []
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.channels.telegram"]
    assert len(lines) == 1 and lines[0].startswith("Telegram channel is off: TELEGRAM_BOT_TOKEN is not set")


def test_settings_without_a_secret_keep_the_channel_off() -> None:
    problems = TelegramSettings(TOKEN, "", WEBHOOK_URL).problems()
    assert len(problems) == 1 and "TELEGRAM_SECRET_TOKEN" in problems[0]
    assert TelegramSettings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN, "TELEGRAM_SECRET_TOKEN": SECRET}).problems() == []
    assert TelegramInput(TelegramSettings(TOKEN, "", WEBHOOK_URL))._make_bot() is None


# --- the real assistant on the shared servers ---------------------------------------------------


@pytest.fixture
async def shared_api(servers: RunningServers) -> AsyncIterator[FakeTelegramApi]:
    """The fake Bot API, started on the port the shared servers' Telegram channel calls."""
    fake = FakeTelegramApi(token=servers.env["TELEGRAM_BOT_TOKEN"])
    await fake.start(int(servers.env["TELEGRAM_API_BASE_URL"].rsplit(":", 1)[1]))
    yield fake
    await fake.stop()


async def post_to_servers(servers: RunningServers, update: Dict[str, Any], secret: str) -> int:
    async with aiohttp.ClientSession() as http:
        headers = {protocol.SECRET_HEADER: secret}
        async with http.post(servers.rasa_url + PATH, json=update, headers=headers, timeout=60) as response:
            return response.status


@pytest.mark.e2e
async def test_real_assistant_answers_a_telegram_user_with_the_buttons_flow(
    servers: RunningServers, shared_api: FakeTelegramApi
) -> None:
    secret = servers.env["TELEGRAM_SECRET_TOKEN"]
    chat_id = 700000 + free_port()
    first = text_update("我的钱被盗刷了", update_id=chat_id, chat_id=chat_id)
    assert await post_to_servers(servers, first, secret) == 200
    question = [c for c in shared_api.called("sendMessage") if c["chat_id"] == str(chat_id) and "reply_markup" in c]
    assert question, shared_api.texts_to(chat_id)
    keys = [key for row in json.loads(question[-1]["reply_markup"])["inline_keyboard"] for key in row]
    wechat = next(key for key in keys if key["text"] == "微信支付")

    update = button_update(wechat["callback_data"], update_id=chat_id + 1, chat_id=chat_id)
    assert await post_to_servers(servers, update, secret) == 200
    answer = "\n".join(shared_api.texts_to(chat_id))
    assert "请马上做这几件事" in answer and "95017" in answer
    assert f"cbq-{chat_id + 1}" in [c["callback_query_id"] for c in shared_api.called("answerCallbackQuery")]


@pytest.mark.e2e
async def test_real_servers_refuse_a_telegram_update_with_a_bad_secret(
    servers: RunningServers, shared_api: FakeTelegramApi
) -> None:
    assert await post_to_servers(servers, text_update("我的微信零钱被盗刷了"), "not-the-secret") == 403
    assert shared_api.called("sendMessage") == []
