"""Follow-up reminders on real servers, seconds ahead (REMINDER_TEST_DELAY_SECONDS), delivered over Telegram.

These tests restart and stop their Rasa server, so they run their own servers (not the shared
ones), with their own tracker and reminder databases and a fake Bot API on loopback.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import threading
import time
import uuid
from typing import Any, Callable, Dict, Iterator, List

import pytest
import requests

from assistant_core.reminder_store import DELIVERED, HELD, ReminderStore, reminder_engine
from bot.channels import telegram_protocol as protocol
from tests.channels.test_socketio_channel import ChatClient, joined
from tests.channels.test_telegram_channel import FakeTelegramApi, text_update
from tests.conftest import (
    TELEGRAM_TEST_BOT_TOKEN,
    TELEGRAM_TEST_SECRET,
    RunningServers,
    rasa_run_args,
    start_process,
    start_servers,
    stop_process,
    stop_servers,
    wait_until_healthy,
)

pytestmark = pytest.mark.e2e
DELAY_SECONDS = 40
"""Every reminder here is due this long after it is set."""
LATE_AFTER_SECONDS = 15
ASK = "有结果了吗？"
LATE = "晚到了"


class ThreadedTelegramApi:
    """The channel tests' fake Bot API, served from its own thread so these synchronous tests can wait."""

    def __init__(self) -> None:
        self.api = FakeTelegramApi(token=TELEGRAM_TEST_BOT_TOKEN)
        self.loop = asyncio.new_event_loop()
        threading.Thread(target=self.loop.run_forever, name="fake-telegram-api", daemon=True).start()
        self.base_url = asyncio.run_coroutine_threadsafe(self.api.start(), self.loop).result(timeout=30)

    def texts_to(self, chat_id: int) -> List[str]:
        return self.api.texts_to(chat_id)

    def buttons_to(self, chat_id: int) -> List[List[str]]:
        """The inline-keyboard button texts of each message sent to `chat_id`."""
        sent = [c for c in self.api.called("sendMessage") if c["chat_id"] == str(chat_id)]
        markups = [json.loads(c.get("reply_markup") or "{}") for c in sent]
        return [[b["text"] for row in m.get("inline_keyboard", []) for b in row] for m in markups]

    def close(self) -> None:
        asyncio.run_coroutine_threadsafe(self.api.stop(), self.loop).result(timeout=30)
        self.loop.call_soon_threadsafe(self.loop.stop)


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll `condition` until true or `seconds` pass (a deadline for waiting, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.5)
    return condition()


def reminder_test_env(telegram: ThreadedTelegramApi, delay_seconds: int) -> Dict[str, str]:
    """The Telegram channel on the fake Bot API, and reminders due `delay_seconds` after they are set."""
    return {
        "TELEGRAM_BOT_TOKEN": TELEGRAM_TEST_BOT_TOKEN,
        "TELEGRAM_SECRET_TOKEN": TELEGRAM_TEST_SECRET,
        "TELEGRAM_WEBHOOK_URL": "https://wallet-assistant.invalid/webhooks/telegram/webhook",
        "TELEGRAM_API_BASE_URL": telegram.base_url,
        "REMINDER_TEST_DELAY_SECONDS": str(delay_seconds),
        "REMINDER_POLL_SECONDS": "1",
        "REMINDER_LATE_AFTER_SECONDS": str(LATE_AFTER_SECONDS),
    }


def telegram_say(rasa_url: str, telegram: ThreadedTelegramApi, chat_id: int, text: str, update_id: int) -> List[str]:
    """Send a Telegram update to a Rasa server; the texts the bot sent back for it."""
    before = len(telegram.texts_to(chat_id))
    reply = requests.post(
        f"{rasa_url}/webhooks/telegram/webhook",
        json=text_update(text, update_id=update_id, chat_id=chat_id),
        headers={protocol.SECRET_HEADER: TELEGRAM_TEST_SECRET},
        timeout=60,
    )
    assert reply.status_code == 200, reply.text
    return telegram.texts_to(chat_id)[before:]


