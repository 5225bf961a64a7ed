"""WeChat channel end to end on loopback: real WeChat bodies through rasa.core.run.configure_app.

Rasa itself is replaced by a fake agent (answers, answers slowly, raises) and the
customer-service API by a local aiohttp fake; nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import time
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any

import aiohttp
import pytest
import xmltodict
from rasa.core.channels.channel import UserMessage
from rasa.core.run import _create_single_channel
from rasa.shared.exceptions import RasaException
from wechatpy.crypto import WeChatCrypto

from assistant_core.apology import service_unavailable_text
from bot.channel_copy import channel_text
from bot.channels import wechat_protocol as protocol
from bot.channels.wechat import WeChatInput
from bot.channels.wechat_settings import WeChatSettings
from tests.channels.conftest import serve_channels
from tests.fakes import FakeAgent, FakeWeChatApi, silent

TOKEN = "jw745hAWoqgfDjXQzos1s2EjJ5g61Iqq"  # 32 random letters and digits, as start-up demands
AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
APP_ID = "wx1234567890abcdef"
APP_SECRET = "app-secret"
OPENID = "oUser_5d8f2c_openid"
ACCOUNT = "gh_a1b2c3d4e5f6"
PATH = "/webhooks/wechat/webhook"


def message_xml(msg_type: str = "text", extra: str = "", msg_id: str | None = "6912000000000000001") -> str:
    msg_id_xml = f"<MsgId>{msg_id}</MsgId>" if msg_id else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"{extra}{msg_id_xml}</xml>"
    )


def text_xml(content: str, msg_id: str = "6912000000000000001") -> str:
    return message_xml("text", f"<Content><![CDATA[{content}]]></Content>", msg_id)


def fields_of(reply: str) -> dict[str, str]:
    """Parse a passive reply with the standard library (independent of our renderer)."""
    root = ET.fromstring(reply)
    return {child.tag: child.text or "" for child in root}


@dataclass
class Bot:
    """A running Rasa server app with the WeChat channel, seen from WeChat's side."""

    base: str
    http: aiohttp.ClientSession
    rasa: FakeAgent
    api: FakeWeChatApi
    channel: WeChatInput

    @staticmethod
    def signed(timestamp: int | None = None, nonce: str | None = None) -> dict[str, str]:
        """WeChat's query string; a fresh nonce each time, as WeChat draws one per request."""
        ts = str(int(time.time()) if timestamp is None else timestamp)
        nonce = str(secrets.randbelow(10**10)) if nonce is None else nonce
        return {"signature": protocol.url_signature(TOKEN, ts, nonce), "timestamp": ts, "nonce": nonce}

    async def get(self, params: dict[str, str]) -> tuple[int, str]:
        async with self.http.get(self.base + PATH, params=params) as response:
            return response.status, await response.text()

    async def post(self, body: str | bytes, params: dict[str, str] | None = None) -> tuple[int, str]:
        data = body.encode("utf-8") if isinstance(body, str) else body
        async with self.http.post(
            self.base + PATH, params=self.signed() if params is None else params, data=data
        ) as response:
            return response.status, await response.text()

    async def say(self, content: str, msg_id: str = "6912000000000000001") -> str:
        """Send a text message; return what the user sees in the passive reply."""
        status, reply = await self.post(text_xml(content, msg_id))
        assert status == 200, reply
        fields = fields_of(reply)
        assert (fields["ToUserName"], fields["FromUserName"], fields["MsgType"]) == (OPENID, ACCOUNT, "text")
        return fields["Content"]


BotFactory = Callable[..., Awaitable[Bot]]


