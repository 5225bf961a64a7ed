"""Rate limit per sender (fake clock), its notice through the guard, the settings, and socket.io metadata."""

from __future__ import annotations

import json
import logging
from typing import Any, List

import pytest
from rasa.core.channels.channel import CollectingOutputChannel, UserMessage

from assistant_core.settings import InputLimits
from bot.channel_copy import channel_text
from bot.channels import socketio_policy as policy
from bot.channels.guard import handle_guarded
from bot.channels.limits import RateLimiter, Verdict


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_sender_gets_the_burst_then_is_told_once_then_dropped() -> None:
    limiter = RateLimiter(3, 60, clock=FakeClock())
    verdicts = [limiter.check("u1") for _ in range(6)]
    assert verdicts == [Verdict.ALLOW] * 3 + [Verdict.NOTIFY, Verdict.DROP, Verdict.DROP]
    assert limiter.check("u2") is Verdict.ALLOW  # other senders are not affected


def test_tokens_come_back_with_time() -> None:
    clock = FakeClock()
    limiter = RateLimiter(2, 60, clock=clock)
    assert [limiter.check("u1") for _ in range(3)] == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTIFY]
    clock.now += 29  # one token per 30 s
    assert limiter.check("u1") is Verdict.DROP
    clock.now += 1
    assert limiter.check("u1") is Verdict.ALLOW
    assert limiter.check("u1") is Verdict.NOTIFY  # told again after having been let through
    clock.now += 3600
    assert [limiter.check("u1") for _ in range(3)] == [Verdict.ALLOW, Verdict.ALLOW, Verdict.NOTIFY]


def test_the_number_of_senders_remembered_is_capped() -> None:
    limiter = RateLimiter(1, 60, max_senders=100, clock=FakeClock())
    for n in range(1000):
        limiter.check(f"u{n}")
    assert len(limiter) == 100


@pytest.mark.parametrize("messages, seconds", [(0, 60), (20, 0)])
def test_zero_turns_the_limit_off(messages: int, seconds: float) -> None:
    limiter = RateLimiter(messages, seconds, clock=FakeClock())
    assert not limiter.enabled
    assert {limiter.check("u1") for _ in range(1000)} == {Verdict.ALLOW}
    assert len(limiter) == 0


async def test_the_guard_says_slow_down_to_every_message_over_the_limit_and_spares_rasa() -> None:
    received: List[UserMessage] = []

    async def rasa(message: UserMessage) -> None:
        received.append(message)
        await message.output_channel.send_text_message(message.sender_id, "好的")

    limiter = RateLimiter(2, 60, clock=FakeClock())
    output = CollectingOutputChannel()
    for n in range(5):
        await handle_guarded(rasa, UserMessage(f"第{n}条", output, "rest:u1"), limiter=limiter)
    assert len(received) == 2
    texts = [m["text"] for m in output.messages]
    # Never silence: each message over the limit is told to slow down, none reaches Rasa.
    assert texts == ["好的", "好的", *[channel_text("utter_channel_too_fast")] * 3]
    assert "太快" in texts[-1]


def test_settings_defaults_and_overrides() -> None:
    assert InputLimits.from_env({}) == InputLimits(64 * 1024, 20, 60.0)
    env = {"MAX_REQUEST_BYTES": "32768", "RATE_LIMIT_MESSAGES": "0", "RATE_LIMIT_SECONDS": "10"}
    assert InputLimits.from_env(env) == InputLimits(32768, 0, 10.0)


@pytest.mark.parametrize(
    "key, value", [("MAX_REQUEST_BYTES", "100"), ("MAX_REQUEST_BYTES", "64KB"), ("RATE_LIMIT_MESSAGES", "-1")]
)
def test_malformed_settings_are_refused(key: str, value: str) -> None:
    with pytest.raises(ValueError, match=key):
        InputLimits.from_env({key: value})


def test_only_the_metadata_the_bot_reads_is_kept() -> None:
    data = {
        "message": "你好",
        "metadata": {"now": "2026-12-01T10:00:00+08:00", "timestamp": 1764554400, "user": {"x": 1}, "page": "/"},
    }
    assert policy.message_metadata(data, "metadata") == {"now": "2026-12-01T10:00:00+08:00", "timestamp": 1764554400}


@pytest.mark.parametrize("value", [True, None, {"nested": 1}, ["list"], "", "x" * 65])
def test_metadata_values_that_are_not_short_scalars_are_dropped(value: Any) -> None:
    assert policy.message_metadata({"metadata": {"now": value}}, "metadata") == {}


@pytest.mark.parametrize("as_json_text", [False, True])
def test_metadata_over_4kb_is_dropped_whole_with_a_log_line(
    as_json_text: bool, caplog: pytest.LogCaptureFixture
) -> None:
    metadata: Any = {"now": "2026-12-01T10:00:00+08:00", "padding": "盗" * 2000}
    if as_json_text:
        metadata = json.dumps(metadata, ensure_ascii=False)
    with caplog.at_level(logging.WARNING, logger=policy.__name__):
        assert policy.message_metadata({"metadata": metadata}, "metadata") == {}
    assert "Dropped website chat metadata" in caplog.text


def test_metadata_as_json_text_is_read() -> None:
    data = {"metadata": '{"now": "2026-12-01T10:00:00+08:00", "other": 1}'}
    assert policy.message_metadata(data, "metadata") == {"now": "2026-12-01T10:00:00+08:00"}
