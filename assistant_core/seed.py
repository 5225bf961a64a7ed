"""Read and validate the knowledge seed file (YAML) into plain records.

Validation is complete before anything touches the database, and every error
names the file, the record and the field, so an editor can fix it at once.
Every fact-bearing record cites a declared source and carries its own
`verified_on` date; see docs/knowledge.md for the generated list.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Mapping, Optional

import yaml

from assistant_core.records import (
    PLATFORM_FACTS,
    SOURCE_KINDS,
    AdviceItem,
    Category,
    EvidenceItem,
    Notice,
    Platform,
    Product,
    Provenance,
    Seed,
    Source,
    Unverified,
)
from assistant_core.seed_ladder import NO_WAITING_CATEGORIES, parse_escalation
from assistant_core.seed_letters import parse_letters
from assistant_core.seed_reader import RecordReader, SeedError, seed_fields, wallet_scopes

__all__ = ["ADVICE_KINDS", "DEMAND_KEYS", "LADDER_CATEGORIES", "NO_WAITING_CATEGORIES", "SeedError", "load_seed"]

ADVICE_KINDS = ("self_check", "urgent", "prevention", "guidance")
LADDER_CATEGORIES = ("topup_failure", "fund_security", "support_unresponsive")
REQUIRED_NOTICES = (
    "legal_disclaimer",
    "service_unavailable",
    "ladder_exhausted",
    "evidence_tips",
    "fraud_warning",
    "recovery_scam_warning",
)
DEMAND_KEYS = ("refund", "unfreeze", "apology", "compensation", "investigate")
"""The values of the NLU's `demand` entity; the letter words each of them."""
TOP_LEVEL = (
    "version",
    "sources",
    "platforms",
    "products",
    "categories",
    "evidence_items",
    "escalation_steps",
    "notices",
    "letter_templates",
    "unverified",
)


def _list_section(path: Path, data: Mapping[str, Any], section: str, required: bool = True) -> list[Any]:
    value = data.get(section)
    if value is None and not required:
        return []
    if not isinstance(value, list) or not value:
        raise SeedError(path, section, section, "must be a non-empty list")
    return value


def _unique(path: Path, record: str, field: str, seen: set[Any], value: Any) -> None:
    if value in seen:
        raise SeedError(path, record, field, f"duplicate value {value!r}")
    seen.add(value)


def load_seed(path: Path) -> Seed:
    """Parse and fully validate a seed file; raise SeedError on the first problem."""
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SeedError(path, "file", "*", f"cannot be read ({exc.strerror})") from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark else "file"
        raise SeedError(path, where, "*", f"is not valid YAML ({getattr(exc, 'problem', exc)})") from exc
    top = RecordReader(path, "top level", raw, TOP_LEVEL)
    version = top.integer("version")
    sources = _parse_sources(path, _list_section(path, raw, "sources"))
    by_key = {s.key: s for s in sources}

    platforms = _parse_platforms(path, _list_section(path, raw, "platforms"), by_key)
    platform_keys = {p.key for p in platforms}
    products = _parse_products(path, _list_section(path, raw, "products", required=False), by_key, platforms)
    categories = _parse_categories(path, _list_section(path, raw, "categories"), by_key, platform_keys)
    category_keys = {c.key for c in categories}
    evidence = _parse_evidence(path, _list_section(path, raw, "evidence_items"), by_key, category_keys, platform_keys)
    escalation = parse_escalation(
        path,
        _list_section(path, raw, "escalation_steps"),
        by_key,
        category_keys,
        platform_keys,
        {p.key for p in products},
    )
    notices = _parse_notices(path, raw.get("notices"), by_key)
    for category in LADDER_CATEGORIES:
        if category not in category_keys:
            raise SeedError(path, "categories", "key", f"category {category!r} is missing")
        if not any(step.category_key == category for step in escalation):
            raise SeedError(path, "escalation_steps", "category", f"no ladder for {category!r}")
        if not any(item.category_key == category for item in evidence):
            raise SeedError(path, "evidence_items", "category", f"no evidence for {category!r}")
    letters = parse_letters(
        path, raw.get("letter_templates"), by_key, escalation, LADDER_CATEGORIES, DEMAND_KEYS, platform_keys
    )
    unverified = tuple(
        _parse_unverified(path, index, item)
        for index, item in enumerate(_list_section(path, raw, "unverified", required=False))
    )
    return Seed(version, platforms, categories, evidence, escalation, notices, sources, products, letters, unverified)


