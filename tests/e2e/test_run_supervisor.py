"""`make run` as a supervisor: scripts/run.sh on free ports, its processes killed one at a time.

The supervisor writes each child's pid to <pid-dir>/<name>.pid, so a test kills exactly the
process it means to with SIGKILL, then waits (with a deadline) for the exact state it expects.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Set

import pytest
import requests

from actions.knowledge.store import import_seed, make_engine, seed_fingerprint
from assistant_core.apology import service_unavailable_text
from assistant_core.seed import load_seed
from assistant_core.settings import cases_url_beside
from tests.conftest import MODEL_PATH, ROOT, SEED_PATH, free_port, real_answer

pytestmark = pytest.mark.e2e
NAMES = ("actions", "rasa", "web")
QUESTION = "我用支付宝充值失败了"


def joined(messages: list) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def until(what: str, check: Callable[[], Optional[Any]], seconds: float, log: Callable[[], str]) -> Any:
    """Poll `check` until it returns something other than None; fail with `what` and the log after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        result = check()
        if result is not None:
            return result
        time.sleep(0.25)  # poll interval, not a wait for an assumed state
    pytest.fail(f"{what} within {seconds:.0f} s. Supervisor log (tail):\n{log()[-4000:]}")


@dataclass
class Supervised:
    """scripts/run.sh running in its own session, its output in `log_path`."""

    process: subprocess.Popen
    log_path: Path
    pid_dir: Path
    rasa_url: str
    web_url: str
    pids_seen: Set[int] = field(default_factory=set)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def pid(self, name: str) -> Optional[int]:
        try:
            pid = int((self.pid_dir / f"{name}.pid").read_text())
        except (OSError, ValueError):
            return None
        self.pids_seen.add(pid)
        return pid

    def talk(self, sender: str, message: str) -> List[Dict[str, Any]]:
        reply = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60
        )
        reply.raise_for_status()
        return list(reply.json())


