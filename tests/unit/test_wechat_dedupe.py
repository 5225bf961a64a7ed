"""Retry de-duplication: Rasa sees each WeChat message once and the user gets one answer."""

from __future__ import annotations

import asyncio
import logging

import pytest

from bot.channels.wechat_dedupe import BoundedTTLMap, NonceMemory, NonceVerdict, Outcome, RequestDeduplicator


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Work:
    """Counts calls; answers after `delay` seconds, or raises."""

    def __init__(self, answer: str = "答复", delay: float = 0.0, error: Exception | None = None) -> None:
        self.answer, self.delay, self.error = answer, delay, error
        self.calls = 0

    async def __call__(self) -> str:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.error:
            raise self.error
        return self.answer


class Deliveries:
    """Records what went out through the 'customer-service API'."""

    def __init__(self, fail: bool = False) -> None:
        self.sent: list[str] = []
        self.fail = fail

    async def __call__(self, value: str) -> None:
        if self.fail:
            raise RuntimeError("API down")
        self.sent.append(value)


async def test_concurrent_retries_share_one_run_and_one_passive_delivery() -> None:
    dedupe: RequestDeduplicator[str] = RequestDeduplicator()
    work, later = Work(delay=0.05), Deliveries()
    outcomes = await asyncio.gather(*(dedupe.run("msg:1", work, 1.0, later) for _ in range(3)))
    assert work.calls == 1
    assert [o.value for o in outcomes] == ["答复"] * 3
    assert sum(o.delivers for o in outcomes) == 1
    assert later.sent == []


async def test_later_retry_gets_the_cached_reply_without_rerunning() -> None:
    dedupe: RequestDeduplicator[str] = RequestDeduplicator()
    work, later = Work(), Deliveries()
    first = await dedupe.run("msg:1", work, 1.0, later)
    retry = await dedupe.run("msg:1", work, 1.0, later)
    assert (first, retry) == (Outcome("答复", delivers=True), Outcome("答复", delivers=False))
    assert work.calls == 1
    other = await dedupe.run("msg:2", work, 1.0, later)
    assert other.delivers and work.calls == 2


async def test_slow_work_answers_success_and_is_delivered_later_exactly_once() -> None:
    dedupe: RequestDeduplicator[str] = RequestDeduplicator()
    work, later = Work(delay=0.2), Deliveries()
    first = await dedupe.run("msg:1", work, 0.05, later)
    assert first == Outcome(None, delivers=False)  # the webhook answers `success`
    retry_in_flight = await dedupe.run("msg:1", work, 1.0, later)
    assert retry_in_flight == Outcome(None, delivers=False)  # no second passive copy
    await dedupe.drain()
    assert later.sent == ["答复"]
    retry_after = await dedupe.run("msg:1", work, 1.0, later)
    assert retry_after.value is None
    assert work.calls == 1 and later.sent == ["答复"]


async def test_waiter_with_more_budget_does_not_double_deliver_after_hand_off() -> None:
    dedupe: RequestDeduplicator[str] = RequestDeduplicator()
    work, later = Work(delay=0.1), Deliveries()
    short, long = await asyncio.gather(
        dedupe.run("msg:1", work, 0.02, later),
        dedupe.run("msg:1", work, 1.0, later),
    )
    await dedupe.drain()
    assert short.value is None and long.value is None
    assert later.sent == ["答复"]


async def test_client_hanging_up_hands_the_answer_to_late_delivery() -> None:
    dedupe: RequestDeduplicator[str] = RequestDeduplicator()
    work, later = Work(delay=0.1), Deliveries()
    waiter = asyncio.ensure_future(dedupe.run("msg:1", work, 1.0, later))
    await asyncio.sleep(0.02)
    waiter.cancel()  # what Sanic does when WeChat drops the connection
    with pytest.raises(asyncio.CancelledError):
        await waiter
    await dedupe.drain()
    assert later.sent == ["答复"]
    assert work.calls == 1


async def test_failing_work_reaches_waiters_and_late_failures_are_only_logged(
    caplog: pytest.LogCaptureFixture,
) -> None:
    dedupe: RequestDeduplicator[str] = RequestDeduplicator()
    with pytest.raises(ValueError, match="boom"):
        await dedupe.run("msg:1", Work(error=ValueError("boom")), 1.0, Deliveries())
    caplog.set_level(logging.ERROR)
    assert (await dedupe.run("msg:2", Work(delay=0.05, error=ValueError("late")), 0.0, Deliveries())).value is None
    assert (await dedupe.run("msg:3", Work(delay=0.01), 0.0, Deliveries(fail=True))).value is None
    await dedupe.drain()
    messages = [r.getMessage() for r in caplog.records]
    assert any("msg:2" in m and "no answer" in m for m in messages)
    assert any("msg:3" in m and "customer-service API" in m for m in messages)


