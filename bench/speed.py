"""`make bench`: our assistant and a plain `rasa init` bot, served and measured the same way.

Both bots run on loopback with the REST channel, the HTTP API (token) and an SQLite tracker
store; ours also has its action server and knowledge store. Both run at once and are measured
in alternation (conversation by conversation, load phase by load phase), so the machine's load
falls on both alike. Then: WeChat followers at once, store calls in threads vs inline, TEDPolicy
with and without, and the load test on one and two Rasa servers (PostgreSQL + Redis).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from bench import servers
from bench.load import (
    Client,
    Flow,
    LoadResult,
    action_server_round_trips,
    first_answer_seconds,
    interleaved_load,
    interleaved_single_user,
    parse_latencies,
    single_user,
)
from bench.profile_rasa_turn import RasaTurnProfile
from bench.profile_turn import TurnProfile
from bench.scale import ScaleRun
from bench.store_threads import StoreComparison
from bench.ted import CoreTest
from bench.wechat_load import Burst, WeChatBench

ROOT = Path(__file__).resolve().parent.parent
RASA = str(Path(sys.executable).parent / "rasa")
SEED_PATH = ROOT / "knowledge" / "seed.yml"

# Each flow: the report (wallet named), then the user saying it still isn't solved, twice.
OUR_FLOWS = (
    Flow("topup", (("我用支付宝充值失败了", "95188"), ("还是不行，下一步呢", "🪜"), ("还是没解决", "🪜"))),
    Flow("fund_security", (("我的微信零钱被盗刷了", "95017"), ("还是不行，下一步呢", "🪜"), ("还是没解决", "🪜"))),
    Flow(
        "support_unresponsive",
        (("京东钱包的客服一直不理我", "400-606-5500"), ("还是不行，下一步呢", "🪜"), ("还是没解决", "🪜")),
    ),
)
BASELINE_FLOWS = (Flow("moodbot", (("hello", "How are you"), ("I am sad", "cheer you up"), ("yes", "carry on"))),)
BASELINE_PARSE_TEXTS = ("hello there", "I am very sad", "yes, indeed", "goodbye", "am I talking to a bot?", "great")


@dataclass
class BotMeasurement:
    """Everything measured for one bot."""

    name: str
    model: Path
    model_mb: float = float("nan")
    training_seconds: Optional[float] = None
    startup: Dict[str, float] = field(default_factory=dict)  # milestone → seconds since launch
    first_answer_ms: float = float("nan")
    single_user: Dict[str, List[List[float]]] = field(default_factory=dict)
    parse: List[float] = field(default_factory=list)
    load: List[LoadResult] = field(default_factory=list)
    peak_rss_mb: Dict[str, float] = field(default_factory=dict)


@dataclass
class BenchRun:
    args: argparse.Namespace
    ours: BotMeasurement
    baseline: BotMeasurement
    recorded_calls: Path
    knowledge_db_url: str
    timings: Dict[str, float] = field(default_factory=dict)
    profile: Optional[TurnProfile] = None
    rasa_profile: Optional[RasaTurnProfile] = None
    action_http: Dict[str, List[float]] = field(default_factory=dict)  # turn → seconds per HTTP replay
    wechat: List[Burst] = field(default_factory=list)
    store_threads: List[StoreComparison] = field(default_factory=list)  # SQLite, then PostgreSQL
    ted: List[CoreTest] = field(default_factory=list)  # with TEDPolicy, without
    scale: Optional[ScaleRun] = None
    load_averages: Dict[str, float] = field(default_factory=dict)  # phase → 1-minute load average at its end


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=40, help="single-user conversations per flow (default 40)")
    parser.add_argument("--users", default="1,10,50", help="concurrency levels (default 1,10,50)")
    parser.add_argument("--load-seconds", type=float, default=30.0, help="seconds per bot per concurrency level")
    parser.add_argument("--load-rounds", type=int, default=4, help="alternating phases per bot per level (default 4)")
    parser.add_argument("--wechat-followers", type=int, default=50, help="WeChat followers writing at once")
    parser.add_argument("--wechat-bursts", type=int, default=3, help="bursts of WeChat followers (default 3)")
    parser.add_argument("--store-users", default="10,50", help="concurrent clients, store threads vs inline")
    parser.add_argument("--store-seconds", type=float, default=20.0, help="seconds per mode per level")
    parser.add_argument("--scale-users", type=int, default=100, help="users of the scale-out load test (10 turns)")
    parser.add_argument("--scale-rounds", type=int, default=2, help="runs per set-up, alternating (default 2)")
    parser.add_argument("--skip-scale", action="store_true", help="no PostgreSQL/Redis scale-out phase")
    parser.add_argument("--skip-ted", action="store_true", help="no TEDPolicy comparison")
    parser.add_argument("--parse-requests", type=int, default=300, help="/model/parse requests per bot")
    parser.add_argument("--warmup", type=int, default=3, help="warm-up conversations per flow")
    parser.add_argument("--profile-repeats", type=int, default=300, help="in-process replays of the recorded turns")
    parser.add_argument("--action-repeats", type=int, default=50, help="HTTP replays of each recorded turn")
    parser.add_argument(
        "--rasa-profile-repeats", type=int, default=10, help="conversations per flow for the Rasa-side profile"
    )
    parser.add_argument("--skip-training", action="store_true", help="don't time a training of our config")
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "wallet-assistant.tar.gz")
    parser.add_argument("--holdout", type=Path, default=ROOT / "tests" / "nlu" / "holdout.yml")
    parser.add_argument("--out", type=Path, default=ROOT / "reports")
    parser.add_argument("--keep", type=Path, help="work in this folder and keep it (server logs, recorded calls)")
    args = parser.parse_args(argv)
    args.user_levels = [int(u) for u in args.users.split(",") if u.strip()]
    args.store_levels = [int(u) for u in args.store_users.split(",") if u.strip()]
    return args


def base_env(tmp: Path) -> Dict[str, str]:
    return {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "TF_CPP_MIN_LOG_LEVEL": "2",
        "SANIC_HOST": "127.0.0.1",
        "RASA_CACHE_DIRECTORY": str(tmp / "rasa-cache"),
    }


def timed(args: Sequence[str], env: Dict[str, str], cwd: Path, log: Path) -> float:
    """Run a command to completion; its wall time. Fails loudly with the log's tail."""
    started = time.monotonic()
    with log.open("wb") as handle:
        result = subprocess.run(list(args), cwd=cwd, env=env, stdout=handle, stderr=subprocess.STDOUT)
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(args)} failed ({result.returncode}):\n{log.read_text()[-3000:]}")
    return time.monotonic() - started


