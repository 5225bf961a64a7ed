"""Scale-out figures: the 100 users × 10 turns load test (tests/e2e/test_reliability.py) on one Rasa server
and on two, both behind the Redis lock store with the PostgreSQL tracker and knowledge stores, as
`make scale` runs them (scripts/services.sh starts PostgreSQL and Redis on loopback).

The two set-ups share everything but the number of Rasa servers taking messages, and alternate run by
run (one, two, two, one …) so the machine's load falls on both alike. With two servers, users are
spread over them round-robin, as a load balancer would.
"""

from __future__ import annotations

import asyncio
import functools
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence

import aiohttp

from bench import servers
from bench.load import LoadResult, is_apology, record_turn

ROOT = Path(__file__).resolve().parent.parent
WALLETS = ("支付宝", "微信", "京东钱包", "Apple Pay")
TURNS = 10


@dataclass
class ScaleRun:
    """Per set-up ("1 server", "2 servers"): one LoadResult per run."""

    users: int
    results: Dict[str, List[LoadResult]] = field(default_factory=lambda: {"1 server": [], "2 servers": []})
    store_comparison: Optional[object] = None  # bench.store_threads.StoreComparison on PostgreSQL


async def hundred_users(urls: Sequence[str], users: int) -> LoadResult:
    """`users` users at once, ten turns each (a report, then "still not solved" nine times)."""
    result = LoadResult(users=users, seconds=0.0, turns=0, errors=0)
    timeout = aiohttp.ClientTimeout(total=600)
    async with aiohttp.ClientSession(timeout=timeout, connector=aiohttp.TCPConnector(limit=users)) as session:

        async def send(url: str, sender: str, text: str) -> None:
            async with session.post(url, json={"sender": sender, "message": text}) as reply:
                reply.raise_for_status()
                if is_apology(await reply.json()):
                    result.apologies += 1

        async def user(index: int) -> None:
            url = f"{urls[index % len(urls)]}/webhooks/rest/webhook"
            sender = f"scale-{index}-{uuid.uuid4().hex[:8]}"
            for text in [f"我用{WALLETS[index % len(WALLETS)]}充值失败了"] + ["还是不行"] * (TURNS - 1):
                await record_turn(result, functools.partial(send, url, sender, text))

        started = time.perf_counter()
        await asyncio.gather(*(user(i) for i in range(users)))
        result.seconds = time.perf_counter() - started
    return result


def start_services(services_dir: Path) -> Dict[str, str]:
    """PostgreSQL and Redis on free loopback ports; the URLs scripts/services.sh prints, plus its env."""
    env = {
        **os.environ,
        "SERVICES_DIR": str(services_dir),
        "PG_PORT": str(servers.free_port()),
        "REDIS_PORT": str(servers.free_port()),
    }
    started = subprocess.run(
        [str(ROOT / "scripts" / "services.sh"), "start"], env=env, capture_output=True, text=True, timeout=600
    )
    if started.returncode != 0:
        raise RuntimeError(f"scripts/services.sh start failed:\n{started.stderr[-2000:]}")
    urls = dict(line.split("=", 1) for line in started.stdout.strip().splitlines() if "=" in line)
    return {**env, **urls}


def measure_scale_out(
    model: Path,
    rasa_args: Callable[[Path, Path, Path, int, str], List[str]],
    base_env: Dict[str, str],
    workdir: Path,
    users: int,
    rounds: int,
    store_check: Optional[Callable[[Dict[str, str]], object]] = None,
) -> ScaleRun:
    """Start the stack, run the load test `rounds` times per set-up, alternating; stop everything."""
    # PostgreSQL runs as user postgres, which cannot enter private temp folders.
    services_dir = Path(tempfile.mkdtemp(prefix="wallet-bench-services-"))
    services_dir.chmod(0o755)
    run = ScaleRun(users)
    started: List[servers.Server] = []
    services_env: Dict[str, str] = {}
    try:
        services_env = start_services(services_dir)
        actions_port = servers.free_port()
        stores = ("TRACKER_STORE_URL", "KNOWLEDGE_DB_URL", "LOCK_STORE_URL")
        env = {**base_env, **{key: services_env[key] for key in stores}}
        env["ACTION_SERVER_URL"] = f"http://127.0.0.1:{actions_port}/webhook"
        env.pop("CASES_DB_URL", None)
        seeded = subprocess.run(
            [sys.executable, "-m", "actions.knowledge", "import"], cwd=ROOT, env=env, capture_output=True, text=True
        )
        if seeded.returncode != 0:
            raise RuntimeError(f"seeding PostgreSQL failed:\n{seeded.stderr[-2000:]}")
        actions = servers.start(
            "actions-scale", [sys.executable, "-m", "actions.server", "--port", str(actions_port)], env, ROOT, workdir
        )
        started.append(actions)
        servers.wait_until_ok(actions, f"http://127.0.0.1:{actions_port}/health", 90)
        urls = []
        for index in range(2):
            port = servers.free_port()
            command = rasa_args(model, ROOT / "endpoints.yml", ROOT / "credentials.yml", port, "scale-token")
            rasa = servers.start(f"rasa-scale-{index}", command, env, ROOT, workdir)
            started.append(rasa)
            urls.append(f"http://127.0.0.1:{port}")
        for rasa, url in zip(started[1:], urls, strict=True):
            servers.wait_until_ok(rasa, f"{url}/webhooks/health/", 300)
        asyncio.run(hundred_users(urls, 4))  # warm-up: both servers load their graph caches
        order = ["1 server", "2 servers"]
        for _ in range(rounds):
            for setup in order:
                print(f"  scale-out: {users} users × {TURNS} turns on {setup}", flush=True)
                run.results[setup].append(asyncio.run(hundred_users(urls[: int(setup[0])], users)))
            order.reverse()
        for server in started[1:]:
            servers.stop(server)
        if store_check is not None:
            run.store_comparison = store_check(env)
    finally:
        for server in started:
            servers.stop(server)
        if services_env:
            subprocess.run([str(ROOT / "scripts" / "services.sh"), "stop"], env=services_env, timeout=120)
        shutil.rmtree(services_dir, ignore_errors=True)
    return run
