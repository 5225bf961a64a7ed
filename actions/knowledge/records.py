"""Plain frozen records: what the seed holds and what the store returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Optional

PLATFORM_CONTACT = "platform"
"""An escalation step whose contact is the wallet's own hotline and in-app route."""


@dataclass(frozen=True)
class Provenance:
    source: str
    verified_on: dt.date


@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    operator: str
    hotline: str
    in_app_route: str
    website: str
    is_payment_institution: bool
    provenance: Provenance
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class AdviceItem:
    category_key: str
    kind: str
    position: int
    text: str
    provenance: Provenance


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    summary: str
    provenance: Provenance
    advice: tuple[AdviceItem, ...] = ()

    def advice_of_kind(self, kind: str) -> tuple[str, ...]:
        """Texts of one advice kind (self_check, urgent, prevention, guidance), in order."""
        items = sorted((a for a in self.advice if a.kind == kind), key=lambda a: a.position)
        return tuple(a.text for a in items)


@dataclass(frozen=True)
class EvidenceItem:
    category_key: str
    platform_key: Optional[str]
    position: int
    text: str
    provenance: Provenance


@dataclass(frozen=True)
class EscalationStep:
    category_key: str
    position: int
    key: str
    title: str
    contact: str
    when_to_use: str
    advice: str
    wait_days: Optional[int]
    legal: bool
    provenance: Provenance

    @property
    def uses_platform_contact(self) -> bool:
        """True when the contact is the wallet's own support, filled in per platform."""
        return self.contact == PLATFORM_CONTACT


@dataclass(frozen=True)
class Notice:
    key: str
    text: str
    provenance: Provenance


@dataclass(frozen=True)
class Seed:
    """A whole, validated seed file."""

    version: int
    platforms: tuple[Platform, ...]
    categories: tuple[Category, ...]
    evidence: tuple[EvidenceItem, ...]
    escalation: tuple[EscalationStep, ...]
    notices: tuple[Notice, ...]
    extra: dict[str, str] = field(default_factory=dict)