def action_server_args(port: int) -> List[str]:
    """Our action server, as scripts/run.sh starts it."""
    return [sys.executable, "-m", "actions.server", "--port", str(port)]


def rasa_server_args(model: Path, endpoints: Path, credentials: Path, port: int, token: str) -> List[str]:
    return [
        RASA,
        "run",
        "--model",
        str(model),
        "--endpoints",
        str(endpoints),
        "--credentials",
        str(credentials),
        "--port",
        str(port),
        "--interface",
        "127.0.0.1",
        "--enable-api",
        "--auth-token",
        token,
    ]


def holdout_texts(path: Path) -> List[str]:
    from bench.nlu_data import load_corpus

    return [e.text for e in load_corpus(path).examples]


def our_env(run: BenchRun, tmp: Path, workdir: Path, actions_port: int) -> Dict[str, str]:
    """Environment of our two servers: the bench's knowledge store, a fresh tracker store."""
    return {
        **base_env(tmp),
        "KNOWLEDGE_DB_URL": run.knowledge_db_url,
        "KNOWLEDGE_SEED_PATH": str(SEED_PATH),
        "ACTION_SERVER_URL": f"http://127.0.0.1:{actions_port}/webhook",
        # Both spellings: endpoints.yml has used each.
        "TRACKER_STORE_URL": f"sqlite:///{workdir / 'tracker.db'}",
        "TRACKER_SQLITE_PATH": str(workdir / "tracker.db"),
        "LOCK_STORE_URL": "",
    }


