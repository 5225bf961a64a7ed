"""Table definitions of the knowledge store (portable SQL: SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    ForeignKey,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

metadata = MetaData()


def _provenance() -> list[Column]:
    """Every record says where its fact came from and when it was last checked."""
    return [
        Column("source", String(16), nullable=False),
        Column("verified_on", Date, nullable=False),
    ]


platforms = Table(
    "platforms",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("operator", String(200), nullable=False),
    Column("hotline", String(32), nullable=False),
    Column("in_app_route", String(200), nullable=False),
    Column("website", String(200), nullable=False),
    Column("is_payment_institution", Boolean, nullable=False),
    *_provenance(),
)

platform_aliases = Table(
    "platform_aliases",
    metadata,
    Column("alias", String(64), primary_key=True),
    Column("platform_key", String(32), ForeignKey("platforms.key"), nullable=False),
    Column("position", Integer, nullable=False),
)

categories = Table(
    "categories",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("summary", Text, nullable=False),
    *_provenance(),
)

advice_items = Table(
    "advice_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("category_key", String(32), ForeignKey("categories.key"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    *_provenance(),
    UniqueConstraint("category_key", "kind", "position"),
)

evidence_items = Table(
    "evidence_items",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("category_key", String(32), ForeignKey("categories.key"), nullable=False),
    Column("platform_key", String(32), ForeignKey("platforms.key"), nullable=True),
    Column("position", Integer, nullable=False),
    Column("text", Text, nullable=False),
    *_provenance(),
)

escalation_steps = Table(
    "escalation_steps",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("category_key", String(32), ForeignKey("categories.key"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("key", String(32), nullable=False),
    Column("title", String(100), nullable=False),
    Column("contact", String(100), nullable=False),
    Column("when_to_use", Text, nullable=False),
    Column("advice", Text, nullable=False),
    Column("wait_days", Integer, nullable=True),
    Column("legal", Boolean, nullable=False),
    *_provenance(),
    UniqueConstraint("category_key", "position"),
    UniqueConstraint("category_key", "key"),
)

notices = Table(
    "notices",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("text", Text, nullable=False),
    *_provenance(),
)

seed_info = Table(
    "seed_info",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("value", Text, nullable=False),
)

# Children before parents: the order in which a re-import clears the tables.
TABLES_CHILDREN_FIRST = (
    seed_info,
    notices,
    escalation_steps,
    evidence_items,
    advice_items,
    categories,
    platform_aliases,
    platforms,
)
