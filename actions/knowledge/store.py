"""The knowledge store: engine factory, seed import/export, and read queries.

Every method opens one short session and returns frozen records, never rows.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any, Iterator, Optional

from sqlalchemy import create_engine, delete, event, insert, select
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.pool import QueuePool

from actions.knowledge import schema
from actions.knowledge.records import (
    AdviceItem,
    Category,
    EscalationStep,
    EvidenceItem,
    LetterKit,
    LetterTemplate,
    Notice,
    Platform,
    Provenance,
    Seed,
)

if TYPE_CHECKING:
    from actions.knowledge.cases import CaseStore

logger = logging.getLogger(__name__)


class KnowledgeStoreUnavailable(RuntimeError):
    """The database cannot be reached or has not been seeded."""


def make_engine(url: str) -> Engine:
    """Create the engine for a database URL; SQLite files get their folder created."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        if not in_memory:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 gives file SQLite a NullPool: a new connection (and PRAGMA) per
        # query. The action server asks several per turn, so keep a small pool instead.
        pooling: dict[str, Any] = {} if in_memory else {"poolclass": QueuePool, "pool_size": 5}
        engine = create_engine(url, future=True, connect_args={"check_same_thread": False}, **pooling)

        @event.listens_for(engine, "connect")
        def _enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA foreign_keys=ON")

        return engine
    return create_engine(url, future=True, pool_pre_ping=True)


def seed_fingerprint(path: Path) -> str:
    """SHA-256 of the seed file, stored with each import."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def import_seed(engine: Engine, seed: Seed, fingerprint: str) -> None:
    """Replace the store's content with the seed, in one transaction (all or nothing)."""
    schema.metadata.create_all(engine)
    with engine.begin() as conn:
        for table in schema.TABLES_CHILDREN_FIRST:
            conn.execute(delete(table))
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


