"""The knowledge store: engine factory and read queries.

Every method opens one short connection and returns frozen records, never rows.
Writing a seed into the store is `store_import.import_seed`.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from contextlib import contextmanager
from typing import Any, Iterator, Optional

from sqlalchemy import func, select
from sqlalchemy.engine import Connection, Engine

from actions.knowledge import schema
from actions.knowledge.engine import make_engine
from actions.knowledge.rows import row_record
from actions.knowledge.store_import import import_seed, seed_fingerprint
from assistant_core.letter_records import FactVariant, LetterKit, LetterTemplate
from assistant_core.records import (
    AdviceItem,
    Category,
    EscalationStep,
    EvidenceItem,
    Notice,
    Platform,
    Product,
    Provenance,
    Source,
)

__all__ = ["KnowledgeStore", "KnowledgeStoreUnavailable", "import_seed", "make_engine", "seed_fingerprint"]

logger = logging.getLogger(__name__)

PROVENANCE_TABLES = (
    schema.platform_fact_sources,
    schema.products,
    schema.categories,
    schema.advice_items,
    schema.evidence_items,
    schema.escalation_steps,
    schema.notices,
    schema.letter_templates,
    schema.letter_phrases,
    schema.letter_fact_variants,
)
"""Every table whose rows carry a fact's source and check date."""


class KnowledgeStoreUnavailable(RuntimeError):
    """The database cannot be reached or has not been seeded."""