def _parse_unverified(path: Path, index: int, item: Any) -> Unverified:
    reader = RecordReader(path, f"unverified[{index}]", item, ("topic", "note", "checked_on"))
    return Unverified(reader.text("topic"), reader.text("note"), reader.date("checked_on"))


def _parse_sources(path: Path, items: list[Any]) -> tuple[Source, ...]:
    keys: set[str] = set()
    result = []
    for index, item in enumerate(items):
        reader = RecordReader(path, f"sources[{index}]", item, seed_fields(Source))
        key = reader.key("key")
        _unique(path, reader.record, "key", keys, key)
        kind = reader.choice("kind", SOURCE_KINDS)
        source = Source(
            key=key,
            kind=kind,
            title=reader.text("title"),
            url=reader.text("url", None),
            passage=reader.text("passage", None),
            read_on=reader.date("read_on", None),
        )
        if kind == "article" and not source.passage:
            raise reader.fail("passage", "is missing: name the passage of the seed article")
        if kind == "page":
            if not (source.url or "").startswith(("https://", "http://")):
                raise reader.fail("url", "is missing: a public page needs its address")
            if source.read_on is None:
                raise reader.fail("read_on", "is missing: the date the page was read")
        result.append(source)
    return tuple(result)


def _platform_provenance(
    reader: RecordReader, present: set[str], sources: Mapping[str, Source]
) -> dict[str, Provenance]:
    """The `sources` mapping of a platform: one provenance per fact field present, no more."""
    data = reader.get("sources", lambda v: isinstance(v, Mapping), "a mapping of fact field: {source, verified_on}")
    result = {}
    for field in PLATFORM_FACTS:
        if field in data:
            if field not in present:
                raise reader.fail(f"sources.{field}", f"cites a source for '{field}', which the record does not hold")
            sub = RecordReader(reader.path, f"{reader.record} sources.{field}", data[field], ("source", "verified_on"))
            result[field] = sub.provenance(sources)
        elif field in present:
            raise reader.fail(f"sources.{field}", "is missing: every fact needs its source and verified_on")
    unknown = sorted(set(map(str, data)) - set(PLATFORM_FACTS))
    if unknown:
        raise reader.fail(f"sources.{unknown[0]}", f"not a fact field ({', '.join(PLATFORM_FACTS)})")
    return result


def _key_and_aliases(reader: RecordReader, keys: set[str], aliases_taken: set[str]) -> tuple[str, tuple[str, ...]]:
    """A record's unique key and its aliases, none of them used before by any wallet or product."""
    key = reader.key("key")
    _unique(reader.path, reader.record, "key", keys, key)
    aliases = reader.text_list("aliases")
    for alias in aliases:
        _unique(reader.path, reader.record, "aliases", aliases_taken, alias.casefold())
    return key, aliases


def _parse_platforms(path: Path, items: list[Any], sources: Mapping[str, Source]) -> tuple[Platform, ...]:
    fields = ("key", "name", "aliases", *PLATFORM_FACTS, "sources")
    keys: set[str] = set()
    aliases_seen: set[str] = set()
    result = []
    for index, item in enumerate(items):
        reader = RecordReader(path, f"platforms[{index}]", item, fields)
        key, aliases = _key_and_aliases(reader, keys, aliases_seen)
        present = {f for f in PLATFORM_FACTS if reader.data.get(f) is not None}
        provenance = _platform_provenance(reader, present, sources)
        hotline = reader.text("hotline")
        if not all(part.isdigit() for part in hotline.split("-")) or not 3 <= len(hotline) <= 16:
            raise reader.fail("hotline", f"must be a phone number like 95188 or 400-606-5500, got {hotline!r}")
        website = reader.text("website", None)
        if website is not None and not website.startswith("https://"):
            raise reader.fail("website", f"must start with https://, got {website!r}")
        result.append(
            Platform(
                key=key,
                name=reader.text("name"),
                hotline=hotline,
                is_payment_institution=(
                    reader.boolean("is_payment_institution") if "is_payment_institution" in present else None
                ),
                provenance=provenance,
                position=index + 1,
                aliases=aliases,
                operator=reader.text("operator", None),
                in_app_route=reader.text("in_app_route", None),
                website=website,
                hotline_note=reader.text("hotline_note", None),
                hotline_label=reader.text("hotline_label", None),
            )
        )
    return tuple(result)


