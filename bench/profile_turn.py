"""Replay recorded action-server calls in this process: time them, count SQL, profile with pyinstrument.

The calls are the exact JSON Rasa sent during a benchmark conversation (see
bench/action_recorder.py), so the replay runs our actions as the server does,
minus HTTP. A second replay swaps in a pooled SQLite engine to price one fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple
from unittest import mock

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.pool import Pool, QueuePool


@dataclass(frozen=True)
class Turn:
    """The action calls Rasa made for one user message, as the JSON it sent."""

    key: str  # "<flow sender>#<user message number>: <text>"
    bodies: Tuple[str, ...]
    actions: Tuple[str, ...]

    def fresh_calls(self) -> List[Dict[str, Any]]:
        """New dicts for each replay: the executor modifies the call it runs."""
        return [json.loads(body) for body in self.bodies]


@dataclass
class Counters:
    statements: int = 0
    connections: int = 0


@dataclass
class TurnTiming:
    turn: str
    actions: List[str]
    cold_ms: float
    warm_ms: float
    pooled_ms: float
    statements: int
    connections: int
    pooled_connections: int


@dataclass
class TurnProfile:
    timings: List[TurnTiming] = field(default_factory=list)
    profile_text: str = ""
    repeats: int = 0
    self_time: Dict[str, float] = field(default_factory=dict)  # owner → share of sampled self time


def load_turns(record_dir: Path) -> List[Turn]:
    """Group recorded calls by (sender, number of user messages so far), in arrival order."""
    grouped: Dict[str, List[Tuple[str, str]]] = defaultdict(list)
    for path in sorted(record_dir.glob("*.json")):
        body = path.read_text(encoding="utf-8")
        call = json.loads(body)
        tracker = call["tracker"]
        user_events = [e for e in tracker["events"] if e.get("event") == "user"]
        text = (tracker.get("latest_message") or {}).get("text", "")
        grouped[f"{call['sender_id']}#{len(user_events)}: {text}"].append((body, str(call["next_action"])))
    return [Turn(key, tuple(b for b, _ in calls), tuple(a for _, a in calls)) for key, calls in grouped.items()]


def short_name(turn_key: str) -> str:
    """'bench-topup-ab12#1: 我用…' → 'topup #1 我用…'."""
    sender, _, rest = turn_key.partition("#")
    flow = sender.removeprefix("bench-").rsplit("-", 1)[0]
    number, _, text = rest.partition(": ")
    return f"{flow} #{number} {text}"


class Replayer:
    """Our actions, registered as the action server registers them, driven by recorded calls."""

    def __init__(self) -> None:
        from rasa_sdk.executor import ActionExecutor

        self._executor = ActionExecutor()
        self._executor.register_package("actions")
        self._loop = asyncio.new_event_loop()
        self.counters = Counters()
        event.listen(Engine, "before_cursor_execute", self._count_statement)
        event.listen(Pool, "connect", self._count_connection)

    def close(self) -> None:
        event.remove(Engine, "before_cursor_execute", self._count_statement)
        event.remove(Pool, "connect", self._count_connection)
        self._loop.close()

    def _count_statement(self, *_args: Any) -> None:
        self.counters.statements += 1

    def _count_connection(self, *_args: Any) -> None:
        self.counters.connections += 1

    def run(self, turn: Turn, profiler: Optional[Any] = None) -> float:
        """Seconds to run every call of the turn (not counting the JSON decoding), checking each answered."""
        calls = turn.fresh_calls()
        if profiler is not None:
            profiler.start()
        started = time.perf_counter()
        for call in calls:
            result = self._loop.run_until_complete(self._executor.run(call))
            if result is None:
                raise RuntimeError(f"{call['next_action']} returned nothing")
        seconds = time.perf_counter() - started
        if profiler is not None:
            profiler.stop()
        return seconds

    def mean_seconds(self, turn: Turn, repeats: int) -> Tuple[float, Counters]:
        """Mean seconds per replay, and the SQL done by one replay."""
        self.counters = Counters()
        self.run(turn)
        one = dataclasses.replace(self.counters)
        return sum(self.run(turn) for _ in range(repeats)) / repeats, one


def pooled_engine(url: str) -> Engine:
    """What-if: the same SQLite engine with a connection pool (SQLAlchemy 1.4 gives file DBs NullPool)."""
    engine = create_engine(url, future=True, poolclass=QueuePool, connect_args={"check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.execute("PRAGMA foreign_keys=ON")

    return engine


@contextlib.contextmanager
def swapped_engine_factory(factory: Callable[[str], Engine]) -> Iterator[None]:
    """Make actions.base build its store on `factory`'s engine, for the duration of the block."""
    from actions import base

    base.knowledge_store.cache_clear()
    try:
        with mock.patch.object(base, "make_engine", factory):
            yield
    finally:
        base.knowledge_store.cache_clear()


