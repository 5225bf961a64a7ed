"""Two Rasa servers and one action server on PostgreSQL + Redis, sharing conversations.

scripts/services.sh installs (if missing) and starts PostgreSQL and Redis on loopback.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Dict, Iterator, List

import pytest
import requests
import sqlalchemy as sa

from assistant_core.settings import Settings
from tests.conftest import (
    MODEL_PATH,
    ROOT,
    free_port,
    real_answer,
    start_process,
    stop_process,
    wait_until_healthy,
)
from tests.e2e.test_reminders_e2e import ThreadedTelegramApi, reminder_test_env, telegram_say, wait_for

pytestmark = pytest.mark.e2e
REMINDER_DELAY_SECONDS = 20
STEP = re.compile(r"🪜 (?:第一步|第 (\d+) 步)")


class Stack:
    def __init__(self, workdir: Path, env: Dict[str, str], telegram: ThreadedTelegramApi) -> None:
        self.workdir, self.env, self.telegram = workdir, env, telegram
        self.rasa_urls: List[str] = []
        self.processes: Dict[str, subprocess.Popen] = {}

    def start_rasa(self, name: str, port: int) -> None:
        args = [
            str(Path(sys.executable).parent / "rasa"),
            "run",
            "--model",
            str(MODEL_PATH),
            "--endpoints",
            "endpoints.yml",
            "--credentials",
            "credentials.yml",
            "--port",
            str(port),
        ]
        self.processes[name] = start_process(name, args, self.env, self.workdir)

    def talk(self, url: str, sender: str, message: str) -> str:
        reply = requests.post(f"{url}/webhooks/rest/webhook", json={"sender": sender, "message": message}, timeout=60)
        reply.raise_for_status()
        return "\n".join(m.get("text", "") for m in reply.json())


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    workdir = tmp_path_factory.mktemp("scale")
    # PostgreSQL runs as user postgres, which cannot enter pytest's private temp folders.
    services_dir = Path(tempfile.mkdtemp(prefix="wallet-services-"))
    services_dir.chmod(0o755)
    services_env = {
        **os.environ,
        "SERVICES_DIR": str(services_dir),
        "PG_PORT": str(free_port()),
        "REDIS_PORT": str(free_port()),
    }
    started = subprocess.run(
        [str(ROOT / "scripts" / "services.sh"), "start"], env=services_env, capture_output=True, text=True, timeout=600
    )
    assert started.returncode == 0, started.stderr
    urls = dict(line.split("=", 1) for line in started.stdout.strip().splitlines() if "=" in line)
    actions_port = free_port()
    telegram = ThreadedTelegramApi()
    env = {
        **services_env,
        **urls,
        **reminder_test_env(telegram, delay_seconds=REMINDER_DELAY_SECONDS),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
    }
    seeded = subprocess.run(
        [sys.executable, "-m", "actions.knowledge", "import"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert seeded.returncode == 0, seeded.stderr
    running = Stack(workdir, env, telegram)
    try:
        running.processes["actions"] = start_process(
            "actions", [sys.executable, "-m", "actions.server", "--port", str(actions_port)], env, workdir
        )
        ports = [free_port(), free_port()]
        for index, port in enumerate(ports):
            running.start_rasa(f"rasa{index}", port)
        for index, port in enumerate(ports):
            url = f"http://127.0.0.1:{port}"
            wait_until_healthy(
                f"{url}/webhooks/health/", running.processes[f"rasa{index}"], workdir / f"rasa{index}.log", 300
            )
            running.rasa_urls.append(url)
        yield running
    finally:
        for process in running.processes.values():
            stop_process(process)
        subprocess.run([str(ROOT / "scripts" / "services.sh"), "stop"], env=services_env, timeout=120)
        telegram.close()
        shutil.rmtree(services_dir, ignore_errors=True)


def step_number(reply: str) -> int:
    match = STEP.search(reply)
    assert match, reply
    return int(match.group(1) or 1)


def test_health_reports_postgres_knowledge_store(stack: Stack) -> None:
    health = requests.get(f"{stack.rasa_urls[0]}/webhooks/health/", timeout=10).json()
    assert health["status"] == "ok" and health["knowledge_store"]["state"] == "ok"


def test_one_conversation_alternating_between_servers_climbs_the_ladder_in_order(stack: Stack) -> None:
    user = f"scale-{uuid.uuid4().hex}"
    first = stack.talk(stack.rasa_urls[0], user, "我用支付宝充值失败了")
    assert "95188" in real_answer(first) and step_number(first) == 1
    for turn, expected in enumerate((2, 3, 4, 5)):
        url = stack.rasa_urls[(turn + 1) % 2]
        assert step_number(stack.talk(url, user, "还是不行")) == expected


def test_one_conversations_turns_sent_at_once_to_both_servers_are_answered_one_after_another(stack: Stack) -> None:
    """Four turns of one user at the same moment, two per server: the lock store serialises them, so each
    gets the next step exactly once (without the lock two servers would read the same tracker and repeat)."""
    from concurrent.futures import ThreadPoolExecutor

    user = f"scale-{uuid.uuid4().hex}"
    assert step_number(stack.talk(stack.rasa_urls[0], user, "我用支付宝充值失败了")) == 1
    with ThreadPoolExecutor(max_workers=4) as pool:
        replies = list(pool.map(lambda i: stack.talk(stack.rasa_urls[i % 2], user, "还是不行"), range(4)))
    assert sorted(step_number(real_answer(reply)) for reply in replies) == [2, 3, 4, 5]


def test_two_servers_deliver_each_reminder_exactly_once(stack: Stack) -> None:
    """Both servers poll the same PostgreSQL reminder table every second; each reminder reaches its user once."""
    chats = [800000 + i for i in range(4)]
    for index, chat_id in enumerate(chats):
        sent = telegram_say(stack.rasa_urls[index % 2], stack.telegram, chat_id, "三天后提醒我", update_id=9000 + index)
        assert any("我来问你进展" in text for text in sent), sent
    asked = lambda chat_id: [t for t in stack.telegram.texts_to(chat_id) if "有结果了吗？" in t]  # noqa: E731
    engine = sa.create_engine(Settings.from_env(stack.env).reminders_db_url)

    def all_delivered() -> bool:  # delivered is final: once all four are, no second send can follow
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT status FROM reminders WHERE conversation_id LIKE 'telegram:8000%'")
            ).all()
        return [status for (status,) in rows] == ["delivered"] * 4

    assert wait_for(all_delivered, REMINDER_DELAY_SECONDS + 90)
    assert [len(asked(c)) for c in chats] == [1, 1, 1, 1]


def test_killing_one_server_mid_conversation_loses_nothing(stack: Stack) -> None:
    user = f"scale-{uuid.uuid4().hex}"
    assert step_number(stack.talk(stack.rasa_urls[0], user, "我的微信零钱被盗刷了")) == 1
    assert step_number(stack.talk(stack.rasa_urls[1], user, "还是不行")) == 2
    stop_process(stack.processes["rasa0"])
    assert step_number(stack.talk(stack.rasa_urls[1], user, "还是不行")) == 3
    assert step_number(stack.talk(stack.rasa_urls[1], user, "下一步呢")) == 4


def _rows(url: str, query: str, key: str) -> int:
    with sa.create_engine(url).connect() as conn:
        return int(conn.execute(sa.text(query), {"k": key}).scalar_one())


def test_deletion_and_the_purge_work_on_postgresql(stack: Stack) -> None:
    tracker, knowledge = stack.env["TRACKER_STORE_URL"], Settings.from_env(stack.env).cases_db_url
    assert tracker.startswith("postgresql") and knowledge.startswith("postgresql")  # case files beside the knowledge
    events = "SELECT count(*) FROM events WHERE sender_id = :k"
    cases = "SELECT count(*) FROM case_files WHERE conversation_id = :k"
    url = stack.rasa_urls[-1]
    erased, old, new = (f"scale-{uuid.uuid4().hex}" for _ in range(3))
    for user in (erased, old, new):
        stack.talk(url, user, "我用支付宝充值失败了")
        stack.talk(url, user, "我上周已经投诉了，工单号T20241118007")
        assert _rows(tracker, events, f"rest:{user}") > 0 and _rows(knowledge, cases, f"rest:{user}") == 1

    stack.talk(url, erased, "删除我的记录")
    assert "已删除" in stack.talk(url, erased, "/affirm")
    assert _rows(tracker, events, f"rest:{erased}") == 0 and _rows(knowledge, cases, f"rest:{erased}") == 0

    with sa.create_engine(tracker).begin() as conn:
        aged = "UPDATE events SET timestamp = timestamp - 17280000 WHERE sender_id = :k"  # 200 days
        conn.execute(sa.text(aged), {"k": f"rest:{old}"})
    with sa.create_engine(knowledge).begin() as conn:
        conn.execute(
            sa.text("UPDATE case_files SET updated_at = '2020-01-01' WHERE conversation_id = :k"), {"k": f"rest:{old}"}
        )
    purge = subprocess.run(
        [sys.executable, "-m", "actions.retention", "purge", "--older-than-days", "180"],
        cwd=ROOT, env=stack.env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert purge.returncode == 0, purge.stderr
    assert _rows(tracker, events, f"rest:{old}") == 0 and _rows(knowledge, cases, f"rest:{old}") == 0
    assert _rows(tracker, events, f"rest:{new}") > 0 and _rows(knowledge, cases, f"rest:{new}") == 1
