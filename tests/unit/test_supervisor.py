"""scripts/supervise.py (make run): back-off, restarts and stops, with a fake clock and real short-lived children."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from pathlib import Path
from typing import Iterator, List

import pytest

from scripts.supervise import Backoff, Spec, Supervisor, assistant_specs, describe_exit

EXITS_3 = [sys.executable, "-c", "import sys; sys.exit(3)"]
SLEEPS = [sys.executable, "-c", "import time; time.sleep(60)"]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def spec(name: str, args: List[str], start_seconds: float = 30) -> Spec:
    return Spec(
        name=name,
        title=name.capitalize(),
        args=args,
        health_url=f"http://127.0.0.1:9/{name}",
        start_seconds=start_seconds,
        fix=f"look at {name}",
    )


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def stopped_afterwards() -> Iterator[List[Supervisor]]:
    """Supervisors a test made; every child still running is stopped at the end."""
    made: List[Supervisor] = []
    yield made
    for supervisor in made:
        supervisor.stop_all(seconds=5)


def test_the_back_off_doubles_up_to_thirty_seconds_and_resets_after_a_minute_up() -> None:
    backoff = Backoff()
    assert [backoff.delay_after_exit(uptime=2) for _ in range(7)] == [1, 2, 4, 8, 16, 30, 30]
    assert backoff.delay_after_exit(uptime=60) == 1
    assert backoff.delay_after_exit(uptime=59) == 2


def test_exit_codes_are_named_with_their_signal() -> None:
    assert describe_exit(3) == "exited with code 3"
    assert describe_exit(-9) == "was killed by SIGKILL (exit code -9)"
    assert describe_exit(-15) == "was killed by SIGTERM (exit code -15)"


def test_a_process_that_exits_is_restarted_after_its_back_off_with_a_log_line_naming_it(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture, stopped_afterwards: List[Supervisor]
) -> None:
    supervisor = Supervisor([spec("crashy", EXITS_3)], os.environ, tmp_path, clock=clock, probe=lambda _: False)
    stopped_afterwards.append(supervisor)
    child = supervisor.child("crashy")
    supervisor.spawn(child)
    first = child.process
    assert first is not None and (tmp_path / "crashy.pid").read_text() == f"{first.pid}\n"
    assert first.wait(timeout=30) == 3

    clock.now += 5
    with caplog.at_level(logging.ERROR, logger="supervisor"):
        supervisor.tick()
    assert caplog.messages == [
        f"Crashy (pid {first.pid}) exited with code 3 after 5 s up; restarting it in 1 s. Fix: look at crashy."
    ]
    clock.now += 0.9
    supervisor.tick()
    assert child.process is first, "restarted before its back-off was over"
    clock.now += 0.1
    supervisor.tick()
    second = child.process
    assert second is not None and second is not first and child.restarts == 1
    assert (tmp_path / "crashy.pid").read_text() == f"{second.pid}\n"

    assert second.wait(timeout=30) == 3
    supervisor.tick()
    assert child.restart_at == clock.now + 2, "a second quick crash waits twice as long"

    clock.now += 2
    supervisor.tick()
    third = child.process
    assert third is not None and third is not second
    assert third.wait(timeout=30) == 3
    clock.now += 61
    supervisor.tick()
    assert child.restart_at == clock.now + 1, "a minute up resets the back-off"


def test_a_restarted_process_is_logged_back_once_its_health_answers(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture, stopped_afterwards: List[Supervisor]
) -> None:
    answers = {"healthy": False}
    supervisor = Supervisor(
        [spec("sleepy", SLEEPS)], os.environ, tmp_path, clock=clock, probe=lambda _: answers["healthy"]
    )
    stopped_afterwards.append(supervisor)
    child = supervisor.child("sleepy")
    supervisor.spawn(child)
    with caplog.at_level(logging.INFO, logger="supervisor"):
        supervisor.tick()
        assert not child.healthy
        answers["healthy"] = True
        clock.now += 4
        supervisor.tick()
    assert child.healthy and child.process is not None
    assert f"Sleepy is back (pid {child.process.pid}), healthy 4.0 s after its restart." in caplog.messages


def test_start_up_waits_for_each_health_before_starting_the_next(
    tmp_path: Path, clock: FakeClock, stopped_afterwards: List[Supervisor]
) -> None:
    seen: List[tuple] = []
    supervisor: Supervisor

    def probe(url: str) -> bool:
        seen.append((url, [c.process is not None for c in supervisor.children]))
        return len([u for u, _ in seen if u == url]) >= 2  # healthy at the second look

    supervisor = Supervisor([spec("one", SLEEPS), spec("two", SLEEPS)], os.environ, tmp_path, clock=clock, probe=probe)
    stopped_afterwards.append(supervisor)
    assert supervisor.start_in_order(wait=lambda _: None)
    assert seen == [
        ("http://127.0.0.1:9/one", [True, False]),
        ("http://127.0.0.1:9/one", [True, False]),
        ("http://127.0.0.1:9/two", [True, True]),
        ("http://127.0.0.1:9/two", [True, True]),
    ]


def test_start_up_stops_at_a_process_that_dies_and_starts_nothing_after_it(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture, stopped_afterwards: List[Supervisor]
) -> None:
    supervisor = Supervisor(
        [spec("crashy", EXITS_3), spec("after", SLEEPS)], os.environ, tmp_path, clock=clock, probe=lambda _: False
    )
    stopped_afterwards.append(supervisor)
    crashy = supervisor.child("crashy")

    def wait(_: float) -> None:
        assert crashy.process is not None
        crashy.process.wait(timeout=30)

    with caplog.at_level(logging.ERROR, logger="supervisor"):
        assert not supervisor.start_in_order(wait)
    assert supervisor.child("after").process is None
    assert caplog.messages == ["Crashy exited with code 3 during start-up, so `make run` stops. Fix: look at crashy."]


def test_start_up_gives_up_on_a_process_that_never_gets_healthy(
    tmp_path: Path, clock: FakeClock, caplog: pytest.LogCaptureFixture, stopped_afterwards: List[Supervisor]
) -> None:
    supervisor = Supervisor(
        [spec("slow", SLEEPS, start_seconds=5)], os.environ, tmp_path, clock=clock, probe=lambda _: False
    )
    stopped_afterwards.append(supervisor)

    def wait(seconds: float) -> None:
        clock.now += seconds

    with caplog.at_level(logging.ERROR, logger="supervisor"):
        assert not supervisor.start_in_order(wait)
    assert caplog.messages == [
        "Slow not healthy at http://127.0.0.1:9/slow after 5 s, so `make run` stops. Fix: look at slow."
    ]


def test_stop_all_terminates_each_process_kills_one_that_ignores_sigterm_and_removes_pid_files(
    tmp_path: Path, clock: FakeClock
) -> None:
    marker = tmp_path / "ignoring"
    stubborn = [
        sys.executable,
        "-c",
        "import pathlib, signal, sys, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
        "pathlib.Path(sys.argv[1]).touch(); time.sleep(60)",
        str(marker),
    ]
    supervisor = Supervisor([spec("polite", SLEEPS), spec("stubborn", stubborn)], os.environ, tmp_path, clock=clock)
    for child in supervisor.children:
        supervisor.spawn(child)
    deadline = time.monotonic() + 30
    while not marker.exists():  # SIGTERM is ignored only once the child says so
        assert time.monotonic() < deadline, "the stubborn child never started"
        stubborn_process = supervisor.child("stubborn").process
        assert stubborn_process is not None and stubborn_process.poll() is None
    supervisor.stop_all(seconds=1)
    codes = {c.spec.name: c.process.returncode for c in supervisor.children if c.process is not None}
    assert codes == {"polite": -signal.SIGTERM, "stubborn": -signal.SIGKILL}
    assert not list(tmp_path.glob("*.pid"))


def test_run_prints_the_ready_message_supervises_and_stops_everything_when_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    ticks = {"n": 0}
    supervisor: Supervisor

    def clock() -> float:
        ticks["n"] += 1
        if ticks["n"] > 3:
            supervisor.stopping.set()  # as SIGINT/SIGTERM would
        return 1000.0

    supervisor = Supervisor([spec("one", SLEEPS)], os.environ, tmp_path, clock=clock, probe=lambda _: True)
    handlers = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        assert supervisor.run(ready_message="ready now") == 0
    finally:
        for signum, handler in handlers.items():
            signal.signal(signum, handler)
    process = supervisor.child("one").process
    assert process is not None and process.returncode == -signal.SIGTERM
    assert capsys.readouterr().out == "ready now\n"


def test_the_assistant_specs_start_actions_then_rasa_then_the_widget_on_the_configured_ports() -> None:
    env = {"ACTIONS_PORT": "6055", "RASA_PORT": "6005", "WEB_PORT": "6080", "MODEL_PATH": "m.tar.gz"}
    specs = assistant_specs(env, python="/venv/bin/python")
    assert [(s.name, s.health_url) for s in specs] == [
        ("actions", "http://127.0.0.1:6055/health/knowledge"),
        ("rasa", "http://127.0.0.1:6005/webhooks/health/"),
        ("web", "http://127.0.0.1:6080/healthz"),
    ]
    assert specs[0].args == ["/venv/bin/python", "-m", "actions.server", "--port", "6055"]
    assert specs[1].args[:3] == ["/venv/bin/rasa", "run", "--model"] and "--enable-api" not in specs[1].args
    assert specs[2].args == ["/venv/bin/python", "web/serve.py", "--port", "6080"]
    with_token = assistant_specs({**env, "RASA_API_TOKEN": "t0k"}, python="/venv/bin/python")[1].args
    assert with_token[-3:] == ["--enable-api", "--auth-token", "t0k"]
