"""Write a validated seed into the knowledge store: all of it in one transaction, or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any, Iterable

from sqlalchemy import insert
from sqlalchemy.engine import Connection, Engine

from actions.knowledge import schema
from actions.knowledge.rows import provenance_columns, record_row
from assistant_core.letter_records import LetterKit
from assistant_core.records import Seed


def seed_fingerprint(path: Path) -> str:
    """SHA-256 of the seed file, stored with each import."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def import_seed(engine: Engine, seed: Seed, fingerprint: str) -> None:
    """Replace the store's knowledge with the seed; the users' case files are not touched."""
    with engine.begin() as conn:
        schema.metadata.drop_all(conn, tables=list(reversed(schema.KNOWLEDGE_TABLES)))
        schema.metadata.create_all(conn)
        _insert_seed(conn, seed)
        if seed.letters is not None:
            _insert_letters(conn, seed.letters)
        conn.execute(
            insert(schema.seed_info),
            [
                {"key": "version", "value": str(seed.version)},
                {"key": "fingerprint", "value": fingerprint},
                {"key": "imported_at", "value": dt.datetime.now(dt.timezone.utc).isoformat()},
            ],
        )


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)


def _insert_records(conn: Connection, table: Any, records: Iterable[Any]) -> None:
    """Insert records whose fields name the table's columns (actions/knowledge/rows.py)."""
    _insert(conn, table, [record_row(table, record) for record in records])


def _insert_seed(conn: Connection, seed: Seed) -> None:
    _insert_records(conn, schema.sources, seed.sources)
    _insert_records(conn, schema.platforms, seed.platforms)
    _insert(
        conn,
        schema.platform_fact_sources,
        [
            {"platform_key": p.key, "field": field, **provenance_columns(prov)}
            for p in seed.platforms
            for field, prov in p.provenance.items()
        ],
    )
    _insert(
        conn,
        schema.platform_aliases,
        [
            {"alias": alias.casefold(), "platform_key": p.key, "position": position}
            for p in seed.platforms
            for position, alias in enumerate(p.aliases, start=1)
        ],
    )
    _insert_records(conn, schema.products, seed.products)
    _insert_records(conn, schema.categories, seed.categories)
    _insert_records(conn, schema.advice_items, (a for c in seed.categories for a in c.advice))
    _insert_records(conn, schema.evidence_items, seed.evidence)
    _insert_records(conn, schema.escalation_steps, seed.escalation)
    _insert_records(conn, schema.notices, seed.notices)


def _insert_letters(conn: Connection, letters: LetterKit) -> None:
    _insert_records(conn, schema.letter_templates, letters.templates)
    _insert(
        conn,
        schema.letter_template_steps,
        [
            {"step_key": step_key, "wallet": wallet, "template_key": t.key, "position": position}
            for t in letters.templates
            for wallet, step_keys in [("", t.for_steps), *t.for_wallet_steps.items()]
            for position, step_key in enumerate(step_keys, start=1)
        ],
    )
    _insert(
        conn,
        schema.letter_fact_variants,
        [record_row(schema.letter_fact_variants, v, position=i) for i, v in enumerate(letters.fact_variants, start=1)],
    )
    _insert(
        conn,
        schema.letter_phrases,
        [
            {"kind": kind, "key": key, "text": text, **provenance_columns(letters.provenance)}
            for kind, phrases in (("fact", letters.facts), ("demand", letters.demands))
            for key, text in phrases.items()
        ],
    )
