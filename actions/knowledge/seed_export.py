"""Write the store's content back out in the seed file's layout."""

from __future__ import annotations

from typing import Any

import yaml

from actions.knowledge.records import LetterKit, Provenance
from actions.knowledge.seed import ADVICE_KINDS
from actions.knowledge.store import KnowledgeStore


def _prov(p: Provenance) -> dict[str, Any]:
    return {"source": p.source, "verified_on": p.verified_on}


def dump_seed(store: KnowledgeStore) -> str:
    """The store's content as seed YAML; importing it gives the same store."""
    sections = dict(store.export_seed())
    dates = [p.provenance.verified_on for p in sections["platforms"]]
    document: dict[str, Any] = {
        "version": sections["version"],
        "verified_on": max(dates),
        "platforms": [
            {
                "key": p.key,
                "name": p.name,
                "operator": p.operator,
                "aliases": list(p.aliases),
                "hotline": p.hotline,
                "in_app_route": p.in_app_route,
                "website": p.website,
                "is_payment_institution": p.is_payment_institution,
                **_prov(p.provenance),
            }
            for p in sections["platforms"]
        ],
        "categories": [
            {
                "key": c.key,
                "name": c.name,
                "summary": c.summary,
                **_prov(c.provenance),
                "advice": {k: list(c.advice_of_kind(k)) for k in ADVICE_KINDS if c.advice_of_kind(k)},
            }
            for c in sections["categories"]
        ],
        "evidence_items": [
            {
                "category": e.category_key,
                "platform": e.platform_key,
                "position": e.position,
                "text": e.text,
                **_prov(e.provenance),
            }
            for e in sections["evidence_items"]
        ],
        "escalation_steps": [
            {
                "category": s.category_key,
                "position": s.position,
                "key": s.key,
                "title": s.title,
                "contact": s.contact,
                "when": s.when_to_use,
                "advice": s.advice,
                **({"wait_days": s.wait_days} if s.wait_days is not None else {}),
                "legal": s.legal,
                **_prov(s.provenance),
            }
            for s in sections["escalation_steps"]
        ],
        "notices": {n.key: {"text": n.text, **_prov(n.provenance)} for n in sections["notices"]},
    }
    if sections.get("letter_templates") is not None:
        document["letter_templates"] = _letters(sections["letter_templates"])
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False, width=120)


def _letters(kit: LetterKit) -> dict[str, Any]:
    """The `letter_templates` section in seed layout."""
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
                **(
                    {"respondent_if_not_institution": t.respondent_if_not_institution}
                    if t.respondent_if_not_institution
                    else {}
                ),
                "send_via": t.send_via,
                "subject": t.subject,
                "paragraphs": list(t.paragraphs),
                **_prov(t.provenance),
            }
            for t in kit.templates
        ],
    }
