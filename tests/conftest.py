"""Fixtures shared by every layer of the test suite."""

from __future__ import annotations

import functools
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional

import pytest
import requests
import yaml
from rasa_sdk import Tracker

from actions import base
from actions.case_store import CaseStore
from actions.knowledge.store import KnowledgeStore, import_seed, make_engine, seed_fingerprint
from actions.reminder_actions import reminder_store
from assistant_core import case_progress
from assistant_core.apology import service_unavailable_text
from assistant_core.records import StepTried
from assistant_core.seed import load_seed
from assistant_core.settings import cases_url_beside
from tests.fakes import FakeWeChatApi

ROOT = Path(__file__).resolve().parent.parent
SEED_PATH = ROOT / "knowledge" / "seed.yml"


def real_answer(text: str) -> str:
    """`text`, after checking it is an answer and not the outage apology (which lists every hotline)."""
    apology = service_unavailable_text(SEED_PATH).splitlines()[0]
    assert apology not in text, f"the outage apology, not an answer: {text[:120]!r}"
    return text


def write_seed(tmp_path: Path, mutate: Callable[[dict], Any], name: str = "edited-seed.yml") -> Path:
    """A copy of the shipped seed with `mutate` applied to its YAML data."""
    data = yaml.safe_load(SEED_PATH.read_text(encoding="utf-8"))
    mutate(data)
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


ARTIFACTS = ROOT / "test-artifacts"
_FIGURES: List[str] = []


def report_figure(line: str) -> None:
    """A measured figure (accuracy, throughput): printed at the end of the run and kept in test-artifacts/."""
    _FIGURES.append(line)
    ARTIFACTS.mkdir(exist_ok=True)
    with (ARTIFACTS / "figures.txt").open("a", encoding="utf-8") as out:
        out.write(line + "\n")


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if _FIGURES:
        terminalreporter.section("measured figures")
        for line in _FIGURES:
            terminalreporter.write_line(line)


@pytest.fixture
def seeded_db_url(tmp_path: Path) -> str:
    """A fresh SQLite knowledge store holding the committed seed."""
    url = f"sqlite:///{tmp_path / 'knowledge.db'}"
    import_seed(make_engine(url), load_seed(SEED_PATH), seed_fingerprint(SEED_PATH))
    return url


@pytest.fixture
def store(seeded_db_url: str) -> KnowledgeStore:
    return KnowledgeStore(make_engine(seeded_db_url))


@pytest.fixture
def case_files(action_env: str) -> CaseStore:
    """The case files the actions write in `action_env` (their own database beside the knowledge one)."""
    return CaseStore(make_engine(cases_url_beside(action_env)))


