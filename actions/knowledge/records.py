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
    letters: Optional["LetterKit"] = None


# --- Complaint letters --------------------------------------------------------------------------

LETTER_PLACEHOLDERS = (
    "addressee",
    "respondent",
    "wallet_name",
    "operator",
    "hotline",
    "in_app_route",
    "website",
    "problem_name",
    "incident_time",
    "amount",
    "order_id",
    "facts",
    "account",
    "steps_tried",
    "tickets",
    "demands",
    "attachments",
    "wait_days",
    "today",
)
"""The `{placeholders}` a letter template may use: what the letter renderer fills in."""


@dataclass(frozen=True)
class LetterTemplate:
    """A complaint letter for one kind of addressee, chosen by the escalation step reached."""

    key: str
    version: int
    for_steps: tuple[str, ...]
    addressee: str
    send_via: str
    subject: str
    paragraphs: tuple[str, ...]
    provenance: Provenance
    respondent_if_not_institution: Optional[str] = None


@dataclass(frozen=True)
class LetterKit:
    """The seed's `letter_templates` section: the templates and the phrases they are filled with."""

    templates: tuple[LetterTemplate, ...]
    facts: dict[str, str]
    """Problem category → the statement of what happened."""
    demands: dict[str, str]
    """Demand key (refund, unfreeze, …) → how the letter words it."""
    provenance: Provenance

    def template_for_step(self, step_key: str) -> Optional[LetterTemplate]:
        """The template whose addressee handles this escalation step."""
        return next((t for t in self.templates if step_key in t.for_steps), None)


# --- Case files ---------------------------------------------------------------------------------

STEP_OUTCOME_UNRESOLVED = "unresolved"
STEP_OUTCOME_WAITING = "waiting"


@dataclass(frozen=True)
class StepTried:
    """An escalation step the user took: when, the ticket number, and how it went."""

    step_key: str
    on: Optional[dt.date] = None
    ticket_id: Optional[str] = None
    outcome: str = STEP_OUTCOME_UNRESOLVED


@dataclass(frozen=True)
class CaseRecord:
    """One complaint case (a problem with one wallet) of one conversation, as stored."""

    conversation_id: str
    wallet: str
    problem: str
    step_reached: Optional[str] = None
    step_position: Optional[int] = None
    amount: Optional[str] = None
    incident_time: Optional[str] = None
    order_id: Optional[str] = None
    demands: tuple[str, ...] = ()
    ticket_ids: tuple[str, ...] = ()
    steps_tried: tuple[StepTried, ...] = ()
    letter_template: Optional[str] = None
    letter_version: Optional[int] = None
    letters_written: int = 0


@dataclass(frozen=True)
class CaseCount:
    """Anonymised statistics: how many cases reached a step, per problem and wallet."""

    problem: str
    wallet: str
    step_reached: str
    step_position: Optional[int]
    cases: int
