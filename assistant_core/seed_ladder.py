"""The seed's escalation ladders: steps per problem, per-wallet variants, and the rules they keep."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional

from assistant_core.records import PLATFORM_CONTACT, EscalationStep, Source
from assistant_core.seed_reader import RecordReader, SeedError, key_scopes, seed_fields, wallet_scopes

NO_WAITING_CATEGORIES = ("fund_security",)
"""Ladders where the assistant never suggests waiting: a fraud victim goes on at once."""


def parse_escalation(
    path: Path,
    items: list[Any],
    sources: Mapping[str, Source],
    category_keys: set[str],
    platform_keys: set[str],
    product_keys: set[str],
) -> tuple[EscalationStep, ...]:
    fields = seed_fields(EscalationStep)
    keys: set[tuple[str, str]] = set()
    result = []
    for index, item in enumerate(items):
        reader = RecordReader(path, f"escalation_steps[{index}]", item, fields)
        category = reader.choice("category", tuple(sorted(category_keys)))
        position = reader.integer("position")
        key = reader.key("key")
        reader.record = f"escalation_steps[{index}] ({category}/{key})"
        if (category, key) in keys:
            raise reader.fail("key", f"duplicate value {key!r}")
        keys.add((category, key))
        provenance = reader.provenance(sources)
        wait = reader.integer("suggested_wait_days", None)
        if wait is not None and category in NO_WAITING_CATEGORIES:
            raise reader.fail("suggested_wait_days", f"the {category} ladder never asks a user to wait: remove it")
        wallets, except_wallets = wallet_scopes(reader, platform_keys)
        products, except_products = key_scopes(reader, ("products", "except_products"), product_keys, "product")
        result.append(
            EscalationStep(
                category_key=category,
                position=position,
                key=key,
                title=reader.sourced_text("title", provenance, sources),
                contact=reader.sourced_text("contact", provenance, sources),
                when_to_use=reader.sourced_text("when", provenance, sources),
                advice=reader.sourced_text("advice", provenance, sources),
                suggested_wait_days=wait,
                legal=reader.boolean("legal", False),
                provenance=provenance,
                wallets=wallets,
                except_wallets=except_wallets,
                said_as=reader.text_list("said_as", ()),
                products=products,
                except_products=except_products,
            )
        )
    for category in {step.category_key for step in result}:
        for scope_wallet in [None, *sorted(platform_keys)]:
            for scope_product in [None, *sorted(product_keys)]:
                ladder = [s for s in result if s.category_key == category and s.applies_to(scope_wallet, scope_product)]
                _check_ladder(path, category, scope_wallet, scope_product, ladder)
    return tuple(result)


def _check_ladder(
    path: Path, category: str, wallet: Optional[str], product: Optional[str], ladder: list[EscalationStep]
) -> None:
    """Each wallet's ladder, with or without a product, runs 1..n without gaps or doubles."""
    scope = "no wallet yet" if wallet is None else wallet
    record = f"escalation_steps ({category}, {scope}{'' if product is None else ', product ' + product})"
    positions = sorted(step.position for step in ladder)
    if positions != list(range(1, len(positions) + 1)):
        raise SeedError(path, record, "position", f"must run 1..n without gaps or doubles, got {positions}")
    if wallet is None and ladder and min(ladder, key=lambda s: s.position).contact != PLATFORM_CONTACT:
        raise SeedError(path, record, "contact", "the first step for any wallet must be 'platform'")