@pytest.fixture
def action_env(seeded_db_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Point the action server's store at the seeded test database."""
    monkeypatch.setenv("KNOWLEDGE_DB_URL", seeded_db_url)
    monkeypatch.setenv("CASES_DB_URL", cases_url_beside(seeded_db_url))
    monkeypatch.setenv("KNOWLEDGE_SEED_PATH", str(SEED_PATH))
    monkeypatch.delenv("REMINDERS_DB_URL", raising=False)  # reminders beside the case files
    caches = (base.knowledge_store, base.case_store, base.store_calls_inline, reminder_store, service_unavailable_text)
    for cache in caches:
        cache.cache_clear()
    yield seeded_db_url
    for cache in caches:
        cache.cache_clear()


def user_event(intent: str, text: str = "", entities: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    return {
        "event": "user",
        "text": text,
        "parse_data": {"intent": {"name": intent, "confidence": 0.99}, "entities": entities or [], "text": text},
    }


def progress_slot(*markers: str, taken: Optional[List[Dict[str, Any]]] = None) -> Dict[str, Any]:
    """The `case_progress` slot from 'wallet:problem:step' markers and steps taken (`{"case": "w:p:", ...}`)."""
    cases: Dict[str, case_progress.LadderProgress] = {}
    for marker in markers:
        wallet, problem, step = marker.split(":")
        key = case_progress.case_key(wallet, problem)
        cases[key] = cases.get(key, case_progress.LadderProgress()).with_given(step)
    for item in taken or ():
        wallet, problem, _ = item["case"].split(":")
        key = case_progress.case_key(wallet, problem)
        cases[key] = cases.get(key, case_progress.LadderProgress()).with_taken(StepTried.from_json(item))
    return case_progress.encode(cases)


def given_markers(value: Any) -> List[str]:
    """The steps given in a `case_progress` slot value, as 'wallet:problem:step' markers."""
    return [
        f"{key.replace('/', ':')}:{step}"
        for key, progress in case_progress.decode(value).items()
        for step in progress.given
    ]


def taken_items(value: Any) -> List[Dict[str, Any]]:
    """The steps taken in a `case_progress` slot value, each with its case as 'wallet:problem:'."""
    return [
        {"case": key.replace("/", ":") + ":", **step.to_json()}
        for key, progress in case_progress.decode(value).items()
        for step in progress.taken
    ]


def make_tracker(
    intent: str,
    text: str = "",
    slots: Optional[Dict[str, Any]] = None,
    entities: Optional[List[Dict[str, Any]]] = None,
    history: Optional[List[Dict[str, Any]]] = None,
) -> Tracker:
    """A tracker whose latest message has `intent`, after the `history` events."""
    latest = user_event(intent, text, entities)
    return Tracker(
        sender_id="test-user",
        slots=slots or {},
        latest_message=latest["parse_data"],
        events=[*(history or []), latest],
        paused=False,
        followup_action=None,
        active_loop={},
        latest_action_name="action_listen",
    )


# --- Real servers on loopback, started once per test run and shared -------------------------

MODEL_PATH = ROOT / os.environ.get("MODEL_PATH", "models/wallet-assistant.tar.gz")


@dataclass
class RunningServers:
    """The action server and the Rasa server of one test run."""

    rasa_url: str
    actions_url: str
    api_token: str
    workdir: Path
    env: Dict[str, str]
    processes: Dict[str, subprocess.Popen]
    said: List[str] = field(default_factory=list)
    """Every user text sent with talk(): tests/e2e/test_server_logs.py looks for them in the server logs."""

    def talk(self, sender: str, message: str, timeout: float = 30.0) -> List[Dict[str, Any]]:
        """One turn over the REST channel; the bot's messages."""
        self.said.append(message)
        response = requests.post(
            f"{self.rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=timeout
        )
        response.raise_for_status()
        return list(response.json())

    def parse(self, text: str) -> Dict[str, Any]:
        """NLU only, through the HTTP API."""
        response = requests.post(
            f"{self.rasa_url}/model/parse", params={"token": self.api_token}, json={"text": text}, timeout=30
        )
        response.raise_for_status()
        return dict(response.json())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_healthy(url: str, process: subprocess.Popen, log: Path, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url} exited during start-up:\n{log.read_text()[-3000:]}")
        try:
            if requests.get(url, timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{url} not healthy after {seconds} s:\n{log.read_text()[-3000:]}")


def start_process(name: str, args: List[str], env: Dict[str, str], workdir: Path) -> subprocess.Popen:
    log = (workdir / f"{name}.log").open("wb")
    return subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


def stop_process(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def start_action_server(servers: RunningServers) -> None:
    """(Re)start the action server on its port."""
    port = servers.actions_url.rsplit(":", 1)[1]
    process = start_process(
        "actions",
        [sys.executable, "-m", "actions.server", "--port", port],
        servers.env,
        servers.workdir,
    )
    servers.processes["actions"] = process
    wait_until_healthy(f"{servers.actions_url}/health/knowledge", process, servers.workdir / "actions.log", 90)


def rasa_run_args(servers: RunningServers) -> List[str]:
    """`rasa run` for the test server: the repo's endpoints and credentials, API on with a token."""
    return [
        str(Path(sys.executable).parent / "rasa"), "run", "--model", str(MODEL_PATH),
        "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
        "--port", servers.rasa_url.rsplit(":", 1)[1], "--enable-api", "--auth-token", servers.api_token,
    ]  # fmt: skip


def restart_rasa_server(servers: RunningServers) -> None:
    """Kill the Rasa server and start it again on the same port and stores."""
    stop_process(servers.processes["rasa"])
    process = start_process("rasa-restarted", rasa_run_args(servers), servers.env, servers.workdir)
    servers.processes["rasa"] = process
    wait_until_healthy(f"{servers.rasa_url}/webhooks/health/", process, servers.workdir / "rasa-restarted.log", 240)


def start_servers(
    workdir: Path, said: Optional[List[str]] = None, extra_env: Optional[Dict[str, str]] = None
) -> RunningServers:
    """Both servers with the trained model, a freshly seeded store and an empty tracker store in
    `workdir`; `extra_env` is applied last (a test's own channels or settings)."""
    if not MODEL_PATH.exists():
        pytest.fail(f"{MODEL_PATH} is missing: run `make train` (make test does it first).")
    workdir.mkdir(parents=True, exist_ok=True)
    actions_port, rasa_port = free_port(), free_port()
    knowledge_url = f"sqlite:///{workdir / 'knowledge.db'}"
    import_seed(make_engine(knowledge_url), load_seed(SEED_PATH), seed_fingerprint(SEED_PATH))
    env = {
        **os.environ,
        **wechat_test_env(),
        **web_and_telegram_test_env(),
        "KNOWLEDGE_DB_URL": knowledge_url,
        "CASES_DB_URL": cases_url_beside(knowledge_url),
        "KNOWLEDGE_SEED_PATH": str(SEED_PATH),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "TRACKER_STORE_URL": f"sqlite:///{workdir / 'tracker.db'}",
        "LOCK_STORE_URL": "",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        **(extra_env or {}),
    }
    running = RunningServers(
        rasa_url=f"http://127.0.0.1:{rasa_port}",
        actions_url=f"http://127.0.0.1:{actions_port}",
        api_token=secrets.token_urlsafe(16),
        workdir=workdir,
        env=env,
        processes={},
        said=said if said is not None else [],
    )
    rasa = start_process("rasa", rasa_run_args(running), env, workdir)
    running.processes["rasa"] = rasa
    try:
        start_action_server(running)
        wait_until_healthy(f"{running.rasa_url}/webhooks/health/", rasa, workdir / "rasa.log", 240)
    except BaseException:
        stop_servers(running)
        raise
    return running


def stop_servers(running: RunningServers) -> None:
    for process in running.processes.values():
        stop_process(process)


@pytest.fixture(scope="session")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServers]:
    """The shared servers. Tests never stop, restart or re-seed them: those use `breakable_servers`."""
    running = start_servers(tmp_path_factory.mktemp("servers"))
    try:
        yield running
    finally:
        stop_servers(running)


@pytest.fixture(scope="session")
def breakable_servers(servers: RunningServers) -> Iterator[RunningServers]:
    """A second pair of servers with its own stores, for tests that kill, restart or re-seed them.

    Its logs sit in a folder below the shared servers' (the log test reads both), and its user
    texts are recorded with theirs.
    """
    running = start_servers(servers.workdir / "breakable", said=servers.said)
    try:
        yield running
    finally:
        stop_servers(running)


# --- WeChat channel on the shared servers -------------------------------------------------------
# `servers` merges wechat_test_env() into its env: the WeChat channel is on there with these fixed
# test keys, and its customer-service API calls go to a fake on loopback, never to WeChat.

WECHAT_TEST_TOKEN = "Qm7vT2kZ9pXw4RbN8sLc3HyJ6dFa1GeU"  # 32 random letters and digits: start-up refuses a weak token
WECHAT_TEST_AES_KEY = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
WECHAT_TEST_APP_ID = "wx0e2e000000000001"
WECHAT_TEST_APP_SECRET = "e2e-wechat-app-secret"


_fake_wechat_api: Optional[FakeWeChatApi] = None


def shared_fake_wechat_api() -> FakeWeChatApi:
    """The one fake customer-service API of this test run, started on first use in a thread.

    Every Rasa server of the run sends to it, so a token one fetches does not invalidate another's.
    """
    global _fake_wechat_api
    if _fake_wechat_api is None:
        _fake_wechat_api = FakeWeChatApi(WECHAT_TEST_APP_ID, WECHAT_TEST_APP_SECRET, keep_old_tokens=True)
        _fake_wechat_api.start_in_thread()
    return _fake_wechat_api


def wechat_test_env() -> Dict[str, str]:
    """WECHAT_* for the shared servers (they win over the real environment and .env)."""
    return {
        "WECHAT_TOKEN": WECHAT_TEST_TOKEN,
        "WECHAT_ENCODING_AES_KEY": WECHAT_TEST_AES_KEY,
        "WECHAT_APP_ID": WECHAT_TEST_APP_ID,
        "WECHAT_APP_SECRET": WECHAT_TEST_APP_SECRET,
        "WECHAT_API_BASE_URL": shared_fake_wechat_api().base_url,
    }


@pytest.fixture
def fake_wechat_api(servers: RunningServers) -> FakeWeChatApi:
    """The fake customer-service API the shared servers' WeChat channel sends to."""
    assert servers.env["WECHAT_API_BASE_URL"] == shared_fake_wechat_api().base_url
    return shared_fake_wechat_api()


# --- Website widget and Telegram channels on the shared servers ---------------------------------
# `servers` merges web_and_telegram_test_env() into its env: the socket.io channel allows the origin
# of the demo page that tests/web serves on WEB_PORT, and the Telegram channel is on, pointed at a
# fake Bot API port where nothing listens until tests/channels/test_telegram_channel.py starts its
# fake there, so the servers also show that they start while Telegram is unreachable.

TELEGRAM_TEST_BOT_TOKEN = "123456789:AAE2eTelegramTestTokenOnLoopback00"
TELEGRAM_TEST_SECRET = "e2e-telegram-webhook-secret"


@functools.cache
def web_and_telegram_test_env() -> Dict[str, str]:
    """WEB_PORT and TELEGRAM_* for the shared servers (they win over the real environment and .env)."""
    return {
        "WEB_PORT": str(free_port()),
        "WEB_ALLOWED_ORIGINS": "",
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TEST_BOT_TOKEN,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_TEST_SECRET,
        "TELEGRAM_WEBHOOK_URL": "https://wallet-assistant.invalid/webhooks/telegram/webhook",
        "TELEGRAM_API_BASE_URL": f"http://127.0.0.1:{free_port()}",
    }
