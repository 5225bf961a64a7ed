"""Table definitions of the knowledge store (portable SQL: SQLite and PostgreSQL)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
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
    """Every record says where its fact came from (a declared source) and when it was last checked."""
    return [
        Column("source", String(64), ForeignKey("sources.key"), nullable=False),
        Column("verified_on", Date, nullable=True),  # None for the project's own guidance
    ]


sources = Table(
    "sources",
    metadata,
    Column("key", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),  # article, page, guidance
    Column("title", String(300), nullable=False),
    Column("url", String(500), nullable=True),
    Column("passage", String(300), nullable=True),
    Column("read_on", Date, nullable=True),
)

platforms = Table(
    "platforms",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("position", Integer, nullable=False),  # display order, as in the seed
    Column("name", String(64), nullable=False),
    Column("hotline", String(32), nullable=False),
    Column("hotline_note", Text, nullable=True),
    Column("hotline_label", String(100), nullable=True),  # when the number is not the wallet's own line
    Column("operator", String(200), nullable=True),  # only when verified
    Column("in_app_route", String(200), nullable=True),
    Column("website", String(200), nullable=True),
    Column("is_payment_institution", Boolean, nullable=True),  # None: not verified
)

platform_fact_sources = Table(
    "platform_fact_sources",
    metadata,
    # One row per fact a platform holds (hotline, operator, ...): its own source and check date.
    Column("platform_key", String(32), ForeignKey("platforms.key"), primary_key=True),
    Column("field", String(32), primary_key=True),
    *_provenance(),
)

products = Table(
    "products",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("name", String(64), nullable=False),
    Column("platform_key", String(32), ForeignKey("platforms.key"), nullable=False),
    Column("aliases", JSON, nullable=False),
    Column("description", Text, nullable=False),
    Column("operator", String(200), nullable=True),
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
    Column("wallets", JSON, nullable=False),  # only these platforms ([] = all)
    Column("except_wallets", JSON, nullable=False),
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
    Column("suggested_wait_days", Integer, nullable=True),  # the assistant's suggestion, not a time limit
    Column("legal", Boolean, nullable=False),
    Column("wallets", JSON, nullable=False),  # only these platforms ([] = all)
    Column("except_wallets", JSON, nullable=False),
    Column("said_as", JSON, nullable=False),  # how users say they took the step
    Column("products", JSON, nullable=False),  # only for cases about these products ([] = any)
    Column("except_products", JSON, nullable=False),
    *_provenance(),
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

# --- Complaint letters (seed section `letter_templates`) -------------------------------------

letter_templates = Table(
    "letter_templates",
    metadata,
    Column("key", String(32), primary_key=True),
    Column("version", Integer, nullable=False),
    Column("addressee", String(200), nullable=False),
    Column("respondent_if_not_institution", String(200), nullable=True),
    Column("respondent_unverified", String(200), nullable=True),
    Column("send_via", Text, nullable=False),
    Column("subject", String(200), nullable=False),
    Column("paragraphs", JSON, nullable=False),
    Column("before_sending", Text, nullable=True),  # what the user adds before sending
    *_provenance(),
)

letter_template_steps = Table(
    "letter_template_steps",
    metadata,
    # One template per escalation step key, and at most one more per wallet ('' = every wallet):
    # the step reached, and the wallet, choose the addressee.
    Column("step_key", String(32), primary_key=True),
    Column("wallet", String(32), primary_key=True),
    Column("template_key", String(32), ForeignKey("letter_templates.key"), nullable=False),
    Column("position", Integer, nullable=False),
)

letter_fact_variants = Table(
    "letter_fact_variants",
    metadata,
    # A more exact statement of what happened (被骗转账, 盗刷), chosen by the user's own words.
    Column("category_key", String(32), ForeignKey("categories.key"), primary_key=True),
    Column("key", String(32), primary_key=True),
    Column("position", Integer, nullable=False),
    Column("said_as", JSON, nullable=False),
    Column("text", Text, nullable=False),
    *_provenance(),
)

letter_phrases = Table(
    "letter_phrases",
    metadata,
    # kind 'fact' (key = problem category) or 'demand' (key = demand key).
    Column("kind", String(16), primary_key=True),
    Column("key", String(32), primary_key=True),
    Column("text", Text, nullable=False),
    *_provenance(),
)

# The knowledge tables, parents first: a re-import drops and recreates exactly these, so a
# changed layout never meets an old table.
KNOWLEDGE_TABLES = (
    sources,
    platforms,
    platform_fact_sources,
    platform_aliases,
    products,
    categories,
    advice_items,
    evidence_items,
    escalation_steps,
    notices,
    seed_info,
    letter_templates,
    letter_template_steps,
    letter_phrases,
    letter_fact_variants,
)
# Users' case files are not here: they live in their own database (actions/case_store.py).
