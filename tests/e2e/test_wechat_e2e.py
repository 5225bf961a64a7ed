"""WeChat 公众号 channel end to end: real WeChat pushes to the running Rasa and action servers.

The shared servers run with the fixed WECHAT_* test keys of conftest, EncodingAESKey included, so
the channel accepts only safe/compatible-mode pushes; answers it sends later go to the fake
customer-service API on loopback. Each push gets a fresh nonce, as WeChat draws one per request.
"""

from __future__ import annotations

import secrets
import subprocess
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from typing import Callable, Dict, List, Optional, Tuple

import pytest
import requests
import xmltodict
from wechatpy.crypto import WeChatCrypto

from bot.channels import wechat_protocol as protocol
from tests.conftest import (
    ROOT,
    WECHAT_TEST_AES_KEY,
    WECHAT_TEST_APP_ID,
    WECHAT_TEST_TOKEN,
    FakeWeChatApi,
    RunningServers,
    start_action_server,
    stop_process,
)

pytestmark = pytest.mark.e2e

ACCOUNT = "gh_e2e0wallet01"
PATH = "/webhooks/wechat/webhook"
HOTLINES = ("95188", "95017", "400-606-5500", "400-666-8800")
WECHAT_DEADLINE_SECONDS = 5.0

_msg_ids = iter(range(time.time_ns() // 1000, 2**63))


def new_openid() -> str:
    return f"oE2E_{uuid.uuid4().hex[:20]}"


def text_push(openid: str, content: str) -> str:
    """The XML WeChat pushes for a text message."""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><FromUserName><![CDATA[{openid}]]></FromUserName>"
        f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
        f"<Content><![CDATA[{content}]]></Content><MsgId>{next(_msg_ids)}</MsgId></xml>"
    )


def signed(openid: str, timestamp: str, nonce: str) -> Dict[str, str]:
    return {
        "signature": protocol.url_signature(WECHAT_TEST_TOKEN, timestamp, nonce),
        "timestamp": timestamp,
        "nonce": nonce,
        "openid": openid,
    }


def new_nonce() -> str:
    return str(secrets.randbelow(10**10))


def plaintext_request(openid: str, content: str) -> Tuple[str, Dict[str, str]]:
    return text_push(openid, content), signed(openid, str(int(time.time())), new_nonce())


def safe_mode_request(
    openid: str, content: str, timestamp: Optional[str] = None, nonce: Optional[str] = None
) -> Tuple[str, Dict[str, str]]:
    """Encrypted like WeChat in 安全模式: only ToUserName and Encrypt in the body, msg_signature in the query."""
    timestamp, nonce = timestamp or str(int(time.time())), nonce or new_nonce()
    crypto = WeChatCrypto(WECHAT_TEST_TOKEN, WECHAT_TEST_AES_KEY, WECHAT_TEST_APP_ID)
    envelope = xmltodict.parse(crypto.encrypt_message(text_push(openid, content), nonce, timestamp))["xml"]
    body = (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[{envelope['Encrypt']}]]></Encrypt></xml>"
    )
    params = {**signed(openid, timestamp, nonce), "encrypt_type": "aes", "msg_signature": envelope["MsgSignature"]}
    return body, params


def post(servers: RunningServers, body: str, params: Dict[str, str]) -> Tuple[int, str, float]:
    started = time.monotonic()
    response = requests.post(f"{servers.rasa_url}{PATH}", params=params, data=body.encode("utf-8"), timeout=30)
    return response.status_code, response.text, time.monotonic() - started


def reply_fields(reply: str) -> Dict[str, str]:
    """A passive reply parsed with the standard library (independent of the channel's renderer)."""
    return {child.tag: child.text or "" for child in ET.fromstring(reply)}


def decrypt(reply: str) -> Dict[str, str]:
    envelope = xmltodict.parse(reply)["xml"]
    inner = WeChatCrypto(WECHAT_TEST_TOKEN, WECHAT_TEST_AES_KEY, WECHAT_TEST_APP_ID).decrypt_message(
        reply, envelope["MsgSignature"], envelope["TimeStamp"], envelope["Nonce"]
    )
    return reply_fields(inner)


def what_the_user_reads(
    passive: str, api: FakeWeChatApi, openid: str, done: Callable[[str], bool], seconds: float = 10.0
) -> str:
    """The passive reply plus what arrives through the customer-service API, once `done` holds."""
    deadline = time.monotonic() + seconds
    while True:
        everything = "\n".join([passive, *api.texts_to(openid)])
        if done(everything) or time.monotonic() > deadline:
            return everything
        time.sleep(0.2)


def say(servers: RunningServers, openid: str, content: str) -> Tuple[str, float]:
    """A safe-mode text message; the decrypted passive reply's Content and the webhook latency."""
    status, reply, seconds = post(servers, *safe_mode_request(openid, content))
    assert status == 200, reply
    if reply == protocol.SUCCESS:  # slower than the reply budget: everything comes through the API
        return "", seconds
    fields = decrypt(reply)
    assert (fields["ToUserName"], fields["FromUserName"], fields["MsgType"]) == (openid, ACCOUNT, "text")
    return fields["Content"], seconds


