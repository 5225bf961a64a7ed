"""Write the store's content back out in the seed file's layout."""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

import yaml

from actions.knowledge.rows import provenance_columns
from actions.knowledge.store import KnowledgeStore
from assistant_core.letter_records import LetterKit
from assistant_core.records import PLATFORM_FACTS, Platform, Provenance
from assistant_core.seed import ADVICE_KINDS
from assistant_core.seed_reader import seed_key


def _entry(record: Any, *skip: str, names: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """A record as a seed entry: its fields in order (renamed as the seed names them), provenance
    flattened, tuples as lists; fields without a value (None, empty) are left out."""
    entry: dict[str, Any] = {}
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if field.name in skip or value is None or value == () or value == {}:
            continue
        if isinstance(value, Provenance):
            entry.update(_dated(value))
        elif isinstance(value, dict):
            entry[seed_key(field.name, names)] = {k: list(v) if isinstance(v, tuple) else v for k, v in value.items()}
        else:
            entry[seed_key(field.name, names)] = list(value) if isinstance(value, tuple) else value
    return entry


def _dated(provenance: Provenance) -> dict[str, Any]:
    """`source`, and `verified_on` where the fact has one (the project's guidance has none)."""
    return {k: v for k, v in provenance_columns(provenance).items() if v is not None}


def _platform(p: Platform) -> dict[str, Any]:
    facts = {field: getattr(p, field) for field in PLATFORM_FACTS if getattr(p, field) is not None}
    return {
        "key": p.key,
        "name": p.name,
        "aliases": list(p.aliases),
        **facts,
        "sources": {field: _dated(prov) for field, prov in p.provenance.items() if field in PLATFORM_FACTS},
    }


def dump_seed(store: KnowledgeStore) -> str:
    """The store's content as seed YAML; importing it gives the same store."""
    sections = store.everything()
    document: dict[str, Any] = {
        "version": sections["version"],
        "sources": [_entry(s) for s in sections["sources"]],
        "platforms": [_platform(p) for p in sections["platforms"]],
    }
    if sections["products"]:
        document["products"] = [_entry(p) for p in sections["products"]]
    document["categories"] = [
        {
            **_entry(c, "advice"),
            "advice": {
                kind: [_entry(a, "category_key", "kind", "position") for a in c.advice_items_of_kind(kind)]
                for kind in ADVICE_KINDS
                if c.advice_items_of_kind(kind)
            },
        }
        for c in sections["categories"]
    ]
    document["evidence_items"] = [_entry(e, names={"platform_key": "platform"}) for e in sections["evidence_items"]]
    document["escalation_steps"] = [_entry(s) for s in sections["escalation_steps"]]
    document["notices"] = {n.key: _entry(n, "key") for n in sections["notices"]}
    if sections.get("letter_templates") is not None:
        document["letter_templates"] = _letters(sections["letter_templates"])
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)


def _letters(kit: LetterKit) -> dict[str, Any]:
    """The `letter_templates` section in seed layout."""
    return {
        **_dated(kit.provenance),
        "facts": dict(kit.facts),
        **({"fact_variants": _fact_variants(kit)} if kit.fact_variants else {}),
        "demands": dict(kit.demands),
        "templates": [_entry(t) for t in kit.templates],
    }


def _fact_variants(kit: LetterKit) -> dict[str, list[dict[str, Any]]]:
    by_problem: dict[str, list[dict[str, Any]]] = {}
    for variant in kit.fact_variants:
        by_problem.setdefault(variant.category_key, []).append(_entry(variant, "category_key"))
    return by_problem