class KnowledgeStore:
    """Read access to the knowledge store; one short connection per call."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        # The action server calls one store from several threads: each thread has its own transaction.
        self._local = threading.local()

    @property
    def _connection(self) -> Optional[Connection]:
        return getattr(self._local, "connection", None)

    @_connection.setter
    def _connection(self, connection: Optional[Connection]) -> None:
        self._local.connection = connection

    def _rows(self, statement: Any) -> list[Any]:
        """One query; inside `reading()` it shares that transaction's connection."""
        try:
            if self._connection is not None:
                return list(self._connection.execute(statement))
            with self._engine.connect() as conn:
                return list(conn.execute(statement))
        except Exception as exc:  # noqa: BLE001 - any driver error means "unavailable"
            raise KnowledgeStoreUnavailable(str(exc)) from exc

    @contextmanager
    def reading(self) -> Iterator[None]:
        """Run the reads inside in one transaction, so a record built from several queries is consistent
        even while an import replaces the store."""
        if self._connection is not None:
            yield
            return
        try:
            connection = self._engine.connect()
        except Exception as exc:  # noqa: BLE001
            raise KnowledgeStoreUnavailable(str(exc)) from exc
        try:
            with connection.begin():
                self._connection = connection
                yield
        finally:
            self._connection = None
            connection.close()

    @staticmethod
    def not_seeded(what: str) -> KnowledgeStoreUnavailable:
        """The one error for content the imported seed must have."""
        return KnowledgeStoreUnavailable(
            f"{what} missing: the store is not seeded (run `python -m actions.knowledge import`)"
        )

    def _platforms(self, condition: Any = None) -> tuple[Platform, ...]:
        with self.reading():
            return self._read_platforms(condition)

    def _read_platforms(self, condition: Any) -> tuple[Platform, ...]:
        statement = select(schema.platforms).order_by(schema.platforms.c.position)
        if condition is not None:
            statement = statement.where(condition)
        rows = self._rows(statement)
        if not rows:
            return ()
        keys = [r.key for r in rows]
        aliases: dict[str, list[str]] = {}
        alias_table = schema.platform_aliases
        for row in self._rows(
            select(alias_table).where(alias_table.c.platform_key.in_(keys)).order_by(alias_table.c.position)
        ):
            aliases.setdefault(row.platform_key, []).append(row.alias)
        facts: dict[str, dict[str, Provenance]] = {}
        fact_table = schema.platform_fact_sources
        for row in self._rows(select(fact_table).where(fact_table.c.platform_key.in_(keys))):
            facts.setdefault(row.platform_key, {})[row.field] = Provenance(row.source, row.verified_on)
        return tuple(
            row_record(Platform, r, provenance=facts.get(r.key, {}), aliases=tuple(aliases.get(r.key, ())))
            for r in rows
        )

    def platforms(self) -> tuple[Platform, ...]:
        """All platforms, in the seed's order."""
        return self._platforms()

    def platform(self, key: str) -> Optional[Platform]:
        """One platform by key, or None."""
        found = self._platforms(schema.platforms.c.key == key)
        return found[0] if found else None

    def platform_key_for_alias(self, text: str) -> Optional[str]:
        """The platform key a user's wording refers to (alias, product alias or key), or None."""
        needle = text.strip().casefold()
        rows = self._rows(
            select(schema.platform_aliases.c.platform_key).where(schema.platform_aliases.c.alias == needle)
        )
        if rows:
            return str(rows[0].platform_key)
        product = next((p for p in self.products() if needle in {a.casefold() for a in p.aliases}), None)
        if product is not None:
            return product.platform_key
        rows = self._rows(select(schema.platforms.c.key).where(schema.platforms.c.key == needle))
        return str(rows[0].key) if rows else None

    def products(self) -> tuple[Product, ...]:
        """Credit and fund products reached inside a wallet's app, in seed order of keys."""
        rows = self._rows(select(schema.products).order_by(schema.products.c.key))
        return tuple(row_record(Product, r) for r in rows)

    def product_named_in(self, texts: list[str], platform_key: Optional[str]) -> Optional[Product]:
        """The product of this wallet that the user's messages name (the latest mention wins), or None."""
        products = [p for p in self.products() if platform_key is None or p.platform_key == platform_key]
        for text in reversed(texts):
            folded = text.casefold()
            for product in products:
                if any(alias.casefold() in folded for alias in product.aliases):
                    return product
        return None

    def category(self, key: str) -> Category:
        """One category with its advice items; raises `not_seeded` if the seed had none."""
        with self.reading():
            rows = self._rows(select(schema.categories).where(schema.categories.c.key == key))
            if not rows:
                raise self.not_seeded(f"category {key!r}")
            advice_rows = self._rows(
                select(schema.advice_items)
                .where(schema.advice_items.c.category_key == key)
                .order_by(schema.advice_items.c.kind, schema.advice_items.c.position)
            )
        return row_record(Category, rows[0], advice=tuple(row_record(AdviceItem, a) for a in advice_rows))

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
        return tuple(row_record(EvidenceItem, r) for r in rows)

    def _steps(self, condition: Any = None) -> tuple[EscalationStep, ...]:
        table = schema.escalation_steps
        statement = select(table).order_by(table.c.category_key, table.c.position, table.c.id)
        if condition is not None:
            statement = statement.where(condition)
        return tuple(row_record(EscalationStep, r) for r in self._rows(statement))

    def escalation_ladder(
        self, category_key: str, platform_key: Optional[str] = None, product_key: Optional[str] = None
    ) -> tuple[EscalationStep, ...]:
        """The category's escalation steps for this wallet (or any wallet) and product (花呗 …, or
        none), first to last; never empty."""
        steps = self._steps(schema.escalation_steps.c.category_key == category_key)
        ladder = tuple(step for step in steps if step.applies_to(platform_key, product_key))
        if not ladder:
            raise self.not_seeded(f"escalation ladder {category_key!r}")
        return ladder

    def contacts(self) -> tuple[str, ...]:
        """Every number the store gives out: the wallets' hotlines and the ladders' contacts."""
        with self.reading():
            hotlines = self._rows(select(schema.platforms.c.hotline))
            steps = self._rows(select(schema.escalation_steps.c.contact).distinct())
        return tuple(str(r[0]) for r in (*hotlines, *steps))

    def notice(self, key: str) -> str:
        """A notice text by key; raises KnowledgeStoreUnavailable if the store lacks it."""
        rows = self._rows(select(schema.notices.c.text).where(schema.notices.c.key == key))
        if not rows:
            raise self.not_seeded(f"notice {key!r}")
        return str(rows[0].text)

    def letter_kit(self) -> LetterKit:
        """The letter templates (by key) and phrases; raises `not_seeded` if the seed had none."""
        with self.reading():
            return self._read_letter_kit()

    def _read_letter_kit(self) -> LetterKit:
        rows = self._rows(select(schema.letter_templates).order_by(schema.letter_templates.c.key))
        if not rows:
            raise self.not_seeded("letter templates")
        steps: dict[str, list[str]] = {}
        wallet_steps: dict[str, dict[str, list[str]]] = {}
        step_table = schema.letter_template_steps
        for row in self._rows(select(step_table).order_by(step_table.c.template_key, step_table.c.position)):
            if row.wallet:
                wallet_steps.setdefault(row.template_key, {}).setdefault(row.wallet, []).append(row.step_key)
            else:
                steps.setdefault(row.template_key, []).append(row.step_key)
        phrase_rows = self._rows(select(schema.letter_phrases).order_by(schema.letter_phrases.c.key))
        variants = schema.letter_fact_variants
        variant_rows = self._rows(select(variants).order_by(variants.c.category_key, variants.c.position))
        templates = tuple(
            row_record(
                LetterTemplate,
                r,
                for_steps=tuple(steps.get(r.key, ())),
                for_wallet_steps={w: tuple(keys) for w, keys in wallet_steps.get(r.key, {}).items()},
            )
            for r in rows
        )
        return LetterKit(
            templates=templates,
            facts={r.key: r.text for r in phrase_rows if r.kind == "fact"},
            demands={r.key: r.text for r in phrase_rows if r.kind == "demand"},
            provenance=next((Provenance(r.source, r.verified_on) for r in phrase_rows), templates[0].provenance),
            fact_variants=tuple(row_record(FactVariant, r) for r in variant_rows),
        )

    def sources(self) -> tuple[Source, ...]:
        """The declared sources, by key."""
        return tuple(row_record(Source, r) for r in self._rows(select(schema.sources).order_by(schema.sources.c.key)))

    def stale_facts(self, today: dt.date, max_age_days: int) -> int:
        """How many facts were last verified more than `max_age_days` before `today`."""
        cutoff = today - dt.timedelta(days=max_age_days)
        counts = (select(func.count()).select_from(t).where(t.c.verified_on < cutoff) for t in PROVENANCE_TABLES)
        with self.reading():
            return sum(int(self._rows(statement)[0][0]) for statement in counts)

    def seed_info(self) -> dict[str, str]:
        """Version, fingerprint and import time of the imported seed ({} if never seeded)."""
        try:
            rows = self._rows(select(schema.seed_info))
        except KnowledgeStoreUnavailable:
            return {}
        return {r.key: r.value for r in rows}

    def everything(self) -> dict[str, Any]:
        """The whole store as seed sections (for `export`), read in one transaction."""
        with self.reading():
            keys = [r.key for r in self._rows(select(schema.categories.c.key).order_by(schema.categories.c.key))]
            table = schema.evidence_items
            order = (table.c.category_key, table.c.platform_key.is_not(None), table.c.platform_key, table.c.position)
            evidence = self._rows(select(table).order_by(*order))
            notices = self._rows(select(schema.notices).order_by(schema.notices.c.key))
            has_letters = bool(self._rows(select(schema.letter_templates.c.key)))
            return {
                "version": int(self.seed_info().get("version", "1")),
                "sources": self.sources(),
                "platforms": self.platforms(),
                "products": self.products(),
                "categories": tuple(self.category(k) for k in keys),
                "evidence_items": tuple(row_record(EvidenceItem, r) for r in evidence),
                "escalation_steps": self._steps(),
                "notices": tuple(row_record(Notice, r) for r in notices),
                "letter_templates": self.letter_kit() if has_letters else None,
            }