def supervisor_env(workdir: Path, actions_port: int, rasa_port: int, web_port: int) -> Dict[str, str]:
    """What `make run` reads, pointed at this test's own stores and ports; outside channels off."""
    knowledge_url = f"sqlite:///{workdir / 'knowledge.db'}"
    import_seed(make_engine(knowledge_url), load_seed(SEED_PATH), seed_fingerprint(SEED_PATH))
    env = {k: v for k, v in os.environ.items() if k != "REMINDERS_DB_URL"}  # reminders beside the case files
    env.update(
        {
            "KNOWLEDGE_DB_URL": knowledge_url,
            "CASES_DB_URL": cases_url_beside(knowledge_url),
            "KNOWLEDGE_SEED_PATH": str(SEED_PATH),
            "TRACKER_STORE_URL": f"sqlite:///{workdir / 'tracker.db'}",
            "LOCK_STORE_URL": "",
            "MODEL_PATH": str(MODEL_PATH),
            "ACTIONS_PORT": str(actions_port),
            "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
            "RASA_PORT": str(rasa_port),
            "WEB_PORT": str(web_port),
            "WEB_ALLOWED_ORIGINS": "",
            "REST_API_TOKEN": "",
            "RASA_API_TOKEN": "",
            "WECHAT_TOKEN": "",
            "TELEGRAM_BOT_TOKEN": "",
            "RASA_TELEMETRY_ENABLED": "false",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
    )
    return env


@pytest.fixture(scope="module")
def supervised(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Supervised]:
    """`make run`'s script with the trained model, started once for this module and stopped after it."""
    if not MODEL_PATH.exists():
        pytest.fail(f"{MODEL_PATH} is missing: run `make train` (make test does it first).")
    workdir = tmp_path_factory.mktemp("supervised")
    actions_port, rasa_port, web_port = free_port(), free_port(), free_port()
    env = supervisor_env(workdir, actions_port, rasa_port, web_port)
    log_path, pid_dir = workdir / "run.log", workdir / "run"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [str(ROOT / "scripts" / "run.sh"), "--pid-dir", str(pid_dir)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    running = Supervised(process, log_path, pid_dir, f"http://127.0.0.1:{rasa_port}", f"http://127.0.0.1:{web_port}")
    try:

        def ready() -> Optional[bool]:
            if process.poll() is not None:
                pytest.fail(f"scripts/run.sh exited with {process.returncode}:\n{running.log()[-4000:]}")
            return True if "钱包投诉助手 is ready." in running.log() else None

        until("`make run` never printed its ready message", ready, 300, running.log)
        for name in NAMES:
            running.pid(name)
        yield running
    finally:
        stop_everything(running)


def stop_everything(running: Supervised) -> None:
    """SIGTERM to the supervisor (it stops its children); anything left is killed by pid."""
    if running.process.poll() is None:
        running.process.send_signal(signal.SIGTERM)
        try:
            running.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(running.process.pid, signal.SIGKILL)
            running.process.wait(timeout=10)
    for name in NAMES:
        running.pid(name)
    for pid in running.pids_seen:
        if alive(pid):
            os.killpg(pid, signal.SIGKILL)  # each child leads its own session


def test_a_killed_action_server_gets_the_apology_then_is_restarted(supervised: Supervised) -> None:
    apology = service_unavailable_text(SEED_PATH)
    assert "95188" in real_answer(joined(supervised.talk(f"before-{uuid.uuid4().hex}", QUESTION)))
    old = supervised.pid("actions")
    assert old is not None
    # The supervisor is paused while the action server dies, so the turn below surely finds it down
    # (a restart takes about 2 s here, a turn on a loaded machine can too); then it carries on.
    supervised.process.send_signal(signal.SIGSTOP)
    try:
        os.kill(old, signal.SIGKILL)
        messages = supervised.talk(f"down-{uuid.uuid4().hex}", QUESTION)
    finally:
        supervised.process.send_signal(signal.SIGCONT)
    assert [m.get("text") for m in messages] == [apology], "while the action server is down: exactly the apology"

    def answered_again() -> Optional[str]:
        reply = joined(supervised.talk(f"up-{uuid.uuid4().hex}", QUESTION))
        if reply == apology:
            return None  # still restarting
        return real_answer(reply)

    assert "95188" in until("no real answer after the action server was killed", answered_again, 120, supervised.log)
    new = supervised.pid("actions")
    assert new is not None and new != old and alive(new)
    log = supervised.log()
    assert f"Action server (pid {old}) was killed by SIGKILL (exit code -9)" in log
    assert "restarting it in 1 s. Fix: read its traceback above; check KNOWLEDGE_DB_URL" in log
    assert f"Action server started (pid {new})" in log


def test_a_killed_widget_server_is_restarted_and_its_health_answers(supervised: Supervised) -> None:
    old = supervised.pid("web")
    assert old is not None
    os.kill(old, signal.SIGKILL)

    def healthy_again() -> Optional[int]:
        new = supervised.pid("web")
        if new == old:
            return None
        try:
            ok = requests.get(f"{supervised.web_url}/healthz", timeout=2).text == "ok"
        except requests.RequestException:
            ok = False
        logged = f"Widget demo server is back (pid {new})" in supervised.log()  # the supervisor saw it too
        return new if ok and logged else None

    new = until("the widget server was not restarted", healthy_again, 60, supervised.log)
    assert not alive(old)
    assert f"Widget demo server (pid {old}) was killed by SIGKILL (exit code -9)" in supervised.log()
    assert "Fix: read its traceback above; check that port WEB_PORT is free" in supervised.log()
    assert new != old


def test_a_killed_rasa_server_is_restarted_and_answers_again(supervised: Supervised) -> None:
    old = supervised.pid("rasa")
    assert old is not None
    os.kill(old, signal.SIGKILL)

    def answering_again() -> Optional[str]:
        if supervised.pid("rasa") == old:
            return None
        try:
            return real_answer(joined(supervised.talk(f"rasa-{uuid.uuid4().hex}", QUESTION)))
        except requests.RequestException:
            return None  # still loading its model

    assert "95188" in until("the Rasa server was not restarted", answering_again, 300, supervised.log)
    assert f"Rasa server (pid {old}) was killed by SIGKILL (exit code -9)" in supervised.log()


def test_sigterm_stops_the_supervisor_and_all_three_processes(supervised: Supervised) -> None:
    children = [supervised.pid(name) for name in NAMES]
    assert all(pid is not None and alive(pid) for pid in children)
    supervised.process.send_signal(signal.SIGTERM)
    assert supervised.process.wait(timeout=60) == 0
    assert [pid for pid in children if pid is not None and alive(pid)] == []
    assert list(supervised.pid_dir.glob("*.pid")) == []
    assert "SIGTERM received: stopping every process." in supervised.log()
