"""Typed access to one seed record, with errors that name the file, the record and the field."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from pathlib import Path
from typing import Any, Callable, Mapping, Optional

from assistant_core.records import Provenance, Source

KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")

# `guidance` is the project's own advice: it may not pass off numbers, deadlines or legal
# claims as facts. Those need an article passage or a public page as their source.
_GUIDANCE_DIGITS = re.compile(r"[0-9０-９]")
_GUIDANCE_DEADLINE = re.compile(r"[一二三四五六七八九十百两几半]+\s*个?(?:天|日|周|星期|个月|年|小时|工作日)")
_GUIDANCE_LEGAL = re.compile(r"《|依法|法定|法律规定|有权|义务|应当|必须")


SEED_NAMES = {"platform_key": "wallet", "category_key": "category", "when_to_use": "when"}
"""Record fields whose seed key is another word (the seed is written for people)."""


def seed_key(field_name: str, names: Optional[Mapping[str, str]] = None) -> str:
    """The seed's key for a record field: SEED_NAMES (or `names`) where it uses another word."""
    return {**SEED_NAMES, **(names or {})}.get(field_name, field_name)


def seed_fields(record_type: type, *skip: str, names: Optional[Mapping[str, str]] = None) -> tuple[str, ...]:
    """The keys a seed entry of `record_type` may hold, derived from the record's fields: renamed
    as the seed names them, a `provenance` as `source` + `verified_on`, `skip` left out."""
    keys: list[str] = []
    for field in dataclasses.fields(record_type):
        if field.name in skip:
            continue
        keys += ["source", "verified_on"] if field.name == "provenance" else [seed_key(field.name, names)]
    return tuple(keys)


class SeedError(ValueError):
    """A seed file that cannot be imported; the message names file, record and field."""

    def __init__(self, path: Path, record: str, field: str, problem: str) -> None:
        self.path, self.record, self.field, self.problem = path, record, field, problem
        super().__init__(f"{path}: {record}, field '{field}': {problem}")


def guidance_problem(text: str) -> str | None:
    """Why a text cannot be the project's own guidance, or None if it can."""
    for pattern, what in (
        (_GUIDANCE_DIGITS, "a number"),
        (_GUIDANCE_DEADLINE, "a time limit"),
        (_GUIDANCE_LEGAL, "a legal claim"),
    ):
        match = pattern.search(text)
        if match:
            return f"holds {what} ({match.group(0)!r}); cite an article passage or a public page as its source"
    return None


class RecordReader:
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

    def get(self, field: str, check: Callable[[Any], bool], what: str, default: Any = ...) -> Any:
        if field not in self.data or self.data[field] is None:
            if default is not ...:
                return default
            raise self.fail(field, "is missing")
        value = self.data[field]
        if not check(value):
            raise self.fail(field, f"must be {what}, got {value!r}")
        return value

    def text(self, field: str, default: Any = ...) -> Any:
        value = self.get(
            field, lambda v: isinstance(v, (str, int)) and str(v).strip() != "", "a non-empty text", default
        )
        return value if value is None else str(value).strip()

    def key(self, field: str) -> str:
        value = self.text(field)
        if not KEY_PATTERN.match(value):
            raise self.fail(field, f"must be snake_case (a-z, 0-9, _), got {value!r}")
        return value

    def integer(self, field: str, default: Any = ..., minimum: int = 1) -> Any:
        return self.get(
            field,
            lambda v: isinstance(v, int) and not isinstance(v, bool) and v >= minimum,
            f"an integer ≥ {minimum}",
            default,
        )

    def boolean(self, field: str, default: Any = ...) -> bool:
        return bool(self.get(field, lambda v: isinstance(v, bool), "true or false", default))

    def choice(self, field: str, allowed: tuple[str, ...], default: Any = ...) -> Any:
        value = self.text(field, default)
        if value is not None and value not in allowed:
            raise self.fail(field, f"must be one of {', '.join(allowed)}, got {value!r}")
        return value

    def text_list(self, field: str, default: Any = ...) -> tuple[str, ...]:
        value = self.get(field, lambda v: isinstance(v, list) and len(v) > 0, "a non-empty list", default)
        if value is default:
            return tuple(value)
        for index, item in enumerate(value):
            if not isinstance(item, str) or not item.strip():
                raise self.fail(f"{field}[{index}]", "must be a non-empty text")
        return tuple(item.strip() for item in value)

    def date(self, field: str, default: Any = ...) -> Any:
        value = self.get(field, lambda v: isinstance(v, (dt.date, str)), "a date YYYY-MM-DD", default)
        if isinstance(value, dt.date) or value is None:
            return value
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            raise self.fail(field, f"must be a date YYYY-MM-DD, got {value!r}") from None

    def provenance(self, sources: Mapping[str, Source]) -> Provenance:
        """The record's own `source` (a declared source key) and `verified_on` date: required for a fact
        (an article passage or a page), refused for the project's own guidance, where a check date
        would mean nothing."""
        source = self.text("source")
        if source not in sources:
            raise self.fail("source", f"{source!r} is not declared under `sources` ({', '.join(sorted(sources))})")
        if sources[source].kind == "guidance":
            if self.data.get("verified_on") is not None:
                raise self.fail("verified_on", "guidance is the project's own advice, not a checked fact: remove it")
            return Provenance(source=source, verified_on=None)
        return Provenance(source=source, verified_on=self.date("verified_on"))

    def sourced_text(
        self, field: str, provenance: Provenance, sources: Mapping[str, Source], default: Any = ...
    ) -> Any:
        """A text field, refused when its source is guidance and it states a number, deadline or law."""
        value = self.text(field, default)
        if value is not None and sources[provenance.source].kind == "guidance":
            problem = guidance_problem(value)
            if problem:
                raise self.fail(field, problem)
        return value


def key_scopes(
    reader: RecordReader, fields: tuple[str, str], known: set[str], what: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """An only-for list and a not-for list of keys (wallets, products), each key a known one."""
    result = []
    for field in fields:
        keys = reader.text_list(field, ())
        for key in keys:
            if key not in known:
                raise reader.fail(field, f"{key!r} is not a {what} key ({', '.join(sorted(known))})")
        result.append(keys)
    return result[0], result[1]


def wallet_scopes(reader: RecordReader, platform_keys: set[str]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The record's `wallets` (only for these) and `except_wallets` (not for these)."""
    return key_scopes(reader, ("wallets", "except_wallets"), platform_keys, "platform")