@pytest.fixture
async def make_bot(monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[BotFactory]:
    cleanups: list[Callable[[], Awaitable[None]]] = []

    async def make(rasa: FakeAgent | None = None, **overrides: Any) -> Bot:
        """A bot in plaintext mode (no EncodingAESKey) unless `encoding_aes_key=AES_KEY` is passed."""
        api = FakeWeChatApi(APP_ID, APP_SECRET)
        settings = WeChatSettings(
            token=TOKEN,
            app_id=APP_ID,
            app_secret=APP_SECRET,
            encoding_aes_key="",
            api_base_url=await api.start(),
            reply_budget_seconds=1.0,
        )
        channel = WeChatInput(replace(settings, **overrides))
        channel.rest_delay_seconds = 0.0
        agent = rasa or FakeAgent()
        served = await serve_channels([channel], agent)
        http = aiohttp.ClientSession()

        async def cleanup() -> None:
            await http.close()
            await channel.drain()
            await served.close()
            await api.close()

        cleanups.append(cleanup)
        return Bot(served.base_url, http, agent, api, channel)

    yield make
    for cleanup in reversed(cleanups):
        await cleanup()


# --- URL verification -------------------------------------------------------------------


async def test_url_verification_echoes_echostr(make_bot: BotFactory) -> None:
    bot = await make_bot()
    status, body = await bot.get({**bot.signed(), "echostr": "8156924839238479"})
    assert (status, body) == (200, "8156924839238479")


async def test_url_verification_with_wrong_signature_is_forbidden(make_bot: BotFactory) -> None:
    bot = await make_bot()
    params = {**bot.signed(), "echostr": "8156924839238479"}
    params["signature"] = protocol.url_signature("not-our-token", params["timestamp"], params["nonce"])
    status, body = await bot.get(params)
    assert status == 403 and "8156924839238479" not in body


# --- plaintext messages --------------------------------------------------------------------


async def test_plaintext_text_message_gets_the_assistants_answer(make_bot: BotFactory) -> None:
    bot = await make_bot()
    assert (
        await bot.say("支付宝充值失败，钱扣了没到账", msg_id="6912000000000000042")
        == "收到：支付宝充值失败，钱扣了没到账"
    )
    [message] = bot.rasa.received
    # The tracker key is the channel's own; the passive reply above still went to the openid.
    expected = (f"wechat:{OPENID}", "6912000000000000042", "wechat")
    assert (message.sender_id, message.message_id, message.input_channel) == expected


async def test_card_number_and_code_are_masked_before_rasa_and_the_user_is_warned(make_bot: BotFactory) -> None:
    bot = await make_bot()
    reply = await bot.say("卡号6222021234567890128被盗刷了，验证码是482913", msg_id="6912000000000000043")
    [message] = bot.rasa.received
    assert "6222021234567890128" not in (message.text or "") and "482913" not in (message.text or "")
    assert "验证码" in reply and "6222021234567890128" not in reply


async def test_answer_containing_cdata_terminator_reaches_the_user_intact(make_bot: BotFactory) -> None:
    hostile = "注意]]></Content><MsgType>news</MsgType><Content><![CDATA[ 以及 <b>&amp; 💰 \x07"

    async def say_hostile(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, hostile)

    bot = await make_bot(FakeAgent(script=say_hostile))
    status, reply = await bot.post(text_xml("你好"))
    assert status == 200
    fields = fields_of(reply)  # raises if the XML were broken
    assert fields["MsgType"] == "text"
    assert fields["Content"] == hostile.replace("\x07", "").strip()


async def test_voice_with_recognition_goes_to_rasa_as_text(make_bot: BotFactory) -> None:
    bot = await make_bot()
    voice = "<MediaId><![CDATA[m]]></MediaId><Format><![CDATA[amr]]></Format>"
    status, reply = await bot.post(message_xml("voice", voice + "<Recognition><![CDATA[钱被盗刷了]]></Recognition>"))
    assert status == 200 and fields_of(reply)["Content"] == "收到：钱被盗刷了"
    status, reply = await bot.post(message_xml("voice", voice, msg_id="6912000000000000002"))
    assert fields_of(reply)["Content"] == channel_text("utter_wechat_voice_not_recognised")
    assert [m.text for m in bot.rasa.received] == ["钱被盗刷了"]


async def test_subscribe_gets_a_welcome_and_unsubscribe_gets_nothing(make_bot: BotFactory) -> None:
    bot = await make_bot()
    event = "<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_7]]></EventKey>"
    status, reply = await bot.post(message_xml("event", event, msg_id=None))
    welcome = fields_of(reply)["Content"]
    assert status == 200 and welcome.startswith("你好，欢迎关注钱包投诉助手")
    # The wallets it names are the seed's, not a list in Python.
    assert "支持支付宝、微信支付、京东钱包、Apple Pay。" in welcome
    for words in ("充值失败", "盗刷", "客服", "支付宝", "微信支付"):
        assert words in welcome
    status, reply = await bot.post(message_xml("event", "<Event><![CDATA[unsubscribe]]></Event>", msg_id=None))
    assert (status, reply) == (200, "success")
    assert bot.rasa.received == []


async def test_image_gets_a_note_that_only_text_and_voice_are_understood(make_bot: BotFactory) -> None:
    bot = await make_bot()
    image = "<PicUrl><![CDATA[http://mmbiz.example/x.jpg]]></PicUrl><MediaId><![CDATA[m]]></MediaId>"
    status, reply = await bot.post(message_xml("image", image))
    assert status == 200 and fields_of(reply)["Content"] == channel_text("utter_wechat_only_text_and_voice")
    assert "文字和语音" in fields_of(reply)["Content"]
    assert bot.rasa.received == []


async def test_buttons_are_numbered_and_a_typed_number_sends_the_payload(make_bot: BotFactory) -> None:
    async def ask_platform(message: UserMessage) -> None:
        if message.text and message.text.startswith("/"):
            await message.output_channel.send_text_message(message.sender_id, f"好的，{message.text}")
            return
        buttons = [
            {"title": "支付宝", "payload": '/choose_platform{"platform":"alipay"}'},
            {"title": "微信支付", "payload": '/choose_platform{"platform":"wechat_pay"}'},
        ]
        await message.output_channel.send_text_with_buttons(message.sender_id, "请问是哪个钱包？", buttons)

    bot = await make_bot(FakeAgent(script=ask_platform))
    shown = await bot.say("充值失败", msg_id="6912000000000000010")
    assert shown == "请问是哪个钱包？\n回复 1 选择支付宝\n回复 2 选择微信支付"
    assert await bot.say("１", msg_id="6912000000000000011") == '好的，/choose_platform{"platform":"alipay"}'
    assert bot.rasa.received[-1].text == '/choose_platform{"platform":"alipay"}'
    # The options were used up by that answer: a later "2" is plain text again.
    await bot.say("2", msg_id="6912000000000000012")
    assert bot.rasa.received[-1].text == "2"


async def test_long_answer_is_split_and_the_rest_arrives_through_the_api(make_bot: BotFactory) -> None:
    paragraphs = [f"第{i}步：" + "请保存好交易截图和聊天记录。" * 30 for i in range(1, 6)]

    async def long_answer(message: UserMessage) -> None:
        await message.output_channel.send_text_message(message.sender_id, "\n".join(paragraphs))

    bot = await make_bot(FakeAgent(script=long_answer))
    first = await bot.say("怎么投诉")
    assert len(first.encode("utf-8")) <= protocol.PASSIVE_REPLY_MAX_BYTES
    await bot.channel.drain()
    assert bot.api.sent and all(m["touser"] == OPENID for m in bot.api.sent)
    assert "\n".join([first, *bot.api.texts_to(OPENID)]) == "\n".join(paragraphs)


# --- deadline, retries and failures ----------------------------------------------------------


async def test_slow_answer_replies_success_in_time_then_arrives_via_the_api(make_bot: BotFactory) -> None:
    bot = await make_bot(FakeAgent(delay=1.0), reply_budget_seconds=0.3)
    started = time.monotonic()
    status, reply = await bot.post(text_xml("资金被盗刷怎么办"))
    assert (status, reply) == (200, "success")
    assert time.monotonic() - started < 0.9  # well inside WeChat's 5 s
    await bot.channel.drain()
    assert bot.api.sent == [{"touser": OPENID, "msgtype": "text", "text": {"content": "收到：资金被盗刷怎么办"}}]


async def test_same_msgid_three_times_while_running_reaches_rasa_once(make_bot: BotFactory) -> None:
    bot = await make_bot(FakeAgent(delay=0.3))
    body = text_xml("客服不处理", msg_id="6912000000000000077")
    results = await asyncio.gather(*(bot.post(body) for _ in range(3)))
    assert len(bot.rasa.received) == 1
    assert all(status == 200 for status, _ in results)
    contents = [fields_of(reply)["Content"] for _, reply in results if reply != "success"]
    assert contents and set(contents) == {"收到：客服不处理"}
    status, later = await bot.post(body)  # a retry after the answer: same reply, still one Rasa call
    assert fields_of(later)["Content"] == "收到：客服不处理" and len(bot.rasa.received) == 1
    await bot.channel.drain()
    assert bot.api.sent == []  # answered passively, not twice


@pytest.mark.parametrize("failure", ["raises", "silent"])
async def test_rasa_failure_gets_the_calm_apology_with_hotlines(make_bot: BotFactory, failure: str) -> None:
    rasa = FakeAgent(error=RuntimeError("action server down")) if failure == "raises" else FakeAgent(script=silent)
    bot = await make_bot(rasa)
    reply = await bot.say("充值失败")
    assert reply == service_unavailable_text().strip()
    assert "抱歉" in reply


# --- refused requests ---------------------------------------------------------------------------


async def test_forged_signature_is_forbidden_and_nothing_reaches_rasa(make_bot: BotFactory) -> None:
    bot = await make_bot()
    params = bot.signed()
    params["signature"] = "0" * 40
    status, _ = await bot.post(text_xml("伪造"), params)
    assert status == 403
    status, _ = await bot.post(text_xml("伪造"), {})
    assert status == 403
    assert bot.rasa.received == []


async def test_replayed_old_request_is_forbidden(make_bot: BotFactory) -> None:
    bot = await make_bot()
    status, _ = await bot.post(text_xml("重放"), bot.signed(timestamp=int(time.time()) - 3600))
    assert status == 403 and bot.rasa.received == []


@pytest.mark.parametrize(
    "body",
    [
        "<xml><ToUserName>broken",
        "这不是XML",
        '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;">]>'
        "<xml><Content>&lol1;</Content></xml>",
        '<!DOCTYPE xml [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>' + text_xml("&xxe;"),
    ],
    ids=["truncated", "not-xml", "billion-laughs", "xxe"],
)
async def test_malformed_or_dtd_bodies_are_rejected_and_not_processed(make_bot: BotFactory, body: str) -> None:
    bot = await make_bot()
    status, _ = await bot.post(body)
    assert status == 400 and bot.rasa.received == []


async def test_oversized_body_is_rejected(make_bot: BotFactory) -> None:
    bot = await make_bot()
    status, _ = await bot.post(text_xml("大" * 30_000))  # ~90 KB
    assert status == 413 and bot.rasa.received == []


async def test_without_token_the_channel_answers_503(make_bot: BotFactory) -> None:
    bot = await make_bot(token="")
    assert (await bot.get({**bot.signed(), "echostr": "1"}))[0] == 503
    assert (await bot.post(text_xml("你好")))[0] == 503
    assert bot.rasa.received == []


# --- encrypted modes --------------------------------------------------------------------------------


def encrypted_request(
    bot: Bot, inner_xml: str, compatible: bool = False, timestamp: int | None = None, nonce: str | None = None
) -> tuple[str, dict[str, str]]:
    """Encrypt like WeChat does: body with <Encrypt>, msg_signature in the query (fresh nonce unless given)."""
    timestamp_text = str(int(time.time()) if timestamp is None else timestamp)
    nonce = str(secrets.randbelow(10**10)) if nonce is None else nonce
    timestamp = int(timestamp_text)
    envelope = xmltodict.parse(WeChatCrypto(TOKEN, AES_KEY, APP_ID).encrypt_message(inner_xml, nonce, timestamp_text))[
        "xml"
    ]
    encrypted = f"<Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    if compatible:  # the plaintext fields travel alongside the encrypted copy
        body = inner_xml[: -len("</xml>")] + encrypted
    else:
        body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>" + encrypted
    params = {
        **bot.signed(timestamp, nonce),
        "encrypt_type": "aes",
        "msg_signature": envelope["MsgSignature"],
        "openid": OPENID,
    }
    return body, params


def decrypt_reply(reply: str) -> dict[str, str]:
    envelope = xmltodict.parse(reply)["xml"]
    inner = WeChatCrypto(TOKEN, AES_KEY, APP_ID).decrypt_message(
        reply, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    return fields_of(inner)


@pytest.mark.parametrize("compatible", [False, True], ids=["safe", "compatible"])
async def test_encrypted_request_gets_an_encrypted_reply_that_decrypts(make_bot: BotFactory, compatible: bool) -> None:
    bot = await make_bot(encoding_aes_key=AES_KEY)
    body, params = encrypted_request(bot, text_xml("京东钱包充值失败"), compatible)
    status, reply = await bot.post(body, params)
    assert status == 200
    assert "京东钱包" not in reply  # the answer travels encrypted
    fields = decrypt_reply(reply)
    assert (fields["Content"], fields["ToUserName"]) == ("收到：京东钱包充值失败", OPENID)
    assert [m.sender_id for m in bot.rasa.received] == [f"wechat:{OPENID}"]


async def test_encrypted_request_with_forged_msg_signature_is_forbidden(make_bot: BotFactory) -> None:
    bot = await make_bot(encoding_aes_key=AES_KEY)
    body, params = encrypted_request(bot, text_xml("伪造"))
    params["msg_signature"] = "0" * 40
    status, _ = await bot.post(body, params)
    assert status == 403 and bot.rasa.received == []


async def test_url_verification_works_in_safe_mode_too(make_bot: BotFactory) -> None:
    bot = await make_bot(encoding_aes_key=AES_KEY)
    status, body = await bot.get({**bot.signed(), "echostr": "8156924839238479"})
    assert (status, body) == (200, "8156924839238479")


@pytest.mark.parametrize("encrypt_type", [None, "aes"], ids=["raw", "claims-aes"])
async def test_plaintext_push_is_forbidden_when_the_aes_key_is_set(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, encrypt_type: str | None
) -> None:
    bot = await make_bot(encoding_aes_key=AES_KEY)
    params = {**bot.signed(), **({"encrypt_type": encrypt_type} if encrypt_type else {})}
    caplog.set_level(logging.WARNING)
    status, _ = await bot.post(text_xml("明文消息"), params)
    assert status == 403 and bot.rasa.received == []
    assert "plaintext push" in caplog.text and "WECHAT_ENCODING_AES_KEY" in caplog.text and "安全模式" in caplog.text


async def test_encrypted_push_without_msg_signature_is_forbidden(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture
) -> None:
    bot = await make_bot(encoding_aes_key=AES_KEY)
    body, params = encrypted_request(bot, text_xml("没有签名"))
    del params["msg_signature"]
    caplog.set_level(logging.WARNING)
    status, _ = await bot.post(body, params)
    assert status == 403 and bot.rasa.received == []
    assert "without msg_signature" in caplog.text


async def test_msg_signature_of_one_push_does_not_cover_another_body(make_bot: BotFactory) -> None:
    bot = await make_bot(encoding_aes_key=AES_KEY)
    _, params = encrypted_request(bot, text_xml("原来的消息", msg_id="6912000000000000201"))
    other, _ = encrypted_request(
        bot,
        text_xml("换掉的消息", msg_id="6912000000000000202"),
        timestamp=int(params["timestamp"]),
        nonce=params["nonce"],
    )
    status, _ = await bot.post(other, params)  # URL signature valid, msg_signature made for another <Encrypt>
    assert status == 403 and bot.rasa.received == []


async def test_compatible_mode_with_the_key_reads_only_the_signed_encrypted_copy(make_bot: BotFactory) -> None:
    bot = await make_bot(encoding_aes_key=AES_KEY)
    body, params = encrypted_request(bot, text_xml("真的内容"), compatible=True)
    tampered = body.replace("真的内容", "改过的内容", 1)  # the plaintext copy, which nothing signs
    assert tampered != body
    status, reply = await bot.post(tampered, params)
    assert status == 200 and decrypt_reply(reply)["Content"] == "收到：真的内容"
    assert [m.text for m in bot.rasa.received] == ["真的内容"]


# --- replays and retries ------------------------------------------------------------------------------

OTHER_OPENID = "oOther_77a1e0_openid"


@pytest.mark.parametrize(
    "second",
    [
        text_xml("冒充的第二条", msg_id="6912000000000000302"),
        text_xml("同一个MsgId换了内容", msg_id="6912000000000000301"),
        text_xml("第一条", msg_id="6912000000000000301").replace(OPENID, OTHER_OPENID),
    ],
    ids=["new-message", "same-msgid-new-content", "same-message-other-sender"],
)
async def test_replayed_nonce_with_another_body_is_forbidden(
    make_bot: BotFactory, caplog: pytest.LogCaptureFixture, second: str
) -> None:
    bot = await make_bot()
    params = bot.signed()
    status, _ = await bot.post(text_xml("第一条", msg_id="6912000000000000301"), params)
    assert status == 200
    caplog.set_level(logging.WARNING)
    status, body = await bot.post(second, params)
    assert status == 403 and "收到" not in body
    assert [m.text for m in bot.rasa.received] == ["第一条"]
    assert "replay" in caplog.text and "another message" in caplog.text


async def test_safe_mode_nonce_reused_by_another_validly_signed_message_is_forbidden(make_bot: BotFactory) -> None:
    bot = await make_bot(encoding_aes_key=AES_KEY)
    first, params = encrypted_request(bot, text_xml("第一条", msg_id="6912000000000000311"))
    other, other_params = encrypted_request(
        bot,
        text_xml("第二条", msg_id="6912000000000000312"),
        timestamp=int(params["timestamp"]),
        nonce=params["nonce"],
    )
    assert (await bot.post(first, params))[0] == 200
    assert (await bot.post(other, other_params))[0] == 403  # both signatures valid: only the nonce memory refuses
    assert [m.text for m in bot.rasa.received] == ["第一条"]


@pytest.mark.parametrize("same_query", [True, False], ids=["same-nonce", "new-nonce"])
async def test_genuine_retry_gets_the_same_reply_not_403(make_bot: BotFactory, same_query: bool) -> None:
    bot = await make_bot(FakeAgent(delay=0.3))
    body = text_xml("客服一直不处理", msg_id="6912000000000000401")
    params = bot.signed()

    def retry_params() -> dict[str, str]:
        return params if same_query else bot.signed()

    in_flight = await asyncio.gather(bot.post(body, params), bot.post(body, retry_params()))
    after = await bot.post(body, retry_params())  # a retry after the answer went out
    assert [status for status, _ in [*in_flight, after]] == [200, 200, 200]
    contents = {fields_of(reply)["Content"] for _, reply in in_flight if reply != "success"}
    assert contents == {"收到：客服一直不处理"}
    assert fields_of(after[1])["Content"] == "收到：客服一直不处理"
    assert len(bot.rasa.received) == 1


async def test_safe_mode_retry_encrypted_afresh_under_the_same_nonce_gets_the_same_reply(make_bot: BotFactory) -> None:
    bot = await make_bot(encoding_aes_key=AES_KEY)
    inner = text_xml("零钱被盗刷了", msg_id="6912000000000000501")
    first, params = encrypted_request(bot, inner)
    again, again_params = encrypted_request(bot, inner, timestamp=int(params["timestamp"]), nonce=params["nonce"])
    assert again != first  # new random prefix, so a new <Encrypt> and msg_signature
    replies = [await bot.post(first, params), await bot.post(again, again_params)]
    assert [status for status, _ in replies] == [200, 200]
    assert [decrypt_reply(reply)["Content"] for _, reply in replies] == ["收到：零钱被盗刷了"] * 2
    assert len(bot.rasa.received) == 1


async def test_two_senders_reusing_one_msgid_each_get_their_own_reply(make_bot: BotFactory) -> None:
    bot = await make_bot()
    mine = text_xml("我是第一个用户", msg_id="6912000000000000601")
    theirs = text_xml("我是另一个用户", msg_id="6912000000000000601").replace(OPENID, OTHER_OPENID)
    answers = []
    for body in (mine, theirs):
        status, reply = await bot.post(body)
        assert status == 200
        fields = fields_of(reply)
        answers.append((fields["ToUserName"], fields["Content"]))
    assert answers == [(OPENID, "收到：我是第一个用户"), (OTHER_OPENID, "收到：我是另一个用户")]
    assert [m.sender_id for m in bot.rasa.received] == [f"wechat:{OPENID}", f"wechat:{OTHER_OPENID}"]


async def test_compatible_mode_without_aes_key_still_answers_in_plaintext(make_bot: BotFactory) -> None:
    bot = await make_bot(encoding_aes_key="")
    body, params = encrypted_request(bot, text_xml("你好"), compatible=True)
    status, reply = await bot.post(body, params)
    assert status == 200 and fields_of(reply)["Content"] == "收到：你好"


# --- start-up configuration ------------------------------------------------------------------------

WECHAT_KEYS = ("WECHAT_TOKEN", "WECHAT_APP_ID", "WECHAT_APP_SECRET", "WECHAT_ENCODING_AES_KEY", "WECHAT_API_BASE_URL")


def set_env(monkeypatch: pytest.MonkeyPatch, **values: str) -> None:
    for key in WECHAT_KEYS:  # an empty real variable wins over any local .env
        monkeypatch.setenv(key, values.get(key, ""))


def test_credentials_entry_builds_the_channel_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    set_env(
        monkeypatch, WECHAT_TOKEN=TOKEN, WECHAT_APP_ID=APP_ID, WECHAT_APP_SECRET="s", WECHAT_ENCODING_AES_KEY=AES_KEY
    )
    channel = _create_single_channel("bot.channels.wechat.WeChatInput", {"reply_budget_seconds": 3.5})
    assert isinstance(channel, WeChatInput) and channel.name() == "wechat"
    assert channel.settings.reply_budget_seconds == 3.5
    assert channel.settings.timestamp_window_seconds == 300
    assert channel.settings.api_base_url == "https://api.weixin.qq.com"
    assert channel.settings.encryption_enabled and channel.settings.api_enabled


def test_missing_token_mounts_but_logs_which_key_to_set(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    set_env(monkeypatch)
    channel = WeChatInput.from_credentials(None)
    assert isinstance(channel, WeChatInput) and not channel.settings.enabled
    assert "WECHAT_TOKEN" in caplog.text and "503" in caplog.text


@pytest.mark.parametrize(
    ("env", "credentials", "named"),
    [
        ({"WECHAT_TOKEN": TOKEN, "WECHAT_ENCODING_AES_KEY": AES_KEY}, {}, "WECHAT_APP_ID"),
        ({"WECHAT_TOKEN": TOKEN, "WECHAT_APP_SECRET": "s"}, {}, "WECHAT_APP_ID"),
        ({"WECHAT_TOKEN": TOKEN, "WECHAT_APP_ID": APP_ID, "WECHAT_ENCODING_AES_KEY": "short"}, {}, "43"),
        ({"WECHAT_TOKEN": TOKEN, "WECHAT_API_BASE_URL": "api.weixin.qq.com"}, {}, "WECHAT_API_BASE_URL"),
        ({"WECHAT_TOKEN": TOKEN}, {"reply_budget_seconds": 6}, "reply_budget_seconds"),
        ({"WECHAT_TOKEN": TOKEN}, {"timestamp_window_seconds": "soon"}, "timestamp_window_seconds"),
    ],
)
def test_settings_that_cannot_work_stop_start_up_naming_the_key(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], credentials: dict[str, Any], named: str
) -> None:
    set_env(monkeypatch, **env)
    with pytest.raises(RasaException, match=named):
        WeChatInput.from_credentials(credentials)


@pytest.mark.parametrize(
    "token",
    [
        "wechatTestToken1",  # short
        "e2eWeChatTestToken",
        "Xk7Qm2Vp9Lr4Ts8Wy3Zb6Nc1Hd5Gf0J",  # 31 characters
        "Xk7Qm2Vp9Lr4Ts8Wy3Zb6Nc1Hd5Gf0JqAb",  # 34: WeChat's field takes at most 32
        "Xk7Qm2Vp9Lr4Ts8W-3Zb6Nc1Hd5Gf0Jq",  # not only letters and digits
        "abcdefghijklmnopqrstuvwxyzabcdef",  # one case of letters
        "12345678901234567890123456789012",
        "aB3aB3aB3aB3aB3aB3aB3aB3aB3aB3aB",  # few different characters
        "MyWeChatTokenForTheWalletBot2024",  # words
        "Password1Password1Password1Passw",
        "Zq81abcdefgh9XkLmN2pQr3sT4uV5wY6",  # a typed run
    ],
)
def test_weak_token_stops_start_up_naming_the_key_and_how_to_make_one(
    monkeypatch: pytest.MonkeyPatch, token: str
) -> None:
    set_env(monkeypatch, WECHAT_TOKEN=token)
    with pytest.raises(RasaException) as refused:
        WeChatInput.from_credentials(None)
    assert "WECHAT_TOKEN" in str(refused.value) and "secrets.choice" in str(refused.value)


def test_strong_random_tokens_start(monkeypatch: pytest.MonkeyPatch) -> None:
    alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    for token in [TOKEN, *("".join(secrets.choice(alphabet) for _ in range(32)) for _ in range(50))]:
        set_env(monkeypatch, WECHAT_TOKEN=token, WECHAT_APP_ID=APP_ID, WECHAT_ENCODING_AES_KEY=AES_KEY)
        channel = WeChatInput.from_credentials(None)
        assert isinstance(channel, WeChatInput) and channel.settings.enabled, token