def profile_recorded_turns(record_dir: Path, knowledge_db_url: str, repeats: int) -> TurnProfile:
    """Cold and warm time per recorded turn, SQL counts, a pyinstrument profile, and the pooled what-if."""
    from pyinstrument import Profiler

    os.environ["KNOWLEDGE_DB_URL"] = knowledge_db_url
    turns = load_turns(record_dir)
    if not turns:
        raise RuntimeError(f"no action calls were recorded in {record_dir}")
    replayer = Replayer()
    result = TurnProfile(repeats=repeats)
    try:
        cold = {t.key: replayer.run(t) for t in turns}  # first call of each: engine and settings created lazily
        warm = {t.key: replayer.mean_seconds(t, max(1, repeats // len(turns))) for t in turns}
        profiler = Profiler(interval=0.0005, async_mode="disabled")
        for _ in range(repeats):
            for turn in turns:
                replayer.run(turn, profiler)
        session = profiler.last_session
        result.profile_text = profiler.output_text(unicode=True, color=False, show_all=False, short_mode=False)
        result.self_time = self_time_by_owner(session)
        with swapped_engine_factory(pooled_engine):
            pooled = {t.key: replayer.mean_seconds(t, max(1, repeats // len(turns))) for t in turns}
    finally:
        replayer.close()
    for turn in turns:
        mean, counters = warm[turn.key]
        pooled_mean, pooled_counters = pooled[turn.key]
        result.timings.append(
            TurnTiming(
                turn=short_name(turn.key),
                actions=list(turn.actions),
                cold_ms=cold[turn.key] * 1000,
                warm_ms=mean * 1000,
                pooled_ms=pooled_mean * 1000,
                statements=counters.statements,
                connections=counters.connections,
                pooled_connections=pooled_counters.connections,
            )
        )
    return result


OWNERS = (
    ("our actions/", "/actions/"),
    ("our bot/", "/bot/"),
    ("SQLAlchemy + sqlite3", "/sqlalchemy/"),
    ("rasa_sdk", "/rasa_sdk/"),
    ("python-dotenv / YAML", "/dotenv/"),
    ("python-dotenv / YAML", "/yaml/"),
)


def owner(file_path: str) -> str:
    root = str(Path(__file__).resolve().parent.parent)
    for name, fragment in OWNERS:
        if fragment in file_path and (not name.startswith("our") or file_path.startswith(root)):
            return name
    return "other (stdlib, asyncio …)"


def self_time_by_owner(session: Any) -> Dict[str, float]:
    """Share of sampled self time by who owns the frame (C calls count for their Python caller)."""
    root = session.root_frame()
    totals: Dict[str, float] = defaultdict(float)
    # Synthetic "[self]" frames (no file) and C functions ("<built-in>") belong to their Python caller.
    stack = [(root, owner(root.file_path or ""))] if root is not None else []
    while stack:
        frame, parent_owner = stack.pop()
        path = frame.file_path or ""
        name = owner(path) if path and not path.startswith("<") else parent_owner
        stack += [(child, name) for child in frame.children]
        totals[name] += max(frame.time - sum(child.time for child in frame.children), 0.0)
    total = sum(totals.values()) or 1.0
    return {name: seconds / total for name, seconds in sorted(totals.items(), key=lambda item: -item[1])}