class ReminderServers:
    """One action server and one Rasa server with the Telegram channel on a fake Bot API."""

    def __init__(self, running: RunningServers, telegram: ThreadedTelegramApi) -> None:
        self.running, self.telegram = running, telegram
        self.updates = 1000

    def say(self, chat_id: int, text: str) -> List[str]:
        """Send a Telegram update and return the texts the bot sent back for it."""
        self.updates += 1
        return telegram_say(self.running.rasa_url, self.telegram, chat_id, text, self.updates)

    def start_rasa(self, name: str) -> None:
        process = start_process(name, rasa_run_args(self.running), self.running.env, self.running.workdir)
        self.running.processes["rasa"] = process
        log = self.running.workdir / f"{name}.log"
        wait_until_healthy(f"{self.running.rasa_url}/webhooks/health/", process, log, 300)

    def stop_rasa(self) -> None:
        stop_process(self.running.processes["rasa"])

    def store(self) -> ReminderStore:
        return ReminderStore(reminder_engine(self.running.env["REMINDERS_DB_URL"]))

    def asked(self, chat_id: int) -> List[str]:
        return [t for t in self.telegram.texts_to(chat_id) if ASK in t]


@pytest.fixture(scope="module")
def reminder_servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReminderServers]:
    workdir = tmp_path_factory.mktemp("reminders")
    telegram = ThreadedTelegramApi()
    own_env = {
        "REMINDERS_DB_URL": f"sqlite:///{workdir / 'reminders.db'}",
        **reminder_test_env(telegram, DELAY_SECONDS),
        "WECHAT_TOKEN": "",
    }
    try:
        running = start_servers(workdir, extra_env=own_env)
        try:
            yield ReminderServers(running, telegram)
        finally:
            stop_servers(running)
    finally:
        telegram.close()


def statuses(servers: "ReminderServers", conversation_id: str) -> List[str]:
    """The status of each reminder row of one conversation, oldest first."""
    with reminder_engine(servers.running.env["REMINDERS_DB_URL"]).connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT status FROM reminders WHERE conversation_id = ? ORDER BY id", (conversation_id,)
        ).all()
    return [row[0] for row in rows]


def settled(servers: "ReminderServers", conversation_id: str) -> bool:
    """True once every reminder of the conversation has reached `delivered`: no further send can follow.

    A reminder is sent first and marked delivered after, so a test that reads the store (or counts
    the sends) right after the message arrives races the server. Waiting for this state does not.
    """
    found = statuses(servers, conversation_id)
    return bool(found) and all(status == DELIVERED for status in found)


def chat() -> int:
    return 700000 + uuid.uuid4().int % 100000


def test_a_reminder_is_set_listed_and_delivered_once_on_telegram(reminder_servers: ReminderServers) -> None:
    user, other = chat(), chat()
    servers = reminder_servers
    assert "95188" in "\n".join(servers.say(user, "支付宝充值扣了钱没到账"))
    confirmed = "\n".join(servers.say(user, "三天后提醒我"))
    assert "我来问你进展" in confirmed and "Telegram" in confirmed
    assert "月" in "\n".join(servers.say(user, "我的提醒"))
    servers.say(other, "下周一提醒我跟进")
    assert "已取消 1 个提醒" in "\n".join(servers.say(other, "取消提醒"))

    assert wait_for(lambda: settled(servers, f"telegram:{user}"), DELAY_SECONDS + 60), servers.telegram.texts_to(user)
    assert len(servers.asked(user)) == 1  # delivered is final: a second send could not follow it
    due = "\n".join(servers.telegram.texts_to(user))
    assert "支付宝 · 充值失败" in due and "你在等：" in due and LATE not in due
    assert servers.telegram.buttons_to(user)[-1] == ["解决了", "还没有", "再等等"]
    assert servers.asked(other) == []  # cancelled: never sent

    assert "结案" in "\n".join(servers.say(user, "/problem_solved"))


def test_a_reminder_set_before_a_restart_fires_once_after_it(reminder_servers: ReminderServers) -> None:
    user, servers = chat(), reminder_servers
    assert "我来问你进展" in "\n".join(servers.say(user, "三天后提醒我"))
    servers.stop_rasa()  # well before it is due
    servers.start_rasa("rasa-restarted")
    assert wait_for(lambda: settled(servers, f"telegram:{user}"), DELAY_SECONDS + 60), servers.telegram.texts_to(user)
    assert len(servers.asked(user)) == 1
    assert servers.store().claimed_for(f"telegram:{user}") == ()  # nothing left half-fired


