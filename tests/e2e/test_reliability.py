"""Durable conversations, the action server failing, and 100 users at once — on the real servers."""

from __future__ import annotations

import asyncio
import re
import statistics
import time
import uuid
from urllib.parse import urlsplit

import aiohttp
import pytest

from tests.conftest import (
    RunningServers,
    real_answer,
    report_figure,
    restart_rasa_server,
    start_action_server,
    stop_process,
)

pytestmark = pytest.mark.e2e
HOTLINES = ("95188", "95017", "400-606-5500", "400-666-8800")
STEP = re.compile(r"🪜 (?:第一步|第 (\d+) 步)")


def joined(messages: list) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def step_of(reply: str) -> int:
    match = STEP.search(reply)
    assert match, reply
    return int(match.group(1) or 1)


def test_a_restarted_server_continues_the_escalation_where_it_was(breakable_servers: RunningServers) -> None:
    servers = breakable_servers
    user = f"restart-{uuid.uuid4().hex}"
    assert step_of(joined(servers.talk(user, "京东钱包充值扣了钱没到账"))) == 1
    assert step_of(joined(servers.talk(user, "还是不行"))) == 2
    restart_rasa_server(servers)
    assert step_of(joined(servers.talk(user, "还是不行"))) == 3


def test_action_server_down_gives_the_apology_then_recovers(breakable_servers: RunningServers) -> None:
    servers = breakable_servers
    stop_process(servers.processes["actions"])
    try:
        reply = joined(servers.talk(f"down-{uuid.uuid4().hex}", "我用支付宝充值失败了"))
        assert "抱歉" in reply and all(hotline in reply for hotline in HOTLINES)
    finally:
        start_action_server(servers)
    assert "95188" in real_answer(joined(servers.talk(f"up-{uuid.uuid4().hex}", "我用支付宝充值失败了")))


def test_an_action_call_written_late_on_its_connection_is_still_answered(servers: RunningServers) -> None:
    """Rasa may connect to the action server and write its request only seconds later, when a
    burst of messages keeps its event loop busy; the connection must still be open then."""
    url = urlsplit(servers.actions_url)

    async def late_request() -> bytes:
        reader, writer = await asyncio.open_connection(url.hostname, url.port)
        try:
            await asyncio.sleep(7)  # longer than Sanic's default keep-alive timeout (5 s)
            writer.write(f"GET /health HTTP/1.1\r\nHost: {url.netloc}\r\nConnection: close\r\n\r\n".encode())
            await writer.drain()
            return await asyncio.wait_for(reader.read(), timeout=10)
        finally:
            writer.close()

    answer = asyncio.run(late_request())
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


WALLETS = (("支付宝", "95188"), ("微信", "95017"), ("京东钱包", "400-606-5500"), ("Apple Pay", "400-666-8800"))


async def one_user(session: aiohttp.ClientSession, url: str, index: int, latencies: list) -> list:
    """Ten turns; returns what this user saw, turn by turn."""
    wallet, _ = WALLETS[index % len(WALLETS)]
    turns = [f"我用{wallet}充值失败了"] + ["还是不行"] * 9
    sender, seen = f"load-{index}-{uuid.uuid4().hex[:8]}", []
    for text in turns:
        started = time.perf_counter()
        async with session.post(url, json={"sender": sender, "message": text}) as reply:
            assert reply.status == 200
            seen.append(joined(await reply.json()))
        latencies.append(time.perf_counter() - started)
    return seen


def test_hundred_concurrent_users_each_get_their_own_replies_in_order(servers: RunningServers) -> None:
    users, latencies = 100, []

    async def run() -> list:
        timeout = aiohttp.ClientTimeout(total=600)
        async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=100)) as session:
            url = f"{servers.rasa_url}/webhooks/rest/webhook"
            return await asyncio.gather(*(one_user(session, url, i, latencies) for i in range(users)))

    started = time.perf_counter()
    transcripts = asyncio.run(run())
    elapsed = time.perf_counter() - started
    for index, seen in enumerate(transcripts):
        _, hotline = WALLETS[index % len(WALLETS)]
        others = [h for _, h in WALLETS if h != hotline]
        assert len(seen) == 10
        assert hotline in seen[0] and not any(h in seen[0] for h in others), f"user {index} got someone else's answer"
        steps = [step_of(reply) for reply in seen[:5]]
        assert steps == [1, 2, 3, 4, 5], f"user {index}: {steps}"
        assert all("渠道回顾" in reply for reply in seen[5:]), f"user {index} past the last step"
    ordered = sorted(latencies)
    p50, p95, p99 = (ordered[int(len(ordered) * q) - 1] for q in (0.5, 0.95, 0.99))
    report_figure(
        f"load: {users} users x 10 turns = {len(latencies)} turns in {elapsed:.1f} s "
        f"({len(latencies) / elapsed:.1f} turns/s); latency p50 {p50 * 1000:.0f} ms, "
        f"p95 {p95 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms, mean {statistics.mean(latencies) * 1000:.0f} ms"
    )
