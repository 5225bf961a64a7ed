"""The seed's `letter_templates` section: facts per problem, demand wording, templates per step."""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any, Mapping

from assistant_core.records import LETTER_PLACEHOLDERS, EscalationStep, LetterKit, LetterTemplate, Source
from assistant_core.seed_reader import RecordReader, SeedError, guidance_problem, seed_fields

TEMPLATE_FIELDS = seed_fields(LetterTemplate)


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
) -> LetterKit:
    """Parse and check the section; every escalation step key needs exactly one template."""
    section = RecordReader(path, "letter_templates", data, ("facts", "demands", "templates", "source", "verified_on"))
    provenance = section.provenance(sources)
    source = sources[provenance.source]
    facts = _phrases(path, "letter_templates.facts", section.get("facts", lambda v: True, ""), problems, source)
    demands = _phrases(
        path, "letter_templates.demands", section.get("demands", lambda v: True, ""), demand_keys, source
    )
    items = section.get("templates", lambda v: isinstance(v, list) and len(v) > 0, "a non-empty list")
    step_keys = {step.key for step in escalation}
    keys: set[str] = set()
    covered: dict[str, str] = {}
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
            )
        )
    missing = sorted(step_keys - set(covered))
    if missing:
        raise SeedError(path, "letter_templates.templates", "for_steps", f"no template for the step {missing[0]!r}")
    return LetterKit(tuple(templates), facts, demands, provenance)
