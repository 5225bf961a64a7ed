"""Follow-up reminders in durable SQL storage (SQLite or PostgreSQL), fired exactly once.

The action server adds, lists and cancels a user's reminders; every Rasa server polls for due
ones (bot/reminders/). A server may fire a reminder only after claiming it: one
`UPDATE … WHERE id = :id AND status = 'pending'`, which exactly one caller sees change a row,
on SQLite and PostgreSQL alike. Restarts lose nothing: pending rows are simply found again.

    pending ─claim→ claimed ─delivered→ delivered
       │               ├──release (delivery failed)→ pending   (at most MAX_ATTEMPTS times, then failed)
       │               ├──hold (user not connected)→ held ─claim_held (user is back)→ claimed
       │               └──release_stale_claims (its server died mid-delivery)→ pending, or failed
       └─cancel→ cancelled
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Optional

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url

PENDING, CLAIMED, DELIVERED, CANCELLED, FAILED = "pending", "claimed", "delivered", "cancelled", "failed"
HELD = "held"
"""Due, but its channel can reach the user only when they come back (the widget closed)."""
MAX_ATTEMPTS = 3
"""Deliveries tried (a channel down, the action server down) before a reminder is given up as failed."""
STALE_CLAIM = dt.timedelta(hours=1)
"""A delivery takes seconds (one turn): a claim this old belongs to a server that died delivering it."""

reminder_metadata = MetaData()

reminders = Table(
    "reminders",
    reminder_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=False, index=True),  # channel-qualified, e.g. telegram:5566
    Column("channel", String(32), nullable=False),
    Column("local_date", String(10), nullable=False),  # the date confirmed to the user, '2026-12-05'
    Column("due_at", DateTime, nullable=False, index=True),  # UTC, naive
    Column("status", String(16), nullable=False, index=True),
    Column("attempts", Integer, nullable=False, default=0),
    Column("late", Boolean, nullable=False, default=False),
    Column("claimed_by", String(64), nullable=True),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)


@dataclass(frozen=True)
class Reminder:
    """One reminder as stored."""

    id: int
    conversation_id: str
    channel: str
    local_date: dt.date
    due_at: dt.datetime
    """UTC, time-zone aware."""
    status: str
    attempts: int = 0
    late: bool = False
    claimed_by: Optional[str] = None


def _naive_utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment


def _reminder(row: Any) -> Reminder:
    return Reminder(
        id=row.id,
        conversation_id=row.conversation_id,
        channel=row.channel,
        local_date=dt.date.fromisoformat(row.local_date),
        due_at=row.due_at.replace(tzinfo=dt.timezone.utc),
        status=row.status,
        attempts=row.attempts,
        late=bool(row.late),
        claimed_by=row.claimed_by,
    )


def reminder_engine(url: str) -> Engine:
    """An engine for the reminder database; SQLite files get their folder and wait for each other's writes."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database not in (None, "", ":memory:"):
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        return create_engine(
            url, future=True, hide_parameters=True, connect_args={"check_same_thread": False, "timeout": 30}
        )
    return create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)


