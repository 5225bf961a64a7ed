"""Users' case files: one row per conversation, problem and wallet, in their own database.

They live apart from the knowledge store (`CASES_DB_URL`, by default `cases.db` beside a SQLite
knowledge file, or the same PostgreSQL database), so a knowledge import, which replaces the
knowledge tables, never touches them. The actions save a case when they learn something durable
(a step taken, a letter written); operators read only anonymised counts (`counts()`, see
actions/case_stats.py); users can delete theirs (actions/privacy_actions.py) and old ones are
purged (actions/retention.py). Portable SQL (SQLite and PostgreSQL): the upsert is a select then
an insert or update, inside one transaction.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from sqlalchemy import (
    JSON,
    Column,
    DateTime,
    Integer,
    MetaData,
    String,
    Table,
    UniqueConstraint,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.engine import Engine

from actions.knowledge.rows import record_row, row_record
from actions.knowledge.store import KnowledgeStoreUnavailable
from assistant_core.letter_records import LetterTemplate
from assistant_core.records import CaseCount, CaseRecord, StepTried

NO_STEP = "none"
"""The step reported in statistics for a case that never got a step."""


case_metadata = MetaData()

case_files = Table(
    "case_files",
    case_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("conversation_id", String(255), nullable=False),  # channel-qualified, e.g. telegram:5566
    Column("wallet", String(32), nullable=False),  # platform key, or 'any' when not known
    Column("problem", String(32), nullable=False),
    Column("step_reached", String(32), nullable=True),
    Column("step_position", Integer, nullable=True),
    Column("amount", String(32), nullable=True),  # '1200.00 CNY'
    Column("incident_time", String(32), nullable=True),  # '2026-11-24' or '2026-11-21T15:00'
    Column("order_id", String(64), nullable=True),
    Column("demands", JSON, nullable=False),
    Column("ticket_ids", JSON, nullable=False),
    Column("steps_tried", JSON, nullable=False),  # StepTried.to_json() items
    Column("letter_template", String(32), nullable=True),
    Column("letter_version", Integer, nullable=True),
    Column("letters_written", Integer, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    UniqueConstraint("conversation_id", "wallet", "problem"),
)


class CaseStoreUnavailable(KnowledgeStoreUnavailable):
    """The case-file database cannot be reached (the user gets the same calm apology)."""


_KEY_COLUMNS = ("id", "conversation_id", "wallet", "problem", "created_at", "updated_at")
_LETTER_COLUMNS = ("letter_template", "letter_version", "letters_written")


def _row_values(case: CaseRecord) -> dict[str, Any]:
    """The columns a save writes (the key and the letter counts are the store's)."""
    row = record_row(case_files, case, steps_tried=[step.to_json() for step in case.steps_tried])
    return {name: value for name, value in row.items() if name not in (*_KEY_COLUMNS, *_LETTER_COLUMNS)}


class CaseStore:
    """Save and read case files; count them for statistics. One short transaction per call."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._table_ready = False

    def _ensure_table(self) -> None:
        """Create the table on first use (the case database may be new); once per store."""
        if not self._table_ready:
            case_metadata.create_all(self._engine)
            self._table_ready = True

    def save(
        self, case: CaseRecord, now: Optional[dt.datetime] = None, letter: Optional[LetterTemplate] = None
    ) -> None:
        """Insert or update the case of (conversation, wallet, problem), in one transaction.

        The stored letter fields are the store's own: `letter` (a letter was just written from that
        template) sets them and counts one more letter; without it they are kept as they were.
        """
        table = case_files
        stamp = (now or dt.datetime.now(dt.timezone.utc)).replace(tzinfo=None)
        key = (
            (table.c.conversation_id == case.conversation_id)
            & (table.c.wallet == case.wallet)
            & (table.c.problem == case.problem)
        )
        values = _row_values(case)
        if letter is not None:
            values.update(letter_template=letter.key, letter_version=letter.version)
        try:
            self._ensure_table()
            with self._engine.begin() as conn:
                existing = conn.execute(select(table.c.id).where(key).with_for_update()).first()
                if existing is None:
                    conn.execute(
                        insert(table).values(
                            conversation_id=case.conversation_id,
                            wallet=case.wallet,
                            problem=case.problem,
                            created_at=stamp,
                            updated_at=stamp,
                            letters_written=1 if letter is not None else 0,
                            **values,
                        )
                    )
                else:
                    written = table.c.letters_written + (1 if letter is not None else 0)
                    changes = {"updated_at": stamp, "letters_written": written, **values}
                    conn.execute(update(table).where(table.c.id == existing.id).values(**changes))
        except Exception as exc:  # noqa: BLE001 - any driver error means "unavailable"
            raise CaseStoreUnavailable(f"cannot save the case file: {exc}") from exc

    def get(self, conversation_id: str, wallet: str, problem: str) -> Optional[CaseRecord]:
        """The stored case, or None."""
        table = case_files
        try:
            self._ensure_table()
            with self._engine.connect() as conn:
                row = conn.execute(
                    select(table).where(
                        table.c.conversation_id == conversation_id, table.c.wallet == wallet, table.c.problem == problem
                    )
                ).first()
        except Exception as exc:  # noqa: BLE001
            raise CaseStoreUnavailable(str(exc)) from exc
        if row is None:
            return None
        return row_record(
            CaseRecord, row, steps_tried=tuple(StepTried.from_json(item) for item in row.steps_tried or ())
        )

    def counts(self) -> tuple[CaseCount, ...]:
        """How many cases per problem × wallet × step reached: no ids, no amounts, no text."""
        table = case_files
        step = func.coalesce(table.c.step_reached, NO_STEP)
        position = func.min(table.c.step_position)
        statement = (
            select(
                table.c.problem,
                table.c.wallet,
                step.label("step"),
                position.label("position"),
                func.count().label("cases"),
            )
            .group_by(table.c.problem, table.c.wallet, step)
            .order_by(table.c.problem, table.c.wallet, position)
        )
        try:
            self._ensure_table()
            with self._engine.connect() as conn:
                rows = list(conn.execute(statement))
        except Exception as exc:  # noqa: BLE001
            raise CaseStoreUnavailable(str(exc)) from exc
        return tuple(CaseCount(r.problem, r.wallet, r.step, r.position, int(r.cases)) for r in rows)

    def delete_conversation(self, conversation_id: str) -> int:
        """Delete every case file of one conversation (the user asked); how many went."""
        table = case_files
        return self._change(delete(table).where(table.c.conversation_id == conversation_id))

    def delete_older_than(self, cutoff: dt.datetime) -> int:
        """Delete the case files not updated since `cutoff` (UTC); how many went."""
        table = case_files
        return self._change(delete(table).where(table.c.updated_at < cutoff.replace(tzinfo=None)))

    def rename_conversation(self, old_id: str, new_id: str) -> int:
        """Move the case files of `old_id` to `new_id` (ids qualified by channel); how many moved."""
        table = case_files
        return self._change(update(table).where(table.c.conversation_id == old_id).values(conversation_id=new_id))

    def count_older_than(self, cutoff: dt.datetime) -> int:
        """How many case files were not updated since `cutoff` (UTC)."""
        table = case_files
        statement = select(func.count()).select_from(table).where(table.c.updated_at < cutoff.replace(tzinfo=None))
        try:
            self._ensure_table()
            with self._engine.connect() as conn:
                return int(conn.execute(statement).scalar_one())
        except Exception as exc:  # noqa: BLE001
            raise CaseStoreUnavailable(str(exc)) from exc

    def _change(self, statement: Any) -> int:
        """Run one DELETE (or id rename) in its own transaction; the rows it touched."""
        try:
            self._ensure_table()
            with self._engine.begin() as conn:
                return int(conn.execute(statement).rowcount or 0)
        except Exception as exc:  # noqa: BLE001
            raise CaseStoreUnavailable(f"cannot change case files: {exc}") from exc
