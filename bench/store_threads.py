"""Store calls off the event loop: our action server with its store thread pool against the same server
running store calls inline (STORE_CALLS=threads / inline; actions/base.py).

Both servers run at once on the same knowledge store; `users` concurrent clients replay the action
calls Rasa made in the recorded conversations (bench/action_recorder.py), turn after turn, against
one server, then the other, alternating phase by phase so the machine's load falls on both alike.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Sequence

import aiohttp

from bench import servers
from bench.load import TIMEOUT, LoadResult, record_turn
from bench.profile_turn import load_turns

MODES = ("thread pool", "inline")


@dataclass
class StoreComparison:
    """Per mode (thread pool / inline), per concurrency level: the summed phases."""

    database: str
    results: Dict[str, List[LoadResult]] = field(default_factory=lambda: {m: [] for m in MODES})


async def replay_load(url: str, turns: Sequence[Sequence[str]], users: int, seconds: float) -> LoadResult:
    """`users` clients, each POSTing one recorded turn's action calls after another for `seconds`."""
    result = LoadResult(users=users, seconds=0.0, turns=0, errors=0)
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=users)
    async with aiohttp.ClientSession(timeout=TIMEOUT, connector=connector) as session:

        async def replay(bodies: Sequence[str]) -> None:
            for body in bodies:
                headers = {"Content-Type": "application/json"}
                async with session.post(url, data=body, headers=headers) as response:
                    response.raise_for_status()
                    await response.read()

        async def client(index: int) -> None:
            for bodies in itertools.islice(itertools.cycle(turns), index % len(turns), None):
                if time.perf_counter() >= deadline:
                    return
                await record_turn(result, functools.partial(replay, bodies))

        started = time.perf_counter()
        await asyncio.gather(*(client(i) for i in range(users)))
        result.seconds = time.perf_counter() - started
    return result


def compare(
    database: str,
    env: Dict[str, str],
    record_dir: Path,
    workdir: Path,
    levels: Sequence[int],
    seconds: float,
    rounds: int,
) -> StoreComparison:
    """Start both action servers on `env`'s knowledge store and measure them in alternating phases."""
    turns = [turn.bodies for turn in load_turns(record_dir)]
    comparison = StoreComparison(database)
    started: Dict[str, servers.Server] = {}
    urls: Dict[str, str] = {}
    try:
        for mode in MODES:
            port = servers.free_port()
            mode_env = {**env, "STORE_CALLS": "inline" if mode == "inline" else "threads"}
            command = [sys.executable, "-m", "actions.server", "--port", str(port)]
            name = f"actions-{mode.replace(' ', '-')}-{database}"
            started[mode] = servers.start(name, command, mode_env, Path.cwd(), workdir)
            urls[mode] = f"http://127.0.0.1:{port}"
        for mode in MODES:
            servers.wait_until_ok(started[mode], f"{urls[mode]}/health", 90)
            asyncio.run(replay_load(f"{urls[mode]}/webhook", turns, 2, 2.0))  # warm-up
        for users in levels:
            print(f"  action server, {database}: {users} concurrent clients, pool vs inline", flush=True)
            totals = {mode: LoadResult(users=users, seconds=0.0, turns=0, errors=0) for mode in MODES}
            order = list(MODES)
            for _ in range(rounds):
                for mode in order:
                    totals[mode].add(asyncio.run(replay_load(f"{urls[mode]}/webhook", turns, users, seconds / rounds)))
                order.reverse()
            for mode in MODES:
                comparison.results[mode].append(totals[mode])
    finally:
        for server in started.values():
            servers.stop(server)
    return comparison
