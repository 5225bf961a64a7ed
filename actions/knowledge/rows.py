"""Records to rows and back, derived from the table's columns and the record's fields.

A column and a record field of the same name hold the same value; a record's tuples are JSON
lists in the row; a `Provenance` is the row's `source` and `verified_on`. So each record's
fields are declared once (its dataclass in assistant_core/records.py) and each table's columns
once (actions/knowledge/schema.py): import, reads and the case store all go through here.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Mapping, TypeVar

from sqlalchemy import Table

from assistant_core.records import Provenance

R = TypeVar("R")

_PROVENANCE_COLUMNS = ("source", "verified_on")


def provenance_columns(provenance: Provenance) -> dict[str, Any]:
    """The `source` and `verified_on` columns of a fact."""
    return {"source": provenance.source, "verified_on": provenance.verified_on}


def record_row(table: Table, record: Any, **extra: Any) -> dict[str, Any]:
    """The row of `table` for `record`: each column from the field of its name, or from `extra`."""
    row: dict[str, Any] = {}
    for column in table.columns:
        name = column.name
        if name in extra:
            row[name] = extra[name]
        elif name in _PROVENANCE_COLUMNS and isinstance(getattr(record, "provenance", None), Provenance):
            row[name] = provenance_columns(record.provenance)[name]
        elif hasattr(record, name):
            value = getattr(record, name)
            row[name] = list(value) if isinstance(value, tuple) else value
    return row


def row_record(cls: type[R], row: Any, **extra: Any) -> R:
    """The record `cls` from a row: each field from the column of its name, or from `extra`."""
    columns: Mapping[str, Any] = row._mapping
    values: dict[str, Any] = {}
    for field in dataclasses.fields(cls):  # type: ignore[arg-type]
        name = field.name
        if name in extra:
            values[name] = extra[name]
        elif name == "provenance" and "source" in columns:
            values[name] = Provenance(columns["source"], columns["verified_on"])
        elif name in columns:
            value = columns[name]
            values[name] = tuple(value) if isinstance(value, list) else value
    return cls(**values)
