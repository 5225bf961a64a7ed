"""reports/bench.md and reports/bench_latency.png: the tables of one `make bench` run."""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path
from typing import List, Optional, Sequence

from bench.load import Stats, flatten
from bench.load_report import all_turns, ratio, sections
from bench.speed import ROOT, BenchRun, BotMeasurement

PLOT = "bench_latency.png"
GOAL_P50_RATIO, GOAL_RATIO, GOAL_P95_MS = 1.2, 1.5, 150.0


def cpu_model() -> str:
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def commit() -> str:
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)
    # The report's own files are being written by this run: they do not make the code "uncommitted".
    status = ["git", "status", "--porcelain", "--", ".", ":(exclude)reports"]
    dirty = subprocess.run(status, cwd=ROOT, capture_output=True, text=True).stdout
    return head.stdout.strip() + (" + uncommitted changes" if dirty.strip() else "")


def ms(value: float) -> str:
    return f"{value:.1f}"


def check(ok: bool) -> str:
    return "✅ met" if ok else "❌ not met"


def headline(run: BenchRun) -> List[str]:
    ours, base = all_turns(run.ours), all_turns(run.baseline)
    r50, r95 = ratio(ours.p50, base.p50), ratio(ours.p95, base.p95)
    return [
        "| single-user turn, all flows (interleaved) | p50 ms | p95 ms | p99 ms | turns |",
        "|---|---:|---:|---:|---:|",
        f"| ours (NLU + policies + action server + SQL) | {ms(ours.p50)} | {ms(ours.p95)} | {ms(ours.p99)} "
        f"| {ours.count} |",
        f"| plain `rasa init` bot | {ms(base.p50)} | {ms(base.p95)} | {ms(base.p99)} | {base.count} |",
        f"| **ratio ours / plain** | **{r50:.2f}×** | **{r95:.2f}×** | {ratio(ours.p99, base.p99):.2f}× | |",
        "",
        f"- Goal (issue 15): p50 ≤ {GOAL_P50_RATIO}× the plain bot — {r50:.2f}×: {check(r50 <= GOAL_P50_RATIO)}; "
        f"p95 ≤ {GOAL_RATIO}× — {r95:.2f}×: {check(r95 <= GOAL_RATIO)}.",
        f"- Goal: single-user p95 under {GOAL_P95_MS:.0f} ms — {ms(ours.p95)} ms: {check(ours.p95 < GOAL_P95_MS)}.",
    ]