def seed_knowledge_store(url: str) -> None:
    from actions.knowledge.store import import_seed, make_engine, seed_fingerprint
    from assistant_core.seed import load_seed

    import_seed(make_engine(url), load_seed(SEED_PATH), seed_fingerprint(SEED_PATH))


def profile_rasa_side(run: BenchRun, tmp: Path) -> None:
    """Our model in this process, our action server on loopback: where a turn's time goes."""
    from bench.profile_rasa_turn import profile_rasa_turns

    workdir = tmp / "rasa-profile"
    workdir.mkdir()
    port = servers.free_port()
    env = our_env(run, tmp, workdir, port)
    actions = servers.start("actions-profile", action_server_args(port), env, ROOT, workdir)
    try:
        servers.wait_until_ok(actions, f"http://127.0.0.1:{port}/health", 90)
        run.rasa_profile = profile_rasa_turns(
            run.args.model,
            f"http://127.0.0.1:{port}/webhook",
            workdir / "tracker.db",
            OUR_FLOWS,
            run.args.rasa_profile_repeats,
        )
    finally:
        servers.stop(actions)


def start_baseline(run: BenchRun, tmp: Path) -> Tuple[servers.Server, str, str]:
    """`rasa init --no-prompt` (trains) in a temp folder, then serve it; (server, url, token)."""
    bot = run.baseline
    project = tmp / "baseline"
    project.mkdir()  # `rasa init --no-prompt` wants an existing, empty folder
    env = base_env(tmp)
    bot.training_seconds = timed([RASA, "init", "--no-prompt", "--init-dir", str(project)], env, tmp, tmp / "init.log")
    bot.model = next((project / "models").glob("*.tar.gz"))
    bot.model_mb = bot.model.stat().st_size / 1e6
    (project / "endpoints.yml").write_text(
        f"tracker_store:\n  type: SQL\n  dialect: sqlite\n  db: {project / 'tracker.db'}\n", encoding="utf-8"
    )
    port, token = servers.free_port(), secrets.token_urlsafe(16)
    command = rasa_server_args(bot.model, project / "endpoints.yml", project / "credentials.yml", port, token)
    return servers.start("rasa-baseline", command, env, project, tmp), f"http://127.0.0.1:{port}", token


def wait_for_first_answer(bot: BotMeasurement, rasa: servers.Server, url: str, flow: Flow) -> None:
    bot.startup["rasa_http_up"] = servers.wait_until_ok(rasa, f"{url}/", 300)
    bot.startup["first_answer"], first_latency = first_answer_seconds(url, flow, rasa.launched_at, 120)
    bot.first_answer_ms = first_latency * 1000


async def measure_interleaved(run: BenchRun, ours: Client, base: Client, our_texts: Sequence[str]) -> None:
    """Both bots served at once and measured in alternation (conversation by conversation, phase by phase)."""
    args = run.args
    pairs = [(ours, OUR_FLOWS), (base, BASELINE_FLOWS)]
    await interleaved_single_user(pairs, args.warmup)
    run.ours.single_user, run.baseline.single_user = await interleaved_single_user(pairs, args.repeats)
    for client, texts, bot in ((ours, our_texts, run.ours), (base, BASELINE_PARSE_TEXTS, run.baseline)):
        await parse_latencies(client, texts, min(20, args.parse_requests))
        bot.parse = await parse_latencies(client, texts, args.parse_requests)
    for users in args.user_levels:
        print(f"  both bots, alternating phases: {users} concurrent users, {args.load_seconds:.0f} s each", flush=True)
        our_load, base_load = await interleaved_load(pairs, users, args.load_seconds, args.load_rounds)
        run.ours.load.append(our_load)
        run.baseline.load.append(base_load)


