"""Read and validate the knowledge seed file (YAML) into plain records.

Validation is complete before anything touches the database, and every error
names the file, the record and the field, so an editor can fix it at once.
"""

from __future__ import annotations

import datetime as dt
import re
import string
from pathlib import Path
from typing import Any, Callable, Mapping, Optional, TypeVar

import yaml

from actions.knowledge.records import (
    LETTER_PLACEHOLDERS,
    PLATFORM_CONTACT,
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

SOURCES = ("seed", "public", "guidance")
ADVICE_KINDS = ("self_check", "urgent", "prevention", "guidance")
LADDER_CATEGORIES = ("topup_failure", "fund_security", "support_unresponsive")
REQUIRED_NOTICES = (
    "legal_disclaimer",
    "service_unavailable",
    "ladder_exhausted",
    "evidence_tips",
    "fraud_warning",
)
_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
DEMAND_KEYS = ("refund", "unfreeze", "apology", "compensation", "investigate")
"""The values of the NLU's `demand` entity; the letter words each of them."""

T = TypeVar("T")


class SeedError(ValueError):
    """A seed file that cannot be imported; the message names file, record and field."""

    def __init__(self, path: Path, record: str, field: str, problem: str) -> None:
        self.path, self.record, self.field, self.problem = path, record, field, problem
        super().__init__(f"{path}: {record}, field '{field}': {problem}")


class _Reader:
    """Typed accessors for one record that raise SeedError naming it."""

    def __init__(self, path: Path, record: str, data: Any, allowed: tuple[str, ...]):
        self.path, self.record = path, record
        if not isinstance(data, Mapping):
            raise SeedError(path, record, "*", "must be a mapping of field: value")
        if isinstance(data.get("key"), str):
            self.record = record = f"{record} (key={data['key']})"
        unknown = sorted(set(map(str, data)) - set(allowed))
        if unknown:
            raise SeedError(path, record, unknown[0], f"unknown field (allowed: {', '.join(allowed)})")
        self.data = data

    def fail(self, field: str, problem: str) -> SeedError:
        return SeedError(self.path, self.record, field, problem)

    def _get(self, field: str, check: Callable[[Any], bool], what: str, default: Any = ...) -> Any:
        if field not in self.data or self.data[field] is None:
            if default is not ...:
                return default
            raise self.fail(field, "is missing")
        value = self.data[field]
        if not check(value):
            raise self.fail(field, f"must be {what}, got {value!r}")
        return value

    def text(self, field: str, default: Any = ...) -> Any:
        value = self._get(
            field, lambda v: isinstance(v, (str, int)) and str(v).strip() != "", "a non-empty text", default
        )
        return value if value is None else str(value).strip()

    def key(self, field: str) -> str:
        value = self.text(field)
        if not _KEY_PATTERN.match(value):
            raise self.fail(field, f"must be snake_case (a-z, 0-9, _), got {value!r}")
        return value

    def integer(self, field: str, default: Any = ..., minimum: int = 1) -> Any:
        return self._get(
            field,
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= minimum,
            f"an integer ≥ {minimum}",
            default,
        )

    def boolean(self, field: str, default: Any = ...) -> bool:
        return bool(self._get(field, lambda v: isinstance(v, bool), "true or false", default))

    def choice(self, field: str, allowed: tuple[str, ...], default: Any = ...) -> Any:
        value = self.text(field, default)
        if value is not None and value not in allowed:
            raise self.fail(field, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def text_list(self, field: str) -> tuple[str, ...]:
        value = self._get(field, lambda v: isinstance(v, list) and len(v) > 0, "a non-empty list")
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{field}[{index}]", "must be a non-empty text")
        return tuple(item.strip() for item in value)

    def date(self, field: str, default: Any = ...) -> dt.date:
        value = self._get(field, lambda v: isinstance(v, (dt.date, str)), "a date YYYY-MM-DD", default)
        if isinstance(value, dt.date):
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(field, f"must be a date YYYY-MM-DD, got {value!r}") from None

    def provenance(self, default_date: dt.date) -> Provenance:
        return Provenance(
            source=self.choice("source", SOURCES),
            verified_on=self.date("verified_on", default_date),
        )


def _list_section(path: Path, data: Mapping[str, Any], section: str) -> list[Any]:
    value = data.get(section)
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
    top = _Reader(
        path,
        "top level",
        raw,
        (
            "version",
            "verified_on",
            "platforms",
            "categories",
            "evidence_items",
            "escalation_steps",
            "notices",
            "letter_templates",
        ),
    )
    version = top.integer("version")
    default_date = top.date("verified_on")

    platforms = _parse_platforms(path, _list_section(path, raw, "platforms"), default_date)
    platform_keys = {p.key for p in platforms}
    categories = _parse_categories(path, _list_section(path, raw, "categories"), default_date)
    category_keys = {c.key for c in categories}
    evidence = _parse_evidence(
        path, _list_section(path, raw, "evidence_items"), default_date, category_keys, platform_keys
    )
    escalation = _parse_escalation(path, _list_section(path, raw, "escalation_steps"), default_date, category_keys)
    notices = _parse_notices(path, raw.get("notices"), default_date)
    for category in LADDER_CATEGORIES:
        if category not in category_keys:
            raise SeedError(path, "categories", "key", f"category {category!r} is missing")
        if not any(step.category_key == category for step in escalation):
            raise SeedError(path, "escalation_steps", "category", f"no ladder for {category!r}")
        if not any(item.category_key == category for item in evidence):
            raise SeedError(path, "evidence_items", "category", f"no evidence for {category!r}")
    letters = _parse_letters(path, raw.get("letter_templates"), default_date, escalation)
    return Seed(version, platforms, categories, evidence, escalation, notices, letters=letters)


def _parse_platforms(path: Path, items: list[Any], default_date: dt.date) -> tuple[Platform, ...]:
    fields = (
        "key",
        "name",
        "operator",
        "aliases",
        "hotline",
        "in_app_route",
        "website",
        "is_payment_institution",
        "source",
        "verified_on",
    )
    keys: set[str] = set()
    aliases_seen: set[str] = set()
    result = []
    for index, item in enumerate(items):
        record = f"platforms[{index}]"
        reader = _Reader(path, record, item, fields)
        key = reader.key("key")
        record = reader.record
        _unique(path, record, "key", keys, key)
        aliases = reader.text_list("aliases")
        for alias in aliases:
            _unique(path, record, "aliases", aliases_seen, alias.casefold())
        hotline = reader.text("hotline")
        if not re.fullmatch(r"[0-9][0-9-]{2,15}", hotline):
            raise reader.fail("hotline", f"must be a phone number like 95188 or 400-606-5500, got {hotline!r}")
        website = reader.text("website")
        if not website.startswith("https://"):
            raise reader.fail("website", f"must start with https://, got {website!r}")
        result.append(
            Platform(
                key=key,
                name=reader.text("name"),
                operator=reader.text("operator"),
                hotline=hotline,
                in_app_route=reader.text("in_app_route"),
                website=website,
                is_payment_institution=reader.boolean("is_payment_institution"),
                provenance=reader.provenance(default_date),
                aliases=aliases,
            )
        )
    return tuple(result)


def _parse_categories(path: Path, items: list[Any], default_date: dt.date) -> tuple[Category, ...]:
    keys: set[str] = set()
    result = []
    for index, item in enumerate(items):
        reader = _Reader(
            path, f"categories[{index}]", item, ("key", "name", "summary", "advice", "source", "verified_on")
        )
        key = reader.key("key")
        _unique(path, reader.record, "key", keys, key)
        provenance = reader.provenance(default_date)
        advice_reader = _Reader(path, reader.record, reader._get("advice", lambda v: True, "", {}), ADVICE_KINDS)
        advice: list[AdviceItem] = []
        for kind in ADVICE_KINDS:
            if kind in advice_reader.data:
                texts = advice_reader.text_list(kind)
                advice.extend(
                    AdviceItem(key, kind, position, text, provenance) for position, text in enumerate(texts, start=1)
                )
        result.append(
            Category(
                key=key,
                name=reader.text("name"),
                summary=reader.text("summary"),
                provenance=provenance,
                advice=tuple(advice),
            )
        )
    return tuple(result)


def _parse_evidence(
    path: Path,
    items: list[Any],
    default_date: dt.date,
    category_keys: set[str],
    platform_keys: set[str],
) -> tuple[EvidenceItem, ...]:
    seen: set[tuple[str, Optional[str], int]] = set()
    result = []
    for index, item in enumerate(items):
        reader = _Reader(
            path,
            f"evidence_items[{index}]",
            item,
            ("category", "platform", "position", "text", "source", "verified_on"),
        )
        category = reader.choice("category", tuple(sorted(category_keys)))
        platform = reader.choice("platform", tuple(sorted(platform_keys)), None)
        position = reader.integer("position")
        _unique(path, reader.record, "position", seen, (category, platform, position))
        result.append(EvidenceItem(category, platform, position, reader.text("text"), reader.provenance(default_date)))
    return tuple(result)


def _parse_escalation(
    path: Path, items: list[Any], default_date: dt.date, category_keys: set[str]
) -> tuple[EscalationStep, ...]:
    fields = (
        "category",
        "position",
        "key",
        "title",
        "contact",
        "when",
        "advice",
        "wait_days",
        "legal",
        "source",
        "verified_on",
    )
    positions: set[tuple[str, int]] = set()
    keys: set[tuple[str, str]] = set()
    result = []
    for index, item in enumerate(items):
        reader = _Reader(path, f"escalation_steps[{index}]", item, fields)
        category = reader.choice("category", tuple(sorted(category_keys)))
        position = reader.integer("position")
        key = reader.key("key")
        reader.record = f"escalation_steps[{index}] ({category}/{key})"
        _unique(path, reader.record, "position", positions, (category, position))
        _unique(path, reader.record, "key", keys, (category, key))
        result.append(
            EscalationStep(
                category_key=category,
                position=position,
                key=key,
                title=reader.text("title"),
                contact=reader.text("contact"),
                when_to_use=reader.text("when"),
                advice=reader.text("advice"),
                wait_days=reader.integer("wait_days", None),
                legal=reader.boolean("legal", False),
                provenance=reader.provenance(default_date),
            )
        )
    for category in {step.category_key for step in result}:
        ladder = sorted(step.position for step in result if step.category_key == category)
        if ladder != list(range(1, len(ladder) + 1)):
            raise SeedError(
                path, f"escalation_steps ({category})", "position", f"must run 1..n without gaps, got {ladder}"
            )
        first = min((s for s in result if s.category_key == category), key=lambda s: s.position)
        if first.contact != PLATFORM_CONTACT:
            raise SeedError(
                path, f"escalation_steps ({category}/{first.key})", "contact", "the first step must be 'platform'"
            )
    return tuple(result)


def _parse_notices(path: Path, data: Any, default_date: dt.date) -> tuple[Notice, ...]:
    if not isinstance(data, Mapping):
        raise SeedError(path, "notices", "notices", "must be a mapping of key: text")
    result = []
    for key, value in data.items():
        record = f"notices.{key}"
        if isinstance(value, str):
            value = {"text": value, "source": "guidance"}
        reader = _Reader(path, record, value, ("text", "source", "verified_on"))
        result.append(Notice(str(key), reader.text("text"), reader.provenance(default_date)))
    missing = [key for key in REQUIRED_NOTICES if key not in {n.key for n in result}]
    if missing:
        raise SeedError(path, "notices", missing[0], "is missing")
    return tuple(result)


def _placeholders(reader: _Reader, field: str, text: str) -> str:
    """Refuse a template text with unknown `{placeholders}` or broken braces."""
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise reader.fail(field, f"is not a valid template ({exc}); write a literal brace as {{{{ or }}}}") from None
    unknown = sorted(used - set(LETTER_PLACEHOLDERS))
    if unknown:
        raise reader.fail(field, f"unknown placeholder {{{unknown[0]}}} (allowed: {', '.join(LETTER_PLACEHOLDERS)})")
    return text


def _phrases(path: Path, record: str, data: Any, required: tuple[str, ...]) -> dict[str, str]:
    reader = _Reader(path, record, data, required)
    phrases = {key: _placeholders(reader, key, reader.text(key)) for key in required}
    return phrases


def _parse_letters(path: Path, data: Any, default_date: dt.date, escalation: tuple[EscalationStep, ...]) -> LetterKit:
    """The `letter_templates` section: facts per problem, demand wording, and templates covering every step."""
    section = _Reader(path, "letter_templates", data, ("facts", "demands", "templates", "source", "verified_on"))
    provenance = Provenance(section.choice("source", SOURCES, "guidance"), section.date("verified_on", default_date))
    facts = _phrases(path, "letter_templates.facts", section._get("facts", lambda v: True, ""), LADDER_CATEGORIES)
    demands = _phrases(path, "letter_templates.demands", section._get("demands", lambda v: True, ""), DEMAND_KEYS)
    items = section._get("templates", lambda v: isinstance(v, list) and len(v) > 0, "a non-empty list")
    step_keys = {step.key for step in escalation}
    fields = (
        "key",
        "version",
        "for_steps",
        "addressee",
        "respondent_if_not_institution",
        "send_via",
        "subject",
        "paragraphs",
        "source",
        "verified_on",
    )
    keys: set[str] = set()
    covered: dict[str, str] = {}
    templates = []
    for index, item in enumerate(items):
        reader = _Reader(path, f"letter_templates.templates[{index}]", item, fields)
        key = reader.key("key")
        _unique(path, reader.record, "key", keys, key)
        for_steps = reader.text_list("for_steps")
        for step_key in for_steps:
            if step_key not in step_keys:
                known = ", ".join(sorted(step_keys))
                raise reader.fail("for_steps", f"{step_key!r} is not an escalation step key ({known})")
            if step_key in covered:
                raise reader.fail("for_steps", f"step {step_key!r} already has the template {covered[step_key]!r}")
            covered[step_key] = key
        respondent = reader.text("respondent_if_not_institution", None)
        templates.append(
            LetterTemplate(
                key=key,
                version=reader.integer("version"),
                for_steps=for_steps,
                addressee=_placeholders(reader, "addressee", reader.text("addressee")),
                send_via=_placeholders(reader, "send_via", reader.text("send_via")),
                subject=_placeholders(reader, "subject", reader.text("subject")),
                paragraphs=tuple(
                    _placeholders(reader, f"paragraphs[{i}]", text)
                    for i, text in enumerate(reader.text_list("paragraphs"))
                ),
                provenance=Provenance(  # a template's provenance defaults to the section's
                    reader.choice("source", SOURCES, provenance.source),
                    reader.date("verified_on", provenance.verified_on),
                ),
                respondent_if_not_institution=(
                    _placeholders(reader, "respondent_if_not_institution", respondent) if respondent else None
                ),
            )
        )
    missing = sorted(step_keys - set(covered))
    if missing:
        raise SeedError(path, "letter_templates.templates", "for_steps", f"no template for the step {missing[0]!r}")
    return LetterKit(tuple(templates), facts, demands, provenance)
