"""The operator's retention limit: delete conversations and case files older than an age.

    python -m actions.retention purge [--older-than-days N] [--dry-run]    # or: make purge
    python -m actions.retention qualify-ids    # once, after upgrading: old bare ids → <channel>:<id>

A conversation is old when its latest event is; it then goes whole (every session).
A case file is old when it was last updated before the cutoff. N defaults to
RETENTION_DAYS (180). The databases are TRACKER_STORE_URL (Rasa's `events` table) and
CASES_DB_URL (`case_files`), read like everywhere else: the real environment first,
then `.env`. Reminders claimed over an hour ago and never delivered (their server died
mid-delivery) are released for another try, or marked failed after their last attempt.
Portable SQL: SQLite and PostgreSQL. Schedule it daily (README, "Retention").
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text, delete, func, inspect, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.sql import Select

from actions.case_store import CaseStore
from actions.knowledge.store import make_engine
from assistant_core.reminder_store import STALE_CLAIM, ReminderStore, reminder_engine
from assistant_core.settings import Settings

# The two columns of Rasa's SQLTrackerStore table the purge needs (Rasa creates the table).
_events = Table(
    "events",
    MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255)),
    Column("timestamp", Float),
    Column("type_name", String(255)),
    Column("data", Text),
)

# Channels whose conversations are keyed `<channel>:<id>` (bot/channels/owner.py).
QUALIFIED_CHANNELS = ("rest", "telegram", "wechat", "webchat")


@dataclass(frozen=True)
class PurgeResult:
    """What a purge deleted (or, on a dry run, would delete)."""

    conversations: int
    tracker_rows: int
    case_files: int
    reminders: int = 0
    """Reminders delivered, cancelled or failed before the limit (pending ones are kept)."""
    stale_claims: int = 0
    """Reminders claimed by a server more than STALE_CLAIM ago and never delivered: released or failed."""


def _old_senders(cutoff: dt.datetime) -> Select:
    """Conversations whose latest event is before `cutoff`."""
    return (
        select(_events.c.sender_id)
        .group_by(_events.c.sender_id)
        .having(func.max(_events.c.timestamp) < cutoff.timestamp())
    )


def purge_conversations(engine: Engine, cutoff: dt.datetime, dry_run: bool = False) -> tuple[int, int]:
    """Delete whole conversations idle since before `cutoff`: (conversations, rows)."""
    if not inspect(engine).has_table(_events.name):
        return 0, 0
    old = _old_senders(cutoff).subquery()
    with engine.begin() as conn:
        conversations = int(conn.execute(select(func.count()).select_from(old)).scalar_one())
        rows = int(
            conn.execute(
                select(func.count()).select_from(_events).where(_events.c.sender_id.in_(select(old.c.sender_id)))
            ).scalar_one()
        )
        if not dry_run and rows:
            conn.execute(delete(_events).where(_events.c.sender_id.in_(select(old.c.sender_id))))
    return conversations, rows


def purge(settings: Settings, days: int, now: dt.datetime, dry_run: bool = False) -> PurgeResult:
    """Delete conversations and case files older than `days` before `now`."""
    cutoff = now - dt.timedelta(days=days)
    conversations, rows = purge_conversations(make_engine(settings.tracker_store_url), cutoff, dry_run)
    cases = CaseStore(make_engine(settings.cases_db_url))
    removed_cases = cases.count_older_than(cutoff) if dry_run else cases.delete_older_than(cutoff)
    reminder_store = ReminderStore(reminder_engine(settings.reminders_db_url))
    stale = reminder_store.release_stale_claims(now - STALE_CLAIM, now, not dry_run)
    reminders = reminder_store.finished_before(cutoff, not dry_run)
    return PurgeResult(conversations, rows, removed_cases, reminders, stale)


def _channel_of(conn: Any, sender_id: str) -> Optional[str]:
    """The channel the conversation's user messages came in on (Rasa stores it in each event)."""
    statement = select(_events.c.data).where(_events.c.sender_id == sender_id, _events.c.type_name == "user").limit(1)
    data = conn.execute(statement).scalar()
    channel = json.loads(data).get("input_channel") if data else None
    return channel if channel in QUALIFIED_CHANNELS else None


def qualify_old_ids(settings: Settings) -> tuple[int, int]:
    """Rename conversations stored before ids were qualified: (renamed, left as they are).

    Idempotent. A conversation whose channel is unknown (no user message, or another channel
    such as `rasa shell`) is left; the purge deletes it when it is old enough.
    """
    engine = make_engine(settings.tracker_store_url)
    if not inspect(engine).has_table(_events.name):
        return 0, 0
    cases = CaseStore(make_engine(settings.cases_db_url))
    renamed = left = 0
    with engine.begin() as conn:
        senders = list(conn.execute(select(_events.c.sender_id).distinct()).scalars())
        for sender in senders:
            if sender.split(":", 1)[0] in QUALIFIED_CHANNELS and ":" in sender:
                continue
            channel = _channel_of(conn, sender)
            if channel is None:
                left += 1
                continue
            new_id = f"{channel}:{sender}"
            conn.execute(update(_events).where(_events.c.sender_id == sender).values(sender_id=new_id))
            cases.rename_conversation(sender, new_id)
            renamed += 1
    return renamed, left


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Parse the command line, purge, print one summary line (no ids, no content)."""
    parser = argparse.ArgumentParser(prog="python -m actions.retention", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    purge_cmd = commands.add_parser("purge", help="delete conversations and case files older than the limit")
    purge_cmd.add_argument("--older-than-days", type=int, help="age limit in days (default: RETENTION_DAYS or 180)")
    purge_cmd.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    commands.add_parser("qualify-ids", help="rename conversations stored before ids were qualified by channel")
    args = parser.parse_args(argv)
    try:
        settings = Settings.from_env()
    except ValueError as exc:
        print(f"Purge refused: {exc}", file=sys.stderr)
        return 2
    if args.command == "qualify-ids":
        renamed, left = qualify_old_ids(settings)
        print(f"Qualified {renamed} old conversation id(s) by channel; {left} of unknown channel left for the purge.")
        return 0
    days = args.older_than_days if args.older_than_days is not None else settings.retention_days
    if days < 1:
        print("Purge refused: --older-than-days must be at least 1.", file=sys.stderr)
        return 2
    try:
        result = purge(settings, days, dt.datetime.now(dt.timezone.utc), args.dry_run)
    except Exception as exc:  # noqa: BLE001 - any driver error: say which and stop
        print(
            f"Purge failed, nothing more was deleted: {type(exc).__name__}: {exc}. "
            "Fix: check TRACKER_STORE_URL and KNOWLEDGE_DB_URL (.env) and that both databases are up.",
            file=sys.stderr,
        )
        return 1
    verb = "Would delete" if args.dry_run else "Deleted"
    print(
        f"{verb} {result.conversations} conversation(s) ({result.tracker_rows} tracker rows) and "
        f"{result.case_files} case file(s) and {result.reminders} finished reminder(s) older than {days} days."
    )
    if result.stale_claims:
        verb = "Would release" if args.dry_run else "Released"
        print(f"{verb} {result.stale_claims} reminder(s) claimed by a server that stopped before delivering them.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