def _insert_seed(conn: Connection, seed: Seed) -> None:
    conn.execute(
        insert(schema.platforms),
        [
            {
                "key": p.key,
                "name": p.name,
                "operator": p.operator,
                "hotline": p.hotline,
                "in_app_route": p.in_app_route,
                "website": p.website,
                "is_payment_institution": p.is_payment_institution,
                **_prov(p.provenance),
            }
            for p in seed.platforms
        ],
    )
    conn.execute(
        insert(schema.platform_aliases),
        [
            {"alias": alias.casefold(), "platform_key": p.key, "position": position}
            for p in seed.platforms
            for position, alias in enumerate(p.aliases, start=1)
        ],
    )
    conn.execute(
        insert(schema.categories),
        [{"key": c.key, "name": c.name, "summary": c.summary, **_prov(c.provenance)} for c in seed.categories],
    )
    advice = [a for c in seed.categories for a in c.advice]
    if advice:
        conn.execute(
            insert(schema.advice_items),
            [
                {
                    "category_key": a.category_key,
                    "kind": a.kind,
                    "position": a.position,
                    "text": a.text,
                    **_prov(a.provenance),
                }
                for a in advice
            ],
        )
    conn.execute(
        insert(schema.evidence_items),
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
    conn.execute(
        insert(schema.escalation_steps),
        [
            {
                "category_key": s.category_key,
                "position": s.position,
                "key": s.key,
                "title": s.title,
                "contact": s.contact,
                "when_to_use": s.when_to_use,
                "advice": s.advice,
                "wait_days": s.wait_days,
                "legal": s.legal,
                **_prov(s.provenance),
            }
            for s in seed.escalation
        ],
    )
    conn.execute(
        insert(schema.notices),
        [{"key": n.key, "text": n.text, **_prov(n.provenance)} for n in seed.notices],
    )


def _insert_letters(conn: Connection, letters: LetterKit) -> None:
    conn.execute(
        insert(schema.letter_templates),
        [
            {
                "key": t.key,
                "version": t.version,
                "addressee": t.addressee,
                "respondent_if_not_institution": t.respondent_if_not_institution,
                "send_via": t.send_via,
                "subject": t.subject,
                "paragraphs": list(t.paragraphs),
                **_prov(t.provenance),
            }
            for t in letters.templates
        ],
    )
    conn.execute(
        insert(schema.letter_template_steps),
        [
            {"step_key": step_key, "template_key": t.key, "position": position}
            for t in letters.templates
            for position, step_key in enumerate(t.for_steps, start=1)
        ],
    )
    conn.execute(
        insert(schema.letter_phrases),
        [
            {"kind": kind, "key": key, "text": text, **_prov(letters.provenance)}
            for kind, phrases in (("fact", letters.facts), ("demand", letters.demands))
            for key, text in phrases.items()
        ],
    )


class KnowledgeStore:
    """Read access to the knowledge store; one short connection per call."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine

    def _rows(self, statement: Any) -> list[Any]:
        try:
            with self._engine.connect() as conn:
                return list(conn.execute(statement))
        except Exception as exc:  # noqa: BLE001 - any driver error means "unavailable"
            raise KnowledgeStoreUnavailable(str(exc)) from exc

    def platforms(self) -> tuple[Platform, ...]:
        """All platforms with their aliases, in seed order of aliases."""
        aliases: dict[str, list[str]] = {}
        for row in self._rows(select(schema.platform_aliases).order_by(schema.platform_aliases.c.position)):
            aliases.setdefault(row.platform_key, []).append(row.alias)
        rows = self._rows(select(schema.platforms).order_by(schema.platforms.c.key))
        order = {"alipay": 0, "wechat_pay": 1, "jd_wallet": 2, "apple_pay": 3}
        return tuple(
            sorted(
                (_platform(row, tuple(aliases.get(row.key, ()))) for row in rows),
                key=lambda p: (order.get(p.key, len(order)), p.key),
            )
        )

    def platform(self, key: str) -> Optional[Platform]:
        """One platform by key, or None."""
        rows = self._rows(select(schema.platforms).where(schema.platforms.c.key == key))
        if not rows:
            return None
        alias_rows = self._rows(
            select(schema.platform_aliases.c.alias)
            .where(schema.platform_aliases.c.platform_key == key)
            .order_by(schema.platform_aliases.c.position)
        )
        return _platform(rows[0], tuple(r.alias for r in alias_rows))

    def platform_key_for_alias(self, text: str) -> Optional[str]:
        """The platform key a user's wording refers to (exact alias or key), or None."""
        needle = text.strip().casefold()
        rows = self._rows(
            select(schema.platform_aliases.c.platform_key).where(schema.platform_aliases.c.alias == needle)
        )
        if rows:
            return str(rows[0].platform_key)
        rows = self._rows(select(schema.platforms.c.key).where(schema.platforms.c.key == needle))
        return str(rows[0].key) if rows else None

    def category(self, key: str) -> Optional[Category]:
        """One category with its advice items, or None."""
        rows = self._rows(select(schema.categories).where(schema.categories.c.key == key))
        if not rows:
            return None
        advice_rows = self._rows(
            select(schema.advice_items)
            .where(schema.advice_items.c.category_key == key)
            .order_by(schema.advice_items.c.kind, schema.advice_items.c.position)
        )
        row = rows[0]
        return Category(
            key=row.key,
            name=row.name,
            summary=row.summary,
            provenance=Provenance(row.source, row.verified_on),
            advice=tuple(
                AdviceItem(a.category_key, a.kind, a.position, a.text, Provenance(a.source, a.verified_on))
                for a in advice_rows
            ),
        )

    def evidence_checklist(self, category_key: str, platform_key: Optional[str]) -> tuple[EvidenceItem, ...]:
        """General items for the category, then the wallet's own items, each in order."""
        table = schema.evidence_items
        condition = table.c.platform_key.is_(None)
        if platform_key:
            condition = condition | (table.c.platform_key == platform_key)
        rows = self._rows(
            select(table)
            .where(table.c.category_key == category_key, condition)
            .order_by(table.c.platform_key.is_not(None), table.c.position)
        )
        return tuple(
            EvidenceItem(r.category_key, r.platform_key, r.position, r.text, Provenance(r.source, r.verified_on))
            for r in rows
        )

    def escalation_ladder(self, category_key: str) -> tuple[EscalationStep, ...]:
        """The category's escalation steps, first to last."""
        table = schema.escalation_steps
        rows = self._rows(select(table).where(table.c.category_key == category_key).order_by(table.c.position))
        return tuple(
            EscalationStep(
                category_key=r.category_key,
                position=r.position,
                key=r.key,
                title=r.title,
                contact=r.contact,
                when_to_use=r.when_to_use,
                advice=r.advice,
                wait_days=r.wait_days,
                legal=bool(r.legal),
                provenance=Provenance(r.source, r.verified_on),
            )
            for r in rows
        )

    def notice(self, key: str) -> str:
        """A notice text by key; raises KnowledgeStoreUnavailable if the store lacks it."""
        rows = self._rows(select(schema.notices.c.text).where(schema.notices.c.key == key))
        if not rows:
            raise KnowledgeStoreUnavailable(f"notice {key!r} missing: the store is not seeded")
        return str(rows[0].text)

    def letter_kit(self) -> Optional[LetterKit]:
        """The letter templates (by key) and phrases, or None if the imported seed had none."""
        rows = self._rows(select(schema.letter_templates).order_by(schema.letter_templates.c.key))
        if not rows:
            return None
        steps: dict[str, list[str]] = {}
        step_table = schema.letter_template_steps
        for row in self._rows(select(step_table).order_by(step_table.c.template_key, step_table.c.position)):
            steps.setdefault(row.template_key, []).append(row.step_key)
        phrase_rows = self._rows(select(schema.letter_phrases).order_by(schema.letter_phrases.c.key))
        templates = tuple(
            LetterTemplate(
                key=r.key,
                version=r.version,
                for_steps=tuple(steps.get(r.key, ())),
                addressee=r.addressee,
                send_via=r.send_via,
                subject=r.subject,
                paragraphs=tuple(r.paragraphs),
                provenance=Provenance(r.source, r.verified_on),
                respondent_if_not_institution=r.respondent_if_not_institution,
            )
            for r in rows
        )
        return LetterKit(
            templates=templates,
            facts={r.key: r.text for r in phrase_rows if r.kind == "fact"},
            demands={r.key: r.text for r in phrase_rows if r.kind == "demand"},
            provenance=next((Provenance(r.source, r.verified_on) for r in phrase_rows), templates[0].provenance),
        )

    def cases(self) -> "CaseStore":
        """The case files kept in the same database (written by the actions)."""
        from actions.knowledge.cases import CaseStore

        return CaseStore(self._engine)

    def seed_info(self) -> dict[str, str]:
        """Version, fingerprint and import time of the imported seed ({} if never seeded)."""
        try:
            rows = self._rows(select(schema.seed_info))
        except KnowledgeStoreUnavailable:
            return {}
        return {r.key: r.value for r in rows}

    def export_seed(self) -> Iterator[tuple[str, Any]]:
        """Yield (section, records) for `export`: the store's content in seed layout."""
        info = self.seed_info()
        yield "version", int(info.get("version", "1"))
        yield "platforms", self.platforms()
        keys = [r.key for r in self._rows(select(schema.categories.c.key).order_by(schema.categories.c.key))]
        categories = [c for c in (self.category(k) for k in keys) if c is not None]
        yield "categories", tuple(categories)
        evidence = self._rows(
            select(schema.evidence_items).order_by(
                schema.evidence_items.c.category_key,
                schema.evidence_items.c.platform_key.is_not(None),
                schema.evidence_items.c.platform_key,
                schema.evidence_items.c.position,
            )
        )
        yield (
            "evidence_items",
            tuple(
                EvidenceItem(r.category_key, r.platform_key, r.position, r.text, Provenance(r.source, r.verified_on))
                for r in evidence
            ),
        )
        yield "escalation_steps", tuple(step for k in keys for step in self.escalation_ladder(k))
        notice_rows = self._rows(select(schema.notices).order_by(schema.notices.c.key))
        yield "notices", tuple(Notice(r.key, r.text, Provenance(r.source, r.verified_on)) for r in notice_rows)
        yield "letter_templates", self.letter_kit()


def _platform(row: Any, aliases: tuple[str, ...]) -> Platform:
    return Platform(
        key=row.key,
        name=row.name,
        operator=row.operator,
        hotline=row.hotline,
        in_app_route=row.in_app_route,
        website=row.website,
        is_payment_institution=bool(row.is_payment_institution),
        provenance=Provenance(row.source, row.verified_on),
        aliases=aliases,
    )
