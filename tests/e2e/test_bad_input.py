"""Bad input against the running servers: junk never causes a 5xx, secrets never reach the tracker store."""

from __future__ import annotations

import json
import sqlite3
import time
import uuid

import pytest
import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy.engine.url import make_url

from bot.channels.wechat_protocol import url_signature
from tests.conftest import WECHAT_TEST_TOKEN, RunningServers, real_answer

pytestmark = pytest.mark.e2e
FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def rest(servers: RunningServers, body: bytes) -> requests.Response:
    return requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook", data=body, headers={"Content-Type": "application/json"}, timeout=60
    )


def still_answers(servers: RunningServers) -> None:
    reply = "\n".join(m.get("text", "") for m in servers.talk(f"after-{uuid.uuid4().hex}", "我用支付宝充值失败了"))
    assert "95188" in real_answer(reply)


@pytest.mark.parametrize(
    "message",
    [
        "😡😡😡💸💸",
        "<script>alert('x')</script>我的钱没了",
        "'; DROP TABLE events; -- 支付宝充值失败",
        "钱" * 10_000,
        "\u0000\u0001\u0002",
        "‮‭ 零宽字符\u200b\u200b测试",
    ],
)
def test_odd_messages_get_a_sensible_reply(servers: RunningServers, message: str) -> None:
    reply = servers.talk(f"odd-{uuid.uuid4().hex}", message)
    assert reply and all(m.get("text") for m in reply)


@FUZZ
@given(text=st.text(max_size=400))
def test_random_unicode_over_rest_never_fails(servers: RunningServers, text: str) -> None:
    # A sender per example: one sender's 40 messages in a few seconds would meet the rate limit
    # after 20, and the fuzz would test the "slow down" reply instead of the assistant.
    sender = f"fuzz-unicode-{uuid.uuid4().hex}"
    response = rest(servers, json.dumps({"sender": sender, "message": text}).encode())
    assert response.status_code == 200
    assert response.json(), "every message gets at least one reply"


JSON_JUNK = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=50),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=10,
)


@FUZZ
@given(body=JSON_JUNK.map(lambda value: json.dumps(value).encode()) | st.binary(max_size=500))
def test_structured_junk_over_rest_is_a_client_error_at_worst(servers: RunningServers, body: bytes) -> None:
    assert rest(servers, body).status_code < 500


@FUZZ
@given(
    body=st.binary(max_size=800) | st.text(max_size=400).map(lambda t: f"<xml><Content>{t}</Content></xml>".encode())
)
def test_signed_junk_to_wechat_is_refused_cleanly(servers: RunningServers, body: bytes) -> None:
    timestamp, nonce = str(int(time.time())), "424242"
    params = {"signature": url_signature(WECHAT_TEST_TOKEN, timestamp, nonce), "timestamp": timestamp, "nonce": nonce}
    response = requests.post(f"{servers.rasa_url}/webhooks/wechat/webhook", params=params, data=body, timeout=30)
    assert response.status_code < 500


def test_server_still_answers_after_the_fuzzing(servers: RunningServers) -> None:
    still_answers(servers)


def test_card_number_is_masked_in_the_tracker_store(servers: RunningServers) -> None:
    sender = f"privacy-{uuid.uuid4().hex}"
    card = "6222021234567890128"
    reply = "\n".join(m.get("text", "") for m in servers.talk(sender, f"我的卡号{card}被盗刷了，验证码是482913"))
    assert "验证码" in reply and card not in reply
    database = make_url(servers.env["TRACKER_STORE_URL"]).database
    with sqlite3.connect(str(database)) as db:
        rows = db.execute("SELECT data FROM events WHERE sender_id = ?", (f"rest:{sender}",)).fetchall()
    stored = "\n".join(row[0] for row in rows)
    assert rows and "0128" in stored
    assert card not in stored and "482913" not in stored
