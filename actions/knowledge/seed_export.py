"""Write the store's content back out in the seed file's layout."""

from __future__ import annotations

from typing import Any

import yaml

from actions.knowledge.store import KnowledgeStore
from assistant_core.records import PLATFORM_FACTS, LetterKit, Platform, Provenance, Source
from assistant_core.seed import ADVICE_KINDS


def _prov(p: Provenance) -> dict[str, Any]:
    return {"source": p.source, "verified_on": p.verified_on}


def _source(s: Source) -> dict[str, Any]:
    optional = {"url": s.url, "passage": s.passage, "read_on": s.read_on}
    return {"key": s.key, "kind": s.kind, "title": s.title, **{k: v for k, v in optional.items() if v is not None}}


def _platform(p: Platform) -> dict[str, Any]:
    facts = {field: getattr(p, field) for field in PLATFORM_FACTS if getattr(p, field) is not None}
    return {
        "key": p.key,
        "name": p.name,
        "aliases": list(p.aliases),
        **facts,
        "sources": {field: _prov(p.provenance[field]) for field in PLATFORM_FACTS if field in p.provenance},
    }


def dump_seed(store: KnowledgeStore) -> str:
    """The store's content as seed YAML; importing it gives the same store."""
    sections = store.everything()
    document: dict[str, Any] = {
        "version": sections["version"],
        "sources": [_source(s) for s in sections["sources"]],
        "platforms": [_platform(p) for p in sections["platforms"]],
    }
    if sections["products"]:
        document["products"] = [
            {
                "key": p.key,
                "name": p.name,
                "wallet": p.platform_key,
                "aliases": list(p.aliases),
                "description": p.description,
                **({"operator": p.operator} if p.operator else {}),
                **_prov(p.provenance),
            }
            for p in sections["products"]
        ]
    document["categories"] = [
        {
            "key": c.key,
            "name": c.name,
            "summary": c.summary,
            **_prov(c.provenance),
            "advice": {
                kind: [{"text": a.text, **_prov(a.provenance)} for a in c.advice_items_of_kind(kind)]
                for kind in ADVICE_KINDS
                if c.advice_items_of_kind(kind)
            },
        }
        for c in sections["categories"]
    ]
    document["evidence_items"] = [
        {
            "category": e.category_key,
            "platform": e.platform_key,
            "position": e.position,
            "text": e.text,
            **_prov(e.provenance),
        }
        for e in sections["evidence_items"]
    ]
    document["escalation_steps"] = [
        {
            "category": s.category_key,
            "position": s.position,
            "key": s.key,
            "title": s.title,
            "contact": s.contact,
            "when": s.when_to_use,
            "advice": s.advice,
            **({"suggested_wait_days": s.suggested_wait_days} if s.suggested_wait_days is not None else {}),
            "legal": s.legal,
            **({"wallets": list(s.wallets)} if s.wallets else {}),
            **({"except_wallets": list(s.except_wallets)} if s.except_wallets else {}),
            **_prov(s.provenance),
        }
        for s in sections["escalation_steps"]
    ]
    document["notices"] = {n.key: {"text": n.text, **_prov(n.provenance)} for n in sections["notices"]}
    if sections.get("letter_templates") is not None:
        document["letter_templates"] = _letters(sections["letter_templates"])
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)


def _letters(kit: LetterKit) -> dict[str, Any]:
    """The `letter_templates` section in seed layout."""
    optional = ("respondent_if_not_institution", "respondent_unverified")
    return {
        **_prov(kit.provenance),
        "facts": dict(kit.facts),
        "demands": dict(kit.demands),
        "templates": [
            {
                "key": t.key,
                "version": t.version,
                "for_steps": list(t.for_steps),
                "addressee": t.addressee,
                **{field: getattr(t, field) for field in optional if getattr(t, field)},
                "send_via": t.send_via,
                "subject": t.subject,
                "paragraphs": list(t.paragraphs),
                **_prov(t.provenance),
            }
            for t in kit.templates
        ],
    }
