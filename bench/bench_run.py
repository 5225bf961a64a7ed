"""The phases of one `make bench` run, in order, and the phases that use PostgreSQL, Redis and Rasa's
test runner (TEDPolicy, store threads, scale-out); bench/speed.py has the two bots' phases."""

from __future__ import annotations

import contextlib
import os
import tempfile
import time
from pathlib import Path
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from bench import scale, store_threads, ted
from bench.speed import (
    ROOT,
    SEED_PATH,
    BenchRun,
    BotMeasurement,
    base_env,
    measure_action_server_http,
    measure_both,
    parse_args,
    profile_rasa_side,
    rasa_server_args,
    time_our_training,
)


def measure_ted(run: BenchRun, tmp: Path) -> None:
    """`rasa test core` on tests/conversations with our model and with config.yml's TEDPolicy toggled."""
    workdir = tmp / "ted"
    workdir.mkdir()
    # The project's own training cache (cwd .rasa/cache): the NLU components come from it, only policies train.
    env = {k: v for k, v in base_env(tmp).items() if k != "RASA_CACHE_DIRECTORY"}
    other, seconds = ted.train_other_variant(workdir, env)
    ours_has_ted = ted.has_ted(ROOT / "config.yml")
    ours = ted.run_core_test(
        f"{'with' if ours_has_ted else 'without'} TEDPolicy (config.yml, served)", run.args.model, workdir / "ours", env
    )
    toggled = ted.run_core_test(
        f"{'without' if ours_has_ted else 'with'} TEDPolicy (config.yml toggled)", other, workdir / "other", env
    )
    toggled.training_seconds = seconds
    run.ted = [ours, toggled] if ours_has_ted else [toggled, ours]


def measure_store_threads_sqlite(run: BenchRun, tmp: Path) -> None:
    """Store calls in threads vs inline, on the bench's SQLite knowledge store."""
    workdir = tmp / "store-threads"
    workdir.mkdir()
    env = {**base_env(tmp), "KNOWLEDGE_DB_URL": run.knowledge_db_url, "KNOWLEDGE_SEED_PATH": str(SEED_PATH)}
    args = run.args
    run.store_threads.append(
        store_threads.compare(
            "SQLite", env, run.recorded_calls, workdir, args.store_levels, args.store_seconds, args.load_rounds
        )
    )


def measure_scale(run: BenchRun, tmp: Path) -> None:
    """One and two Rasa servers on PostgreSQL + Redis; then store threads vs inline on PostgreSQL."""
    workdir = tmp / "scale"
    workdir.mkdir()
    args = run.args

    def store_check(env: Dict[str, str]) -> object:
        comparison = store_threads.compare(
            "PostgreSQL", env, run.recorded_calls, workdir, args.store_levels, args.store_seconds, args.load_rounds
        )
        run.store_threads.append(comparison)
        return comparison

    env = {**base_env(tmp), "KNOWLEDGE_SEED_PATH": str(SEED_PATH)}
    run.scale = scale.measure_scale_out(
        args.model, rasa_server_args, env, workdir, args.scale_users, args.scale_rounds, store_check
    )


def run_bench(argv: Optional[Sequence[str]] = None) -> BenchRun:
    """Parse the flags, run every phase, return the results."""
    from bench.profile_turn import profile_recorded_turns

    args = parse_args(argv)
    if not args.model.exists():
        raise SystemExit(f"{args.model} is missing: run `make train` first.")
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        if args.keep:
            args.keep.mkdir(parents=True, exist_ok=False)
            tmp = args.keep.resolve()
        else:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="wallet-bench-")))
        run = BenchRun(
            args,
            BotMeasurement("ours", args.model),
            BotMeasurement("rasa init", Path()),
            recorded_calls=tmp / "recorded-calls",
            knowledge_db_url=f"sqlite:///{tmp / 'knowledge.db'}",
        )
        phases: List[Tuple[str, Callable[[BenchRun, Path], None]]] = [
            ("both bots served at once, measured interleaved; WeChat followers at once; record", measure_both),
            ("store calls: thread pool vs inline (SQLite)", measure_store_threads_sqlite),
        ]
        if not args.skip_ted:
            phases.append(("TEDPolicy: rasa test core with and without", measure_ted))
        if not args.skip_scale:
            phases.append(("scale-out: one and two Rasa servers on PostgreSQL + Redis", measure_scale))
        phases += [
            ("profile the Rasa side of our turns (in-process)", profile_rasa_side),
            ("our action server over HTTP (replay of the recorded turns)", measure_action_server_http),
        ]
        if not args.skip_training:
            phases.insert(0, ("ours: rasa train (cold cache)", time_our_training))
        for name, phase in phases:
            print(f"== {name}  (load average {os.getloadavg()[0]:.2f})", flush=True)
            phase_started = time.monotonic()
            phase(run, tmp)
            run.timings[name] = time.monotonic() - phase_started
            run.load_averages[name] = os.getloadavg()[0]
        print("== profile our action server (in-process replay of the recorded turns)", flush=True)
        phase_started = time.monotonic()
        run.profile = profile_recorded_turns(run.recorded_calls, run.knowledge_db_url, args.profile_repeats)
        run.timings["profile"] = time.monotonic() - phase_started
    run.timings["total"] = time.monotonic() - started
    return run