async def test_entries_expire_and_memory_is_bounded() -> None:
    clock = FakeClock()
    dedupe: RequestDeduplicator[str] = RequestDeduplicator(BoundedTTLMap(max_entries=3, ttl_seconds=60, clock=clock))
    work, later = Work(), Deliveries()
    for key in ("a", "b", "c", "d", "e"):
        await dedupe.run(key, work, 1.0, later)
    assert len(dedupe) == 3 and work.calls == 5
    await dedupe.run("e", work, 1.0, later)  # still remembered
    assert work.calls == 5
    await dedupe.run("a", work, 1.0, later)  # evicted when full: runs again
    assert work.calls == 6
    clock.now += 61
    await dedupe.run("e", work, 1.0, later)  # expired: runs again
    assert work.calls == 7


def test_bounded_ttl_map() -> None:
    clock = FakeClock()
    memory: BoundedTTLMap[str, int] = BoundedTTLMap(max_entries=2, ttl_seconds=10, clock=clock)
    memory.set("u1", 1)
    memory.set("u2", 2)
    memory.set("u3", 3)
    assert (memory.get("u1"), memory.get("u2"), memory.get("u3")) == (None, 2, 3)
    assert memory.pop("u2") == 2 and memory.get("u2") is None
    clock.now += 11
    assert memory.get("u3") is None and len(memory) == 0
    memory.set("u4", 4)
    assert list(memory) == ["u4"]
    with pytest.raises(ValueError):
        BoundedTTLMap(max_entries=0)


async def test_deduplicator_knows_its_keys_and_logs_them_as_described(caplog: pytest.LogCaptureFixture) -> None:
    dedupe: RequestDeduplicator[str] = RequestDeduplicator(describe=lambda key: "conv-hidden")
    assert "msg:oUser:1" not in dedupe
    caplog.set_level(logging.ERROR)
    await dedupe.run("msg:oUser:1", Work(delay=0.01), 0.0, Deliveries(fail=True))
    assert "msg:oUser:1" in dedupe and "msg:oOther:1" not in dedupe
    await dedupe.drain()
    assert "conv-hidden" in caplog.text and "oUser" not in caplog.text


# --- nonce memory: replays of a signed query string -------------------------------------------------


def test_nonce_memory_tells_a_retry_from_a_replay() -> None:
    clock = FakeClock()
    nonces = NonceMemory(window_seconds=300, clock=clock)
    assert nonces.check("1000", "111", b"message-a") is NonceVerdict.NEW
    assert nonces.check("1000", "111", b"message-a") is NonceVerdict.RETRY
    assert nonces.check("1000", "111", b"message-b") is NonceVerdict.REPLAY
    # The pair is what the signature covers: the same nonce at another timestamp is another request.
    assert nonces.check("1001", "111", b"message-b") is NonceVerdict.NEW
    assert nonces.check("1000", "222", b"message-b") is NonceVerdict.NEW


def test_nonces_are_remembered_exactly_as_long_as_their_timestamp_is_fresh() -> None:
    clock = FakeClock()
    nonces = NonceMemory(window_seconds=300, clock=clock)
    nonces.check("1000", "111", b"a")
    nonces.check("1200", "222", b"a")  # from a clock 200 s ahead of ours
    clock.now = 1300.0  # timestamp 1000 is still fresh (|1300 - 1000| <= 300)
    assert nonces.check("1000", "111", b"b") is NonceVerdict.REPLAY
    clock.now = 1301.0  # stale now: the timestamp check refuses it, the memory may forget it
    nonces.check("1300", "333", b"a")
    assert nonces.check("1200", "222", b"b") is NonceVerdict.REPLAY
    assert len(nonces) == 2


def test_full_nonce_memory_refuses_rather_than_forgetting_a_live_entry() -> None:
    clock = FakeClock()
    nonces = NonceMemory(window_seconds=300, max_entries=2, clock=clock)
    nonces.check("1100", "1", b"a")  # expires last, and sits first in arrival order
    nonces.check("1000", "2", b"a")
    assert nonces.check("1000", "3", b"a") is NonceVerdict.FULL
    assert nonces.check("1100", "1", b"x") is NonceVerdict.REPLAY  # still remembered
    clock.now = 1301.0  # "2" went stale behind the live "1": the full sweep makes room
    assert nonces.check("1300", "3", b"a") is NonceVerdict.NEW
    assert nonces.check("1100", "1", b"x") is NonceVerdict.REPLAY
    with pytest.raises(ValueError):
        NonceMemory(window_seconds=0)