class ReminderStore:
    """Add, list, cancel and claim reminders. One short transaction per call; plain dataclasses out."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._table_ready = False

    def _ensure_table(self) -> None:
        if not self._table_ready:
            reminder_metadata.create_all(self._engine)
            self._table_ready = True

    def _select(self, statement: Any) -> tuple[Reminder, ...]:
        self._ensure_table()
        with self._engine.connect() as connection:
            return tuple(_reminder(row) for row in connection.execute(statement))

    def _change(self, statement: Any) -> int:
        self._ensure_table()
        with self._engine.begin() as connection:
            return int(connection.execute(statement).rowcount or 0)

    def add(
        self, conversation_id: str, channel: str, local_date: dt.date, due_at: dt.datetime, now: dt.datetime
    ) -> Reminder:
        """Store a pending reminder."""
        self._ensure_table()
        stamp = _naive_utc(now)
        with self._engine.begin() as connection:
            result = connection.execute(
                insert(reminders).values(
                    conversation_id=conversation_id,
                    channel=channel,
                    local_date=local_date.isoformat(),
                    due_at=_naive_utc(due_at),
                    status=PENDING,
                    attempts=0,
                    late=False,
                    created_at=stamp,
                    updated_at=stamp,
                )
            )
            new_id = int(result.inserted_primary_key[0])
        return self.get(new_id)

    def get(self, reminder_id: int) -> Reminder:
        """The reminder with this id (KeyError if there is none)."""
        found = self._select(select(reminders).where(reminders.c.id == reminder_id))
        if not found:
            raise KeyError(reminder_id)
        return found[0]

    def pending_for(self, conversation_id: str) -> tuple[Reminder, ...]:
        """A user's reminders still to come, soonest first."""
        return self._select(
            select(reminders)
            .where((reminders.c.conversation_id == conversation_id) & (reminders.c.status == PENDING))
            .order_by(reminders.c.due_at, reminders.c.id)
        )

    def cancel_all(self, conversation_id: str, now: dt.datetime) -> int:
        """Cancel a user's pending reminders; how many."""
        return self._change(
            update(reminders)
            .where((reminders.c.conversation_id == conversation_id) & (reminders.c.status == PENDING))
            .values(status=CANCELLED, updated_at=_naive_utc(now))
        )

    def due(self, now: dt.datetime, limit: int = 50) -> tuple[Reminder, ...]:
        """Pending reminders whose time has come, oldest first."""
        return self._select(
            select(reminders)
            .where((reminders.c.status == PENDING) & (reminders.c.due_at <= _naive_utc(now)))
            .order_by(reminders.c.due_at, reminders.c.id)
            .limit(limit)
        )

    def next_due_at(self) -> Optional[dt.datetime]:
        """When the next pending reminder is due (UTC), if any."""
        self._ensure_table()
        with self._engine.connect() as connection:
            found = connection.execute(
                select(func.min(reminders.c.due_at)).where(reminders.c.status == PENDING)
            ).scalar()
        return found.replace(tzinfo=dt.timezone.utc) if found else None

    def claim(self, reminder_id: int, server: str, now: dt.datetime, late_after: dt.timedelta) -> Optional[Reminder]:
        """Take a due reminder for `server` to fire; None if another server (or a cancel) got there first.

        Late means it fires more than `late_after` past its time (every server was down then).
        """
        found = self._select(select(reminders).where(reminders.c.id == reminder_id))
        if not found:  # the user deleted their records since it was found due
            return None
        late = now - found[0].due_at > late_after
        changed = self._change(
            update(reminders)
            .where((reminders.c.id == reminder_id) & (reminders.c.status == PENDING))
            .values(
                status=CLAIMED,
                claimed_by=server,
                late=late,
                attempts=reminders.c.attempts + 1,
                updated_at=_naive_utc(now),
            )
        )
        return self.get(reminder_id) if changed == 1 else None

    def claimed_for(self, conversation_id: str) -> tuple[Reminder, ...]:
        """Reminders of this conversation being fired now (what the due message is about)."""
        return self._select(
            select(reminders)
            .where((reminders.c.conversation_id == conversation_id) & (reminders.c.status == CLAIMED))
            .order_by(reminders.c.due_at, reminders.c.id)
        )

    def still_claimed(self, reminder_id: int, server: Optional[str]) -> bool:
        """Whether `server` still holds this claim (not erased with its conversation, not taken back)."""
        found = self._select(select(reminders).where(reminders.c.id == reminder_id))
        return bool(found) and found[0].status == CLAIMED and found[0].claimed_by == server

    def mark_delivered(self, reminder_id: int, now: dt.datetime) -> bool:
        """Record that a claimed reminder reached the user."""
        return 1 == self._change(
            update(reminders)
            .where((reminders.c.id == reminder_id) & (reminders.c.status == CLAIMED))
            .values(status=DELIVERED, updated_at=_naive_utc(now))
        )

    def release(self, reminder_id: int, now: dt.datetime, retry_at: Optional[dt.datetime] = None) -> str:
        """A claimed reminder that could not be delivered: pending again (optionally later), or failed for good."""
        reminder = self.get(reminder_id)
        status = FAILED if reminder.attempts >= MAX_ATTEMPTS else PENDING
        values: dict[str, Any] = {"status": status, "claimed_by": None, "updated_at": _naive_utc(now)}
        if retry_at is not None:
            values["due_at"] = _naive_utc(retry_at)
        self._change(
            update(reminders).where((reminders.c.id == reminder_id) & (reminders.c.status == CLAIMED)).values(**values)
        )
        return status

    def hold(self, reminder_id: int, now: dt.datetime) -> bool:
        """Keep a claimed reminder until its user comes back (the widget is not open now)."""
        return 1 == self._change(
            update(reminders)
            .where((reminders.c.id == reminder_id) & (reminders.c.status == CLAIMED))
            .values(status=HELD, claimed_by=None, updated_at=_naive_utc(now))
        )

    def claim_held(self, conversation_id: str, server: str, now: dt.datetime) -> tuple[Reminder, ...]:
        """The held reminders of a user who just came back, each claimed by this server or by none."""
        won = []
        for reminder_id in self._held_ids(conversation_id):
            changed = self._change(
                update(reminders)
                .where((reminders.c.id == reminder_id) & (reminders.c.status == HELD))
                .values(status=CLAIMED, claimed_by=server, updated_at=_naive_utc(now))
            )
            if changed == 1:
                won.append(self.get(reminder_id))
        return tuple(won)

    def _held_ids(self, conversation_id: str) -> list[int]:
        self._ensure_table()
        with self._engine.connect() as connection:
            statement = select(reminders.c.id).where(
                (reminders.c.conversation_id == conversation_id) & (reminders.c.status == HELD)
            )
            return [int(row.id) for row in connection.execute(statement.order_by(reminders.c.id))]

    def finished_before(self, cutoff: dt.datetime, delete_them: bool = True) -> int:
        """Reminders no longer to be fired (delivered, cancelled, failed, held for a visit that never came),
        last changed before `cutoff`: the retention purge deletes them, or counts them."""
        where = reminders.c.status.in_((DELIVERED, CANCELLED, FAILED, HELD)) & (
            reminders.c.updated_at < _naive_utc(cutoff)
        )
        if delete_them:
            return self._change(delete(reminders).where(where))
        self._ensure_table()
        with self._engine.connect() as connection:
            return int(connection.execute(select(func.count()).select_from(reminders).where(where)).scalar_one())

    def release_stale_claims(self, cutoff: dt.datetime, now: dt.datetime, release_them: bool = True) -> int:
        """Claims last changed before `cutoff` (their server died mid-delivery) go back to pending, still due
        (the next pass fires it, marked late), or to failed if that claim was the last of MAX_ATTEMPTS.

        How many; with `release_them` false, only counted (the purge's dry run)."""
        stale = (reminders.c.status == CLAIMED) & (reminders.c.updated_at < _naive_utc(cutoff))
        if not release_them:
            self._ensure_table()
            with self._engine.connect() as connection:
                return int(connection.execute(select(func.count()).select_from(reminders).where(stale)).scalar_one())
        stamp = _naive_utc(now)
        retried = self._change(
            update(reminders)
            .where(stale & (reminders.c.attempts < MAX_ATTEMPTS))
            .values(status=PENDING, claimed_by=None, updated_at=stamp)
        )
        failed = self._change(update(reminders).where(stale).values(status=FAILED, claimed_by=None, updated_at=stamp))
        return retried + failed

    def delete_conversation(self, conversation_id: str) -> int:
        """Forget every reminder of a conversation (the user asked to delete their records)."""
        return self._change(delete(reminders).where(reminders.c.conversation_id == conversation_id))
