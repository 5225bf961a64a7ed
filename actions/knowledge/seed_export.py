"""Write the store's content back out in the seed file's layout."""

from __future__ import annotations

import dataclasses
from typing import Any, Optional

import yaml

from actions.knowledge.rows import provenance_columns
from actions.knowledge.store import KnowledgeStore
from assistant_core.records import PLATFORM_FACTS, LetterKit, Platform, Provenance
from assistant_core.seed import ADVICE_KINDS
from assistant_core.seed_reader import seed_key


def _entry(record: Any, *skip: str, names: Optional[dict[str, str]] = None) -> dict[str, Any]:
    """A record as a seed entry: its fields in order (renamed as the seed names them), provenance
    flattened, tuples as lists; fields without a value (None, empty) are left out."""
    entry: dict[str, Any] = {}
    for field in dataclasses.fields(record):
        value = getattr(record, field.name)
        if field.name in skip or value is None or value == ():
            continue
        if isinstance(value, Provenance):
            entry.update(provenance_columns(value))
        else:
            entry[seed_key(field.name, names)] = list(value) if isinstance(value, tuple) else value
    return entry


def _platform(p: Platform) -> dict[str, Any]:
    facts = {field: getattr(p, field) for field in PLATFORM_FACTS if getattr(p, field) is not None}
    return {
        "key": p.key,
        "name": p.name,
        "aliases": list(p.aliases),
        **facts,
        "sources": {field: provenance_columns(prov) for field, prov in p.provenance.items() if field in PLATFORM_FACTS},
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
                kind: [{"text": a.text, **provenance_columns(a.provenance)} for a in c.advice_items_of_kind(kind)]
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
        **provenance_columns(kit.provenance),
        "facts": dict(kit.facts),
        "demands": dict(kit.demands),
        "templates": [_entry(t) for t in kit.templates],
    }