def user_texts_seen_by_rasa(servers: RunningServers, openid: str) -> List[str]:
    response = requests.get(
        f"{servers.rasa_url}/conversations/wechat:{openid}/tracker", params={"token": servers.api_token}, timeout=30
    )
    response.raise_for_status()
    return [e.get("text") for e in response.json().get("events", []) if e.get("event") == "user"]


def test_message_gets_the_alipay_hotline_within_the_deadline(
    servers: RunningServers, fake_wechat_api: FakeWeChatApi
) -> None:
    openid = new_openid()
    passive, seconds = say(servers, openid, "我用支付宝充值失败了")
    assert seconds < WECHAT_DEADLINE_SECONDS
    assert passive and len(passive.encode("utf-8")) <= protocol.PASSIVE_REPLY_MAX_BYTES
    answer = what_the_user_reads(passive, fake_wechat_api, openid, lambda text: "95188" in text)
    assert "95188" in answer
    assert "抱歉" not in answer  # a real answer, not the outage apology


def test_safe_mode_message_gets_an_encrypted_reply_that_decrypts(
    servers: RunningServers, fake_wechat_api: FakeWeChatApi
) -> None:
    openid = new_openid()
    status, reply, seconds = post(servers, *safe_mode_request(openid, "我的微信零钱被盗刷了"))
    assert status == 200 and seconds < WECHAT_DEADLINE_SECONDS
    assert "<Encrypt>" in reply and "CDATA[text]" not in reply  # nothing readable travels in the clear
    fields = decrypt(reply)
    assert (fields["ToUserName"], fields["FromUserName"], fields["MsgType"]) == (openid, ACCOUNT, "text")
    answer = what_the_user_reads(fields["Content"], fake_wechat_api, openid, lambda text: "95017" in text)
    assert "95017" in answer
    assert user_texts_seen_by_rasa(servers, openid) == ["我的微信零钱被盗刷了"]


def test_plaintext_push_is_forbidden_because_the_servers_have_an_aes_key(servers: RunningServers) -> None:
    openid = new_openid()
    status, _, _ = post(servers, *plaintext_request(openid, "明文消息"))
    assert status == 403
    assert user_texts_seen_by_rasa(servers, openid) == []


def test_replayed_nonce_with_another_body_is_forbidden(servers: RunningServers) -> None:
    openid = new_openid()
    body, params = safe_mode_request(openid, "我用支付宝充值失败了")
    assert post(servers, body, params)[0] == 200
    assert post(servers, body, params)[0] == 200  # WeChat retrying: the same answer, Rasa sees it once
    # Another message under the same timestamp and nonce, both signatures valid: only the nonce
    # memory can tell it from a retry.
    other, other_params = safe_mode_request(openid, "冒充的消息", params["timestamp"], params["nonce"])
    assert post(servers, other, other_params)[0] == 403
    assert user_texts_seen_by_rasa(servers, openid) == ["我用支付宝充值失败了"]


def test_forged_signatures_are_forbidden_and_never_reach_rasa(servers: RunningServers) -> None:
    openid = new_openid()
    body, params = plaintext_request(openid, "伪造的消息")
    status, _, _ = post(servers, body, {**params, "signature": "0" * 40})
    assert status == 403
    body, params = safe_mode_request(openid, "伪造的加密消息")
    status, _, _ = post(servers, body, {**params, "msg_signature": "0" * 40})
    assert status == 403
    assert user_texts_seen_by_rasa(servers, openid) == []


def test_action_server_down_gets_the_calm_apology_then_answers_return(
    breakable_servers: RunningServers, fake_wechat_api: FakeWeChatApi
) -> None:
    servers = breakable_servers
    stop_process(servers.processes["actions"])
    try:
        openid = new_openid()
        passive, seconds = say(servers, openid, "我用支付宝充值失败了")
        assert seconds < WECHAT_DEADLINE_SECONDS
        apology = what_the_user_reads(passive, fake_wechat_api, openid, lambda text: "400-666-8800" in text)
        assert "抱歉" in apology
        for hotline in HOTLINES:
            assert hotline in apology
    finally:
        start_action_server(servers)
    openid = new_openid()
    passive, _ = say(servers, openid, "我用支付宝充值失败了")
    answer = what_the_user_reads(passive, fake_wechat_api, openid, lambda text: "95188" in text)
    assert "95188" in answer and "抱歉" not in answer


def test_simulator_talks_to_the_bot_and_benchmarks_it(servers: RunningServers) -> None:
    """`make wechat-sim`: a piped conversation and a short bench in safe mode."""
    sim = [sys.executable, "scripts/wechat_sim.py", "--url", f"{servers.rasa_url}{PATH}", "--api-port", "0"]
    talk = subprocess.run(
        sim, input="我用支付宝充值失败了\n", env=servers.env, cwd=ROOT, capture_output=True, text=True, timeout=60
    )
    assert talk.returncode == 0, talk.stderr
    assert "!!" not in talk.stdout, talk.stdout
    assert "欢迎关注" in talk.stdout  # the subscribe event's welcome
    assert "你：我用支付宝充值失败了\n助手：" in talk.stdout

    bench = subprocess.run(
        [*sim, "--mode", "safe", "--bench", "4", "--senders", "2"],
        env=servers.env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert bench.returncode == 0, bench.stdout + bench.stderr
    assert "over 5 s: 0" in bench.stdout and "failed: 0" in bench.stdout