def flow_table(run: BenchRun) -> List[str]:
    lines = [
        "| bot | flow | turns | p50 ms | p95 ms | p99 ms | mean ms | 1st turn p50 | 1st turn p95 | later turns p50 |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for bot in (run.ours, run.baseline):
        for flow, conversations in bot.single_user.items():
            s, first = Stats.of(flatten(conversations)), Stats.of(flatten(conversations, 0))
            later = Stats.of([t for c in conversations for t in c[1:]])
            lines.append(
                f"| {bot.name} | {flow} | {s.count} | {ms(s.p50)} | {ms(s.p95)} | {ms(s.p99)} | {ms(s.mean)} "
                f"| {ms(first.p50)} | {ms(first.p95)} | {ms(later.p50)} |"
            )
    return lines


def load_table(run: BenchRun) -> List[str]:
    lines = [
        "| concurrent users | ours turns/s | ours p50 ms | ours p95 ms | ours errors / apologies "
        "| plain turns/s | plain p50 ms | plain p95 ms | plain errors |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for ours, base in zip(run.ours.load, run.baseline.load, strict=True):
        o, b = Stats.of(ours.latencies), Stats.of(base.latencies)
        lines.append(
            f"| {ours.users} | {ours.throughput:.1f} | {ms(o.p50)} | {ms(o.p95)} | {ours.errors} / {ours.apologies} "
            f"| {base.throughput:.1f} | {ms(b.p50)} | {ms(b.p95)} | {base.errors} |"
        )
    return lines


def resources_table(run: BenchRun) -> List[str]:
    def training(bot: BotMeasurement) -> str:
        return "not timed (--skip-training)" if bot.training_seconds is None else f"{bot.training_seconds:.0f} s"

    def rss(bot: BotMeasurement) -> str:
        return ", ".join(f"{name} {mb:.0f} MiB" for name, mb in bot.peak_rss_mb.items())

    def startup(bot: BotMeasurement) -> str:
        parts = [f"{name.replace('_', ' ')} {seconds:.1f} s" for name, seconds in bot.startup.items()]
        return "; ".join(parts)

    rows = [
        ("training time (`rasa train`, cold cache)", training(run.ours), training(run.baseline) + " (`rasa init`)"),
        ("model size", f"{run.ours.model_mb:.1f} MB", f"{run.baseline.model_mb:.1f} MB"),
        ("peak RSS (VmHWM) after the load runs", rss(run.ours), rss(run.baseline)),
        ("start-up (seconds since launch)", startup(run.ours), startup(run.baseline)),
        (
            "latency of that first answer",
            f"{run.ours.first_answer_ms:.0f} ms",
            f"{run.baseline.first_answer_ms:.0f} ms",
        ),
    ]
    parse_o, parse_b = Stats.of(run.ours.parse), Stats.of(run.baseline.parse)
    rows.append(
        (
            "`/model/parse` alone p50 / p95 / p99",
            f"{ms(parse_o.p50)} / {ms(parse_o.p95)} / {ms(parse_o.p99)} ms (n={parse_o.count}, held-out texts)",
            f"{ms(parse_b.p50)} / {ms(parse_b.p95)} / {ms(parse_b.p99)} ms (n={parse_b.count})",
        )
    )
    return ["| | ours | plain `rasa init` bot |", "|---|---|---|", *(f"| {a} | {b} | {c} |" for a, b, c in rows)]


def sql_line(statements: int, connections: int, turns: int, warm: float, pooled: float) -> str:
    """The knowledge store's SQL per turn, and what a connection pool changes (measured, not assumed)."""
    saving = f"{(1 - pooled / warm) if warm else 0:.0%}"
    if connections:
        return (
            f"- {statements} SQL statements and {connections} new SQLite connections for {turns} turns, although "
            "the store's engine has a pool (actions/knowledge/engine.py): check which store opens them. With a "
            f"fresh pooled engine: {pooled:.1f} ms instead of {warm:.1f} ms for all turns ({saving} less)."
        )
    return (
        f"- {statements} SQL statements for {turns} turns, all on pooled connections (no new SQLite connection "
        f"once warm); the pooled what-if changes little ({pooled:.1f} vs {warm:.1f} ms for all turns)."
    )


def profile_section(run: BenchRun, tree_lines: int = 70) -> List[str]:
    profile = run.profile
    if profile is None:
        return ["(not run)"]
    lines = [
        "Every action call Rasa made during one conversation per flow was recorded "
        "(`bench/action_recorder.py`), then replayed (1) over HTTP against a fresh action server, and (2) in one "
        "process (`bench/profile_turn.py`), running our actions as the server does, under pyinstrument. "
        "*warm* is the mean over repeated in-process replays; *pooled* is the same replay with the knowledge "
        "store's SQLite engine given a connection pool (a what-if; the code is unchanged).",
        "",
        "| turn | actions called | over HTTP p50 ms | in-process cold ms | in-process warm ms | SQL statements "
        "| new SQLite connections | pooled ms | pooled connections |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for t in profile.timings:
        http = Stats.of(run.action_http.get(t.turn, []))
        lines.append(
            f"| {t.turn} | {', '.join(t.actions)} | {ms(http.p50)} | {t.cold_ms:.1f} | {t.warm_ms:.2f} "
            f"| {t.statements} | {t.connections} | {t.pooled_ms:.2f} | {t.pooled_connections} |"
        )
    warm = sum(t.warm_ms for t in profile.timings)
    pooled = sum(t.pooled_ms for t in profile.timings)
    statements = sum(t.statements for t in profile.timings)
    connections = sum(t.connections for t in profile.timings)
    ours = all_turns(run.ours)
    http_p50 = [Stats.of(seconds).p50 for seconds in run.action_http.values()]
    http_mean = sum(http_p50) / len(http_p50) if http_p50 else float("nan")
    lines += [
        "",
        f"- The action server takes {http_mean:.1f} ms per turn over HTTP (mean of the per-turn p50s), of which our "
        f"action code is {warm / len(profile.timings):.2f} ms (warm, in-process); a served turn's p50 is "
        f"{ms(ours.p50)} ms. The rest of the turn is Rasa itself (NLU, policies, tracker store) and HTTP.",
        sql_line(statements, connections, len(profile.timings), warm, pooled),
        "- Self time by owner (pyinstrument samples; C calls count for their Python caller): "
        + ", ".join(f"{name} {share:.0%}" for name, share in profile.self_time.items())
        + ".",
        "",
        f"<details><summary>pyinstrument call tree ({profile.repeats} replays of all turns; "
        f"first {tree_lines} lines)</summary>",
        "",
        "```",
        *profile.profile_text.splitlines()[:tree_lines],
        "```",
        "</details>",
    ]
    return lines


def rasa_side_section(run: BenchRun) -> List[str]:
    profile = run.rasa_profile
    if profile is None:
        return ["(not run)"]
    turns = ", ".join(f"turn {n + 1}: {ms(Stats.of([t / 1000 for t in v]).p50)} ms" for n, v in profile.turn_ms.items())
    lines = [
        f"Our model loaded in the benchmark process, our action server on loopback, an SQLite tracker store; "
        f"{profile.conversations} conversations timed (p50 in-process, no HTTP in front: {turns}), as many again "
        "under pyinstrument (async mode). Share of `Agent.handle_message` time by stage (inclusive):",
        "",
        "| stage | share of turn time |",
        "|---|---:|",
        *(f"| {stage} | {share:.0%} |" for stage, share in profile.stage_share.items()),
        "",
        f"Rasa 3.6.21 checks every action-server response with `jsonschema.validate(response, schema)` "
        f"(`RemoteAction._validate_action_result`), which re-checks the schema against its meta-schema each time: "
        f"{profile.validate_ms:.1f} ms per response here, against {profile.cached_validate_ms:.2f} ms with a "
        "validator built once. `bot/action_validation.py` (pinned to Rasa 3.6.21) builds it once; the served bot "
        "and this profile both install it, so the validation stage above is the prebuilt check. The action calls "
        "each timed turn made, as recorded, are in the table below; the plain bot makes none.",
    ]
    return lines


def plot(run: BenchRun, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    figure, (latency_axis, throughput_axis) = plt.subplots(1, 2, figsize=(12, 4.5))
    for bot, colour in ((run.ours, "tab:blue"), (run.baseline, "tab:grey")):
        users = [r.users for r in bot.load]
        stats = [Stats.of(r.latencies) for r in bot.load]
        latency_axis.plot(users, [s.p50 for s in stats], "o-", color=colour, label=f"{bot.name} p50")
        latency_axis.plot(users, [s.p95 for s in stats], "s--", color=colour, label=f"{bot.name} p95")
        throughput_axis.plot(users, [r.throughput for r in bot.load], "o-", color=colour, label=bot.name)
    for axis in (latency_axis, throughput_axis):
        axis.set_xscale("log")
        axis.xaxis.set_minor_formatter(matplotlib.ticker.NullFormatter())
        axis.set_xticks([r.users for r in run.ours.load])
        axis.set_xticklabels([str(r.users) for r in run.ours.load])
        axis.set_xlabel("concurrent users")
        axis.grid(True, alpha=0.3)
        axis.legend()
    latency_axis.set_yscale("log")
    latency_axis.set_ylabel("turn latency (ms, log scale)")
    latency_axis.set_title("REST turn latency vs concurrency")
    throughput_axis.set_ylabel("turns per second")
    throughput_axis.set_title("throughput vs concurrency")
    figure.suptitle(f"make bench — {cpu_model()}, {os.cpu_count()} cores, {dt.date.today()}", fontsize=9)
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)


def write_report(run: BenchRun, load_before: Sequence[float], load_after: Optional[Sequence[float]] = None) -> Path:
    args = run.args
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    plot(run, out / PLOT)
    after = load_after or os.getloadavg()
    lines = [
        "# Speed benchmark",
        "",
        f"Written by `make bench` (`scripts/bench.py`) on {dt.datetime.now().strftime('%Y-%m-%d %H:%M')}, code at "
        f"{commit()}. Machine: {cpu_model()}, {os.cpu_count()} cores; load average "
        f"{load_before[0]:.2f} at the start, {after[0]:.2f} at the end. Runtime {run.timings['total'] / 60:.1f} min.",
        "",
        "Both bots run on loopback with `rasa run --enable-api --auth-token …`, the REST channel and an SQLite "
        "tracker store; ours also runs its action server (`python -m actions.server`) and knowledge store, as "
        "`scripts/run.sh` does. The plain bot is `rasa init --no-prompt`'s project trained in a temp folder. Both "
        "bots run at once and are measured **interleaved**: single-user, one of our conversations then one of the "
        "plain bot's, and so on; under load, alternating phases (ours, plain, plain, ours …), so a change in the "
        "machine's load falls on both alike. The load generator (aiohttp) shares the machine's cores with the "
        f"servers. Settings: {args.warmup} warm-up and {args.repeats} measured conversations per flow, "
        f"concurrency levels {args.users} for {args.load_seconds:.0f} s per bot each, in {args.load_rounds} "
        f"alternating phases, {args.parse_requests} `/model/parse` requests.",
        "",
        "## Headline",
        "",
        *headline(run),
        "",
        *sections(run),
        "## Single-user latency per flow (REST channel, one request at a time)",
        "",
        "Flows of ours: the report naming the wallet (form → `action_answer_problem`, several SQL lookups), then "
        "two follow-ups (`action_give_next_escalation_step`). The plain bot: greet → mood_unhappy → affirm.",
        "",
        *flow_table(run),
        "",
        "## Throughput and latency under concurrency (alternating phases)",
        "",
        *load_table(run),
        "",
        f"![latency vs concurrency]({PLOT})",
        "",
        "## Training, size, memory, start-up",
        "",
        *resources_table(run),
        "",
        "## Where a turn of ours goes: the Rasa side",
        "",
        *rasa_side_section(run),
        "",
        "## Profile of our action server",
        "",
        *profile_section(run),
        "",
        "Phase timings: " + "; ".join(f"{k} {v:.0f} s" for k, v in run.timings.items() if k != "total") + ".",
        "",
    ]
    path = out / "bench.md"
    path.write_text("\n".join(lines), encoding="utf-8")
    return path
