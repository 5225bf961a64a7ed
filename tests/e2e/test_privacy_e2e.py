"""Conversations belong to their user and channel, over the real servers (issue 14).

- a REST caller reusing a Telegram chat id or a WeChat openid gets its own, empty conversation;
- REST refuses callers without the token when one is set, and non-local callers when none is;
- "删除我的记录", confirmed, removes the tracker rows and the case file (checked in the databases);
- the operator's purge removes old conversations and case files and keeps recent ones.
"""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
import time
import uuid
from typing import Any, Dict, Iterator, List

import pytest
import requests
import sqlalchemy as sa

from assistant_core.settings import Settings
from tests.channels.test_telegram_channel import FakeTelegramApi, post_to_servers, text_update
from tests.conftest import (
    ROOT,
    RunningServers,
    free_port,
    rasa_run_args,
    start_process,
    stop_process,
    wait_until_healthy,
)
from tests.e2e.test_wechat_e2e import new_openid, say

pytestmark = pytest.mark.e2e

ORDER_ID = "2026112599887766"
REPORT = f"我昨天用支付宝充值500元一直没到账，订单号{ORDER_ID}"
DAY_SECONDS = 86400


def joined(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def tracker_rows(servers: RunningServers, sender_id: str) -> int:
    with sa.create_engine(servers.env["TRACKER_STORE_URL"]).connect() as conn:
        query = sa.text("SELECT count(*) FROM events WHERE sender_id = :s")
        return int(conn.execute(query, {"s": sender_id}).scalar_one())


def case_files(servers: RunningServers, conversation_id: str) -> int:
    with sa.create_engine(Settings.from_env(servers.env).cases_db_url).connect() as conn:
        query = sa.text("SELECT count(*) FROM case_files WHERE conversation_id = :c")
        return int(conn.execute(query, {"c": conversation_id}).scalar_one())


def ask_for_the_letter(servers: RunningServers, sender: str) -> str:
    """What the issue's attacker did: ask for the letter and skip every question."""
    replies = [joined(servers.talk(sender, "帮我写投诉信"))]
    for _ in range(4):
        replies.append(joined(servers.talk(sender, "跳过")))
    return "\n".join(replies)


# --- no cross-channel reads --------------------------------------------------------------------


async def test_a_rest_caller_reusing_a_telegram_chat_id_cannot_read_or_change_that_chat(
    servers: RunningServers,
) -> None:
    api = FakeTelegramApi(token=servers.env["TELEGRAM_BOT_TOKEN"])
    await api.start(int(servers.env["TELEGRAM_API_BASE_URL"].rsplit(":", 1)[1]))
    try:
        chat_id = 800000 + free_port()
        update = text_update(REPORT, update_id=chat_id, chat_id=chat_id)
        assert await post_to_servers(servers, update, servers.env["TELEGRAM_SECRET_TOKEN"]) == 200
        assert "95188" in "\n".join(api.texts_to(chat_id))
    finally:
        await api.stop()
    victim = f"telegram:{chat_id}"
    before = tracker_rows(servers, victim)
    assert before > 0

    for sender in (str(chat_id), victim):
        assert ORDER_ID not in ask_for_the_letter(servers, sender)
    assert tracker_rows(servers, victim) == before
    assert tracker_rows(servers, f"rest:{chat_id}") > 0


def test_a_rest_caller_reusing_a_wechat_openid_cannot_read_or_change_that_users_conversation(
    servers: RunningServers,
) -> None:
    openid = new_openid()
    say(servers, openid, REPORT)
    victim = f"wechat:{openid}"
    before = tracker_rows(servers, victim)
    assert before > 0

    for sender in (openid, victim):
        assert ORDER_ID not in ask_for_the_letter(servers, sender)
    assert tracker_rows(servers, victim) == before


# --- an authenticated REST channel ------------------------------------------------------------


@pytest.fixture(scope="module")
def token_server(servers: RunningServers) -> Iterator[RunningServers]:
    """A second Rasa server on the same stores and action server, with REST_API_TOKEN set."""
    token = f"rest-{uuid.uuid4().hex}"
    env = {**servers.env, "REST_API_TOKEN": token, "TELEGRAM_BOT_TOKEN": ""}
    second = dataclasses.replace(
        servers, rasa_url=f"http://127.0.0.1:{free_port()}", env=env, processes={}, said=servers.said
    )
    process = start_process("rasa-rest-token", rasa_run_args(second), env, servers.workdir)
    try:
        wait_until_healthy(f"{second.rasa_url}/webhooks/health/", process, servers.workdir / "rasa-rest-token.log", 240)
        yield second
    finally:
        stop_process(process)


def test_with_a_token_set_rest_refuses_calls_without_it(token_server: RunningServers) -> None:
    url = f"{token_server.rasa_url}/webhooks/rest/webhook"
    body = {"sender": f"e2e-{uuid.uuid4().hex}", "message": "我用支付宝充值失败了"}
    for headers in ({}, {"Authorization": "Bearer not-the-token"}):
        refused = requests.post(url, json=body, headers=headers, timeout=30)
        assert refused.status_code == 401 and "REST_API_TOKEN" in refused.text
    token = token_server.env["REST_API_TOKEN"]
    allowed = requests.post(url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60)
    assert allowed.status_code == 200 and "95188" in joined(allowed.json())
    log = (token_server.workdir / "rasa-rest-token.log").read_text(encoding="utf-8", errors="replace")
    assert "every call needs the bearer token REST_API_TOKEN" in log


def this_machines_other_address() -> str:
    """A non-loopback address of this machine (a UDP connect sends nothing), or skip."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))
            address = str(probe.getsockname()[0])
        except OSError:
            address = ""
    if not address or address.startswith("127.") or address == "0.0.0.0":
        pytest.skip("this machine has no non-loopback IPv4 address to call from")
    return address


def test_without_a_token_rest_refuses_callers_that_are_not_this_machine(servers: RunningServers) -> None:
    port = servers.rasa_url.rsplit(":", 1)[1]
    body = {"sender": f"e2e-{uuid.uuid4().hex}", "message": "我用支付宝充值失败了"}
    proxied = requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook", json=body, headers={"X-Forwarded-For": "203.0.113.7"}, timeout=30
    )
    assert proxied.status_code == 403
    log = (servers.workdir / "rasa.log").read_text(encoding="utf-8", errors="replace")
    assert "REST_API_TOKEN is not set, so /webhooks/rest/ answers only direct calls from this machine" in log
    other = f"http://{this_machines_other_address()}:{port}/webhooks/rest/webhook"
    remote = requests.post(other, json=body, timeout=30)
    assert remote.status_code == 403 and "REST_API_TOKEN" in remote.text


# --- the user's right to deletion ---------------------------------------------------------------


def test_deleting_my_records_removes_the_tracker_rows_and_the_case_file(servers: RunningServers) -> None:
    user = f"e2e-erase-{uuid.uuid4().hex}"
    conversation = f"rest:{user}"
    servers.talk(user, REPORT)
    servers.talk(user, "帮我写投诉信")
    assert ORDER_ID in joined(servers.talk(user, "退款"))
    assert tracker_rows(servers, conversation) > 0 and case_files(servers, conversation) == 1

    ask = servers.talk(user, "删除我的记录")
    assert [b["title"] for m in ask for b in m.get("buttons", [])] == ["确认删除", "算了"]
    kept = joined(servers.talk(user, "算了"))
    assert "没有删除" in kept and case_files(servers, conversation) == 1

    ask = servers.talk(user, "请删除我的个人信息")
    confirm = next(b["payload"] for m in ask for b in m.get("buttons", []) if b["title"] == "确认删除")
    assert "已删除" in joined(servers.talk(user, confirm))
    assert tracker_rows(servers, conversation) == 0
    assert case_files(servers, conversation) == 0

    assert ORDER_ID not in ask_for_the_letter(servers, user)


def test_purge_removes_old_conversations_and_case_files_and_keeps_new_ones(servers: RunningServers) -> None:
    old, new = (f"e2e-purge-{uuid.uuid4().hex}" for _ in range(2))
    for user in (old, new):
        servers.talk(user, "我用支付宝充值失败了")
        servers.talk(user, "我上周已经投诉了，工单号T20241118007")
    assert case_files(servers, f"rest:{old}") == 1
    aged = 200 * DAY_SECONDS
    with sa.create_engine(servers.env["TRACKER_STORE_URL"]).begin() as conn:
        conn.execute(
            sa.text("UPDATE events SET timestamp = timestamp - :aged WHERE sender_id = :s"),
            {"aged": aged, "s": f"rest:{old}"},
        )
    with sa.create_engine(Settings.from_env(servers.env).cases_db_url).begin() as conn:
        conn.execute(
            sa.text("UPDATE case_files SET updated_at = :t WHERE conversation_id = :c"),
            {"t": "2020-01-01 00:00:00", "c": f"rest:{old}"},
        )

    started = time.monotonic()
    purge = subprocess.run(
        [sys.executable, "-m", "actions.retention", "purge"],
        cwd=ROOT, env={**servers.env, "RETENTION_DAYS": "180"}, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert purge.returncode == 0, purge.stderr
    assert "older than 180 days" in purge.stdout and time.monotonic() - started < 120
    assert tracker_rows(servers, f"rest:{old}") == 0 and case_files(servers, f"rest:{old}") == 0
    assert tracker_rows(servers, f"rest:{new}") > 0 and case_files(servers, f"rest:{new}") == 1
    assert "95188" in joined(servers.talk(new, "支付宝客服电话是多少"))