def measure_both(run: BenchRun, tmp: Path) -> None:
    """Serve the plain bot and ours (as scripts/run.sh does, WeChat channel on) side by side and measure both,
    interleaved; then 50 WeChat followers at once on ours; then record one conversation per flow's action calls."""
    args = run.args
    baseline, base_url, base_token = start_baseline(run, tmp)
    workdir = tmp / "ours"
    workdir.mkdir()
    seed_knowledge_store(run.knowledge_db_url)
    actions_port, rasa_port, token = servers.free_port(), servers.free_port(), secrets.token_urlsafe(16)
    wechat = WeChatBench.start()
    env = {**our_env(run, tmp, workdir, actions_port), **wechat.server_env()}
    actions = servers.start("actions", action_server_args(actions_port), env, ROOT, workdir)
    rasa: Optional[servers.Server] = None
    try:
        run.ours.model_mb = run.ours.model.stat().st_size / 1e6
        run.ours.startup["action_server_up"] = servers.wait_until_ok(
            actions, f"http://127.0.0.1:{actions_port}/health", 90
        )
        command = rasa_server_args(args.model, ROOT / "endpoints.yml", ROOT / "credentials.yml", rasa_port, token)
        rasa = servers.start("rasa", command, env, ROOT, workdir)
        url = f"http://127.0.0.1:{rasa_port}"
        wait_for_first_answer(run.ours, rasa, url, OUR_FLOWS[0])
        wait_for_first_answer(run.baseline, baseline, base_url, BASELINE_FLOWS[0])

        async def drive() -> None:
            ours, base = Client(url, token), Client(base_url, base_token)
            try:
                await measure_interleaved(run, ours, base, holdout_texts(args.holdout))
            finally:
                await ours.close()
                await base.close()

        asyncio.run(drive())
        run.ours.peak_rss_mb = {"rasa server": rasa.peak_rss_mb(), "action server": actions.peak_rss_mb()}
        run.baseline.peak_rss_mb = {"rasa server": baseline.peak_rss_mb()}
        servers.stop(baseline)
        print(f"  WeChat: {args.wechat_followers} followers writing at the same moment", flush=True)
        run.wechat = [wechat.burst(url, args.wechat_followers) for _ in range(args.wechat_bursts)]
        # Swap in the recording action server for one conversation per flow, for the profiler.
        servers.stop(actions)
        recorder_args = [sys.executable, "-m", "bench.action_recorder", "--port", str(actions_port)]
        recorder_args += ["--record-dir", str(run.recorded_calls)]
        actions = servers.start("recorder", recorder_args, env, ROOT, workdir)
        servers.wait_until_ok(actions, f"http://127.0.0.1:{actions_port}/health", 90)

        async def record() -> None:
            client = Client(url, token)
            try:
                await single_user(client, OUR_FLOWS, 1)
            finally:
                await client.close()

        asyncio.run(record())
    finally:
        wechat.stop()
        servers.stop(baseline)
        servers.stop(rasa)
        servers.stop(actions)


def measure_action_server_http(run: BenchRun, tmp: Path) -> None:
    """Replay each recorded turn's action calls against a fresh action server over HTTP."""
    from bench.profile_turn import load_turns, short_name

    port = servers.free_port()
    env = {**base_env(tmp), "KNOWLEDGE_DB_URL": run.knowledge_db_url, "KNOWLEDGE_SEED_PATH": str(SEED_PATH)}
    actions = servers.start(
        "actions-http", [sys.executable, "-m", "actions.server", "--port", str(port)], env, ROOT, tmp
    )
    try:
        servers.wait_until_ok(actions, f"http://127.0.0.1:{port}/health", 90)
        for turn in load_turns(run.recorded_calls):
            run.action_http[short_name(turn.key)] = asyncio.run(
                action_server_round_trips(f"http://127.0.0.1:{port}/webhook", turn.bodies, run.args.action_repeats)
            )
    finally:
        servers.stop(actions)


def time_our_training(run: BenchRun, tmp: Path) -> None:
    out = tmp / "trained"
    command = [RASA, "train", "--config", "config.yml", "--domain", "domain.yml", "--data", "data"]
    command += ["--out", str(out), "--fixed-model-name", "timed"]
    run.ours.training_seconds = timed(command, base_env(tmp), ROOT, tmp / "train.log")