def test_a_reminder_due_while_the_server_was_down_fires_once_marked_late(reminder_servers: ReminderServers) -> None:
    user, servers = chat(), reminder_servers
    set_at = time.monotonic()
    assert "我来问你进展" in "\n".join(servers.say(user, "三天后提醒我"))
    servers.stop_rasa()
    time.sleep(max(0.0, set_at + DELAY_SECONDS + LATE_AFTER_SECONDS + 5 - time.monotonic()))
    assert servers.asked(user) == []
    servers.start_rasa("rasa-late")
    assert wait_for(lambda: settled(servers, f"telegram:{user}"), 60), servers.telegram.texts_to(user)
    assert len(servers.asked(user)) == 1
    assert any(LATE in text for text in servers.telegram.texts_to(user))
    assert servers.store().pending_for(f"telegram:{user}") == ()  # delivered, not pending again


def test_delivered_reminders_are_recorded_in_the_store(reminder_servers: ReminderServers) -> None:
    store = reminder_servers.store()
    engine = reminder_engine(reminder_servers.running.env["REMINDERS_DB_URL"])
    with engine.connect() as connection:
        rows = connection.exec_driver_sql("SELECT status, COUNT(*) FROM reminders GROUP BY status").all()
    counts: Dict[str, Any] = dict(rows)
    assert counts.get(DELIVERED, 0) >= 3 and counts.get("cancelled") == 1, counts
    assert store.due(dt.datetime.now(dt.timezone.utc)) == ()


# --- the website widget (socket.io) ----------------------------------------------------------------


async def widget(servers: ReminderServers) -> ChatClient:
    client = ChatClient(servers.running.rasa_url, f"http://127.0.0.1:{servers.running.env['WEB_PORT']}")
    await client.connect()
    return client


async def wait_for_ask(client: ChatClient, seconds: float) -> List[str]:
    """Widget messages until the reminder's question arrives (or `seconds` pass)."""
    seen: List[str] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not any(ASK in text for text in seen):
        try:
            _, data = await client.next_event(max(0.1, deadline - time.monotonic()))
        except asyncio.TimeoutError:
            break
        seen.append(str((data or {}).get("text", "")))
    return seen


async def test_an_open_widget_gets_its_reminder(reminder_servers: ReminderServers) -> None:
    client = await widget(reminder_servers)
    try:
        session = await client.start_session()
        await client.say(session, "下周一提醒我跟进")
        confirmed = joined(await client.replies())
        assert "我来问你进展" in confirmed and "开着这个页面" in confirmed
        seen = await wait_for_ask(client, DELAY_SECONDS + 60)
        assert any(ASK in text for text in seen), seen
        done = await asyncio.get_running_loop().run_in_executor(
            None, wait_for, lambda: settled(reminder_servers, f"webchat:{session}"), 30
        )
        assert done, statuses(reminder_servers, f"webchat:{session}")
        assert reminder_servers.store().claimed_for(f"webchat:{session}") == ()
    finally:
        await client.close()


async def test_a_closed_widget_gets_its_reminder_on_the_next_visit(reminder_servers: ReminderServers) -> None:
    first = await widget(reminder_servers)
    session = await first.start_session()
    await first.say(session, "三天后提醒我")
    assert "我来问你进展" in joined(await first.replies())
    await first.close()
    store, conversation = reminder_servers.store(), f"webchat:{session}"

    loop = asyncio.get_running_loop()
    held = lambda: statuses(reminder_servers, conversation) == [HELD]  # noqa: E731
    assert await loop.run_in_executor(None, wait_for, held, DELAY_SECONDS + 60)
    back = await widget(reminder_servers)
    try:
        await back.start_session(session)
        seen = await wait_for_ask(back, 60)
        assert sum(ASK in text for text in seen) == 1, seen
        # The row moves from claimed to delivered just after the message goes out: wait for that state.
        done = await loop.run_in_executor(None, wait_for, lambda: settled(reminder_servers, conversation), 30)
        assert done, statuses(reminder_servers, conversation)
        assert store.pending_for(conversation) == () and store.claimed_for(conversation) == ()
    finally:
        await back.close()
