"""Command line for the knowledge store.

python -m actions.knowledge import [--seed PATH]   # validate, then replace the store's content
python -m actions.knowledge check  [--seed PATH]   # validate only; the database is not touched
python -m actions.knowledge export [--out PATH]    # write the store's content as a seed file
python -m actions.knowledge status                 # which seed the store holds, and facts due for re-checking
python -m actions.knowledge docs   [--out PATH]    # docs/knowledge.md: every fact with its source and age
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path
from typing import Optional, Sequence

from actions.knowledge.seed_export import dump_seed
from actions.knowledge.store import (
    KnowledgeStore,
    KnowledgeStoreUnavailable,
    import_seed,
    make_engine,
    seed_fingerprint,
)
from assistant_core.fact_report import render_report
from assistant_core.seed import SeedError, load_seed
from assistant_core.settings import Settings


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run one subcommand; return the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m actions.knowledge", description=__doc__.split("\n")[1])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("import", "check"):
        p = sub.add_parser(name)
        p.add_argument("--seed", type=Path, help="seed file (default: KNOWLEDGE_SEED_PATH or knowledge/seed.yml)")
        p.add_argument("--if-changed", action="store_true", help="import only if the seed differs from the store's")
    export = sub.add_parser("export")
    export.add_argument("--out", type=Path, help="output file (default: standard output)")
    sub.add_parser("status")
    docs = sub.add_parser("docs")
    docs.add_argument("--seed", type=Path, help="seed file (default: KNOWLEDGE_SEED_PATH or knowledge/seed.yml)")
    docs.add_argument("--out", type=Path, help="output file (default: standard output)")
    docs.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date.today(), help="count ages to this day")
    args = parser.parse_args(argv)

    settings = Settings.from_env()
    if args.command == "docs":
        try:
            report = render_report(
                load_seed(args.seed or settings.knowledge_seed_path), args.as_of, settings.fact_max_age_days
            )
        except SeedError as exc:
            print(f"Seed rejected: {exc}", file=sys.stderr)
            return 2
        if args.out:
            args.out.write_text(report, encoding="utf-8")
            print(f"Wrote {args.out}.")
        else:
            sys.stdout.write(report)
        return 0
    if args.command in ("import", "check"):
        seed_path = args.seed or settings.knowledge_seed_path
        try:
            seed = load_seed(seed_path)
        except SeedError as exc:
            print(f"Seed rejected, database unchanged: {exc}", file=sys.stderr)
            return 2
        if args.command == "check":
            print(
                f"{seed_path}: OK (version {seed.version}, {len(seed.platforms)} platforms, "
                f"{len(seed.escalation)} escalation steps)"
            )
            return 0
        engine = make_engine(settings.knowledge_db_url)
        fingerprint = seed_fingerprint(seed_path)
        if args.if_changed and KnowledgeStore(engine).seed_info().get("fingerprint") == fingerprint:
            print(f"Knowledge store already holds {seed_path} (unchanged).")
            return 0
        try:
            import_seed(engine, seed, fingerprint)
        except Exception as exc:  # noqa: BLE001 - report any driver error, the transaction rolled back
            print(
                f"Import failed, database unchanged: {exc}. "
                f"Check KNOWLEDGE_DB_URL ({engine.url.render_as_string(hide_password=True)}).",
                file=sys.stderr,
            )
            return 1
        print(f"Imported {seed_path} into {engine.url.render_as_string(hide_password=True)}.")
        return 0

    store = KnowledgeStore(make_engine(settings.knowledge_db_url))
    if args.command == "status":
        info = store.seed_info()
        if not info:
            print("Knowledge store is empty or unreachable: run `python -m actions.knowledge import`.")
            return 1
        stale = store.stale_facts(dt.date.today(), settings.fact_max_age_days)
        print(" ".join(f"{k}={v}" for k, v in sorted(info.items())))
        print(
            f"facts_older_than_{settings.fact_max_age_days}_days={stale}"
            + (" (re-check them against their sources, update verified_on, re-import)" if stale else "")
        )
        return 0
    try:
        text = dump_seed(store)
    except KnowledgeStoreUnavailable as exc:
        print(f"Export failed: {exc}. Run `python -m actions.knowledge import` first.", file=sys.stderr)
        return 1
    if args.out:
        args.out.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