def _parse_products(
    path: Path, items: list[Any], sources: Mapping[str, Source], platforms: tuple[Platform, ...]
) -> tuple[Product, ...]:
    fields = seed_fields(Product)
    taken = {alias.casefold() for p in platforms for alias in p.aliases}
    keys: set[str] = set()
    result = []
    for index, item in enumerate(items):
        reader = RecordReader(path, f"products[{index}]", item, fields)
        key, aliases = _key_and_aliases(reader, keys, taken)
        provenance = reader.provenance(sources)
        result.append(
            Product(
                key=key,
                name=reader.text("name"),
                platform_key=reader.choice("wallet", tuple(p.key for p in platforms)),
                aliases=aliases,
                description=reader.sourced_text("description", provenance, sources),
                provenance=provenance,
                operator=reader.sourced_text("operator", provenance, sources, None),
            )
        )
    return tuple(result)


def _parse_categories(
    path: Path, items: list[Any], sources: Mapping[str, Source], platform_keys: set[str]
) -> tuple[Category, ...]:
    keys: set[str] = set()
    result = []
    for index, item in enumerate(items):
        reader = RecordReader(path, f"categories[{index}]", item, seed_fields(Category))
        key = reader.key("key")
        _unique(path, reader.record, "key", keys, key)
        provenance = reader.provenance(sources)
        advice_reader = RecordReader(path, reader.record, reader.get("advice", lambda v: True, "", {}), ADVICE_KINDS)
        advice: list[AdviceItem] = []
        for kind in ADVICE_KINDS:
            entries = advice_reader.get(kind, lambda v: isinstance(v, list) and len(v) > 0, "a non-empty list", [])
            for position, entry in enumerate(entries, start=1):
                item_reader = RecordReader(
                    path,
                    f"{reader.record} advice.{kind}[{position - 1}]",
                    entry,
                    seed_fields(AdviceItem, "category_key", "kind", "position"),
                )
                item_provenance = item_reader.provenance(sources)
                text = item_reader.sourced_text("text", item_provenance, sources)
                wallets, except_wallets = wallet_scopes(item_reader, platform_keys)
                advice.append(AdviceItem(key, kind, position, text, item_provenance, wallets, except_wallets))
        result.append(
            Category(
                key=key,
                name=reader.text("name"),
                summary=reader.sourced_text("summary", provenance, sources),
                provenance=provenance,
                advice=tuple(advice),
            )
        )
    return tuple(result)


def _parse_evidence(
    path: Path,
    items: list[Any],
    sources: Mapping[str, Source],
    category_keys: set[str],
    platform_keys: set[str],
) -> tuple[EvidenceItem, ...]:
    seen: set[tuple[str, Optional[str], int]] = set()
    result = []
    for index, item in enumerate(items):
        reader = RecordReader(
            path, f"evidence_items[{index}]", item, seed_fields(EvidenceItem, names={"platform_key": "platform"})
        )
        category = reader.choice("category", tuple(sorted(category_keys)))
        platform = reader.choice("platform", tuple(sorted(platform_keys)), None)
        position = reader.integer("position")
        _unique(path, reader.record, "position", seen, (category, platform, position))
        provenance = reader.provenance(sources)
        text = reader.sourced_text("text", provenance, sources)
        result.append(EvidenceItem(category, platform, position, text, provenance))
    return tuple(result)


def _parse_notices(path: Path, data: Any, sources: Mapping[str, Source]) -> tuple[Notice, ...]:
    if not isinstance(data, Mapping):
        raise SeedError(path, "notices", "notices", "must be a mapping of key: {text, source, verified_on}")
    result = []
    for key, value in data.items():
        reader = RecordReader(path, f"notices.{key}", value, seed_fields(Notice, "key"))
        provenance = reader.provenance(sources)
        result.append(Notice(str(key), reader.sourced_text("text", provenance, sources), provenance))
    missing = [key for key in REQUIRED_NOTICES if key not in {n.key for n in result}]
    if missing:
        raise SeedError(path, "notices", missing[0], "is missing")
    return tuple(result)
