"""Write a validated seed into the knowledge store: all of it in one transaction, or nothing."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any

from sqlalchemy import insert
from sqlalchemy.engine import Connection, Engine

from actions.knowledge import schema
from assistant_core.records import LetterKit, Provenance, Seed


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


def _prov(p: Provenance) -> dict[str, Any]:
    return {"source": p.source, "verified_on": p.verified_on}


def _insert(conn: Connection, table: Any, rows: list[dict[str, Any]]) -> None:
    if rows:
        conn.execute(insert(table), rows)


def _insert_seed(conn: Connection, seed: Seed) -> None:
    _insert(
        conn,
        schema.sources,
        [
            {"key": s.key, "kind": s.kind, "title": s.title, "url": s.url, "passage": s.passage, "read_on": s.read_on}
            for s in seed.sources
        ],
    )
    _insert(
        conn,
        schema.platforms,
        [
            {
                "key": p.key,
                "position": p.position,
                "name": p.name,
                "hotline": p.hotline,
                "hotline_note": p.hotline_note,
                "operator": p.operator,
                "in_app_route": p.in_app_route,
                "website": p.website,
                "is_payment_institution": p.is_payment_institution,
            }
            for p in seed.platforms
        ],
    )
    _insert(
        conn,
        schema.platform_fact_sources,
        [
            {"platform_key": p.key, "field": field, **_prov(prov)}
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
    _insert(
        conn,
        schema.products,
        [
            {
                "key": p.key,
                "name": p.name,
                "platform_key": p.platform_key,
                "aliases": list(p.aliases),
                "description": p.description,
                "operator": p.operator,
                **_prov(p.provenance),
            }
            for p in seed.products
        ],
    )
    _insert(
        conn,
        schema.categories,
        [{"key": c.key, "name": c.name, "summary": c.summary, **_prov(c.provenance)} for c in seed.categories],
    )
    _insert(
        conn,
        schema.advice_items,
        [
            {
                "category_key": a.category_key,
                "kind": a.kind,
                "position": a.position,
                "text": a.text,
                **_prov(a.provenance),
            }
            for c in seed.categories
            for a in c.advice
        ],
    )
    _insert(
        conn,
        schema.evidence_items,
        [
            {
                "category_key": e.category_key,
                "platform_key": e.platform_key,
                "position": e.position,
                "text": e.text,
                **_prov(e.provenance),
            }
            for e in seed.evidence
        ],
    )
    _insert(
        conn,
        schema.escalation_steps,
        [
            {
                "category_key": s.category_key,
                "position": s.position,
                "key": s.key,
                "title": s.title,
                "contact": s.contact,
                "when_to_use": s.when_to_use,
                "advice": s.advice,
                "suggested_wait_days": s.suggested_wait_days,
                "legal": s.legal,
                "wallets": list(s.wallets),
                "except_wallets": list(s.except_wallets),
                **_prov(s.provenance),
            }
            for s in seed.escalation
        ],
    )
    _insert(conn, schema.notices, [{"key": n.key, "text": n.text, **_prov(n.provenance)} for n in seed.notices])


def _insert_letters(conn: Connection, letters: LetterKit) -> None:
    _insert(
        conn,
        schema.letter_templates,
        [
            {
                "key": t.key,
                "version": t.version,
                "addressee": t.addressee,
                "respondent_if_not_institution": t.respondent_if_not_institution,
                "respondent_unverified": t.respondent_unverified,
                "send_via": t.send_via,
                "subject": t.subject,
                "paragraphs": list(t.paragraphs),
                **_prov(t.provenance),
            }
            for t in letters.templates
        ],
    )
    _insert(
        conn,
        schema.letter_template_steps,
        [
            {"step_key": step_key, "template_key": t.key, "position": position}
            for t in letters.templates
            for position, step_key in enumerate(t.for_steps, start=1)
        ],
    )
    _insert(
        conn,
        schema.letter_phrases,
        [
            {"kind": kind, "key": key, "text": text, **_prov(letters.provenance)}
            for kind, phrases in (("fact", letters.facts), ("demand", letters.demands))
            for key, text in phrases.items()
        ],
    )
