"""The seed's `letter_templates` section: facts per problem, demand wording, templates per step."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Mapping

from assistant_core.letter_records import LETTER_PLACEHOLDERS, FactVariant, LetterKit, LetterTemplate
from assistant_core.records import EscalationStep, Source
from assistant_core.seed_reader import RecordReader, SeedError, guidance_problem, seed_fields

TEMPLATE_FIELDS = seed_fields(LetterTemplate)
SECTION_FIELDS = ("facts", "fact_variants", "demands", "templates", "source", "verified_on")


def _placeholders(reader: RecordReader, field: str, text: str) -> str:
    """Refuse a template text with unknown `{placeholders}` or broken braces."""
    try:
        used = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as exc:
        raise reader.fail(field, f"is not a valid template ({exc}); write a literal brace as {{{{ or }}}}") from None
    unknown = sorted(used - set(LETTER_PLACEHOLDERS))
    if unknown:
        raise reader.fail(field, f"unknown placeholder {{{unknown[0]}}} (allowed: {', '.join(LETTER_PLACEHOLDERS)})")
    return text


def _guidance_free(reader: RecordReader, field: str, text: str, source: Source) -> str:
    if source.kind == "guidance":
        problem = guidance_problem(text)
        if problem:
            raise reader.fail(field, problem)
    return text


def _template_text(reader: RecordReader, field: str, source: Source, default: Any = ...) -> Any:
    """A template field: known placeholders only, and no facts when the source is guidance."""
    value = reader.text(field, default)
    if value is None:
        return None
    return _guidance_free(reader, field, _placeholders(reader, field, value), source)


def _phrases(path: Path, record: str, data: Any, required: tuple[str, ...], source: Source) -> dict[str, str]:
    reader = RecordReader(path, record, data, required)
    return {key: _guidance_free(reader, key, _placeholders(reader, key, reader.text(key)), source) for key in required}


def parse_letters(
    path: Path,
    data: Any,
    sources: Mapping[str, Source],
    escalation: tuple[EscalationStep, ...],
    problems: tuple[str, ...],
    demand_keys: tuple[str, ...],
    platform_keys: set[str],
) -> LetterKit:
    """Parse and check the section; every escalation step key needs exactly one template, and at
    most one more per wallet (`for_wallet_steps`)."""
    section = RecordReader(path, "letter_templates", data, SECTION_FIELDS)
    provenance = section.provenance(sources)
    source = sources[provenance.source]
    facts = _phrases(path, "letter_templates.facts", section.get("facts", lambda v: True, ""), problems, source)
    demands = _phrases(
        path, "letter_templates.demands", section.get("demands", lambda v: True, ""), demand_keys, source
    )
    variants = _fact_variants(
        path, section.get("fact_variants", lambda v: isinstance(v, Mapping), "a mapping", {}), problems, sources
    )
    items = section.get("templates", lambda v: isinstance(v, list) and len(v) > 0, "a non-empty list")
    step_keys = {step.key for step in escalation}
    keys: set[str] = set()
    covered: dict[str, str] = {}
    covered_for_wallet: dict[tuple[str, str], str] = {}
    templates = []
    for index, item in enumerate(items):
        reader = RecordReader(path, f"letter_templates.templates[{index}]", item, TEMPLATE_FIELDS)
        key = reader.key("key")
        if key in keys:
            raise reader.fail("key", f"duplicate value {key!r}")
        keys.add(key)
        for_steps = reader.text_list("for_steps")
        for step_key in for_steps:
            if step_key not in step_keys:
                known = ", ".join(sorted(step_keys))
                raise reader.fail("for_steps", f"{step_key!r} is not an escalation step key ({known})")
            if step_key in covered:
                raise reader.fail("for_steps", f"step {step_key!r} already has the template {covered[step_key]!r}")
            covered[step_key] = key
        for_wallet_steps = _wallet_steps(reader, platform_keys, step_keys, covered_for_wallet, key)
        template_provenance = reader.provenance(sources)
        template_source = sources[template_provenance.source]

        templates.append(
            LetterTemplate(
                key=key,
                version=reader.integer("version"),
                for_steps=for_steps,
                addressee=_template_text(reader, "addressee", template_source),
                send_via=_template_text(reader, "send_via", template_source),
                subject=_template_text(reader, "subject", template_source),
                paragraphs=tuple(
                    _guidance_free(
                        reader, f"paragraphs[{i}]", _placeholders(reader, f"paragraphs[{i}]", p), template_source
                    )
                    for i, p in enumerate(reader.text_list("paragraphs"))
                ),
                provenance=template_provenance,
                respondent_if_not_institution=_template_text(
                    reader, "respondent_if_not_institution", template_source, None
                ),
                respondent_unverified=_template_text(reader, "respondent_unverified", template_source, None),
                for_wallet_steps=for_wallet_steps,
                before_sending=_template_text(reader, "before_sending", template_source, None),
            )
        )
    missing = sorted(step_keys - set(covered))
    if missing:
        raise SeedError(path, "letter_templates.templates", "for_steps", f"no template for the step {missing[0]!r}")
    return LetterKit(tuple(templates), facts, demands, provenance, variants)


def _wallet_steps(
    reader: RecordReader,
    platform_keys: set[str],
    step_keys: set[str],
    covered: dict[tuple[str, str], str],
    template_key: str,
) -> dict[str, tuple[str, ...]]:
    """`for_wallet_steps`: wallet → the steps this template serves for that wallet only."""
    data = reader.get("for_wallet_steps", lambda v: isinstance(v, Mapping), "a mapping of wallet: [step keys]", {})
    result: dict[str, tuple[str, ...]] = {}
    for wallet, steps in data.items():
        field = f"for_wallet_steps.{wallet}"
        if wallet not in platform_keys:
            raise reader.fail(field, f"{wallet!r} is not a platform key ({', '.join(sorted(platform_keys))})")
        if not isinstance(steps, list) or not steps or not all(isinstance(k, str) for k in steps):
            raise reader.fail(field, "must be a non-empty list of escalation step keys")
        for step_key in steps:
            if step_key not in step_keys:
                raise reader.fail(field, f"{step_key!r} is not an escalation step key ({', '.join(sorted(step_keys))})")
            if (wallet, step_key) in covered:
                raise reader.fail(field, f"step {step_key!r} already has the template {covered[(wallet, step_key)]!r}")
            covered[(wallet, step_key)] = template_key
        result[str(wallet)] = tuple(steps)
    return result


def _fact_variants(
    path: Path, data: Mapping[str, Any], problems: tuple[str, ...], sources: Mapping[str, Source]
) -> tuple[FactVariant, ...]:
    """`fact_variants`: per problem, statements more exact than its `facts` one, each with the words
    that select it and its own source."""
    result: list[FactVariant] = []
    for problem, items in data.items():
        record = f"letter_templates.fact_variants.{problem}"
        if problem not in problems:
            raise SeedError(path, record, "*", f"{problem!r} is not a problem ({', '.join(problems)})")
        if not isinstance(items, list) or not items:
            raise SeedError(path, record, "*", "must be a non-empty list of {key, said_as, text, source, verified_on}")
        keys: set[str] = set()
        for index, item in enumerate(items):
            reader = RecordReader(path, f"{record}[{index}]", item, seed_fields(FactVariant, "category_key"))
            key = reader.key("key")
            if key in keys:
                raise reader.fail("key", f"duplicate value {key!r}")
            keys.add(key)
            provenance = reader.provenance(sources)
            text = _guidance_free(
                reader, "text", _placeholders(reader, "text", reader.text("text")), sources[provenance.source]
            )
            result.append(FactVariant(str(problem), key, reader.text_list("said_as"), text, provenance))
    return tuple(result)
