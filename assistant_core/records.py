"""Plain frozen records: what the seed holds and what the store returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Mapping, Optional

PLATFORM_CONTACT = "platform"
"""An escalation step whose contact is the wallet's own hotline and in-app route."""


SOURCE_KINDS = ("article", "page", "guidance")
"""article: the seed article (a named passage); page: a public web page; guidance: our own advice."""


@dataclass(frozen=True)
class Source:
    """Where facts come from, declared once in the seed's `sources` and cited by key."""

    key: str
    kind: str
    title: str
    url: Optional[str] = None
    passage: Optional[str] = None
    read_on: Optional[dt.date] = None

    def citation(self) -> str:
        """One line a reader can check: title, passage or address, date read."""
        parts = [self.title]
        if self.passage:
            parts.append(f"passage: {self.passage}")
        if self.url:
            parts.append(self.url)
        if self.read_on:
            parts.append(f"read {self.read_on.isoformat()}")
        return " · ".join(parts)


@dataclass(frozen=True)
class Provenance:
    """The key of the fact's source and the day someone last checked the fact against it."""

    source: str
    verified_on: dt.date


PLATFORM_FACTS = ("hotline", "hotline_note", "in_app_route", "website", "operator", "is_payment_institution")
"""A platform's fact fields; each one present carries its own provenance."""


@dataclass(frozen=True)
class Platform:
    key: str
    name: str
    hotline: str
    is_payment_institution: Optional[bool]
    """None when not verified: letters then name no licensed company."""
    provenance: Mapping[str, Provenance]
    """Fact field (see PLATFORM_FACTS) → where it comes from."""
    position: int = 0
    aliases: tuple[str, ...] = ()
    operator: Optional[str] = None
    """The company's full name, only when verified; letters stay neutral without it."""
    in_app_route: Optional[str] = None
    website: Optional[str] = None
    hotline_note: Optional[str] = None
    """What the number is, when it is not a dedicated wallet line."""


@dataclass(frozen=True)
class Product:
    """A credit or fund product reached inside a wallet's app, run by its own licensed company."""

    key: str
    name: str
    platform_key: str
    aliases: tuple[str, ...]
    description: str
    provenance: Provenance
    operator: Optional[str] = None
    """The company that runs it, only when verified; letters stay neutral without it."""


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

    def advice_items_of_kind(self, kind: str) -> tuple[AdviceItem, ...]:
        """The advice items of one kind (self_check, urgent, prevention, guidance), in order."""
        return tuple(sorted((a for a in self.advice if a.kind == kind), key=lambda a: a.position))

    def advice_of_kind(self, kind: str) -> tuple[str, ...]:
        """Texts of one advice kind, in order."""
        return tuple(a.text for a in self.advice_items_of_kind(kind))


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
    suggested_wait_days: Optional[int]
    """The assistant's own suggestion of how long to give this step; not an official time limit."""
    legal: bool
    provenance: Provenance
    wallets: tuple[str, ...] = ()
    """Only for these platforms (empty: every platform)."""
    except_wallets: tuple[str, ...] = ()
    """Not for these platforms (they have their own step at this position)."""
    said_as: tuple[str, ...] = ()
    """How users say they took this step ("派出所", "消协"): words, not facts; its numbers come from `contact`."""

    def applies_to(self, platform_key: Optional[str]) -> bool:
        """True when the step is on the ladder of this platform (None: wallet not known yet)."""
        if platform_key is None:
            return not self.wallets
        return (not self.wallets or platform_key in self.wallets) and platform_key not in self.except_wallets

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
class Unverified:
    """Something we looked for and could not confirm, so the assistant does not say it."""

    topic: str
    note: str
    checked_on: dt.date


@dataclass(frozen=True)
class Seed:
    """A whole, validated seed file."""

    version: int
    platforms: tuple[Platform, ...]
    categories: tuple[Category, ...]
    evidence: tuple[EvidenceItem, ...]
    escalation: tuple[EscalationStep, ...]
    notices: tuple[Notice, ...]
    sources: tuple[Source, ...] = ()
    products: tuple[Product, ...] = ()
    letters: Optional["LetterKit"] = None
    unverified: tuple[Unverified, ...] = ()


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
    respondent_unverified: Optional[str] = None
    """Who the letter names when the company's full name is not verified (e.g. a product's operator)."""


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

    def to_json(self) -> dict[str, Optional[str]]:
        """The one JSON form of a step taken: in the `case_progress` slot and in stored case files."""
        return {
            "step": self.step_key,
            "on": self.on.isoformat() if self.on else None,
            "ticket": self.ticket_id,
            "outcome": self.outcome,
        }

    @classmethod
    def from_json(cls, item: Mapping[str, Any]) -> "StepTried":
        """Back from `to_json()`; a missing or malformed date is None."""
        on = item.get("on")
        try:
            day = dt.date.fromisoformat(on) if isinstance(on, str) and on else None
        except ValueError:
            day = None
        ticket = item.get("ticket")
        return cls(
            step_key=str(item["step"]),
            on=day,
            ticket_id=str(ticket) if ticket else None,
            outcome=str(item.get("outcome") or STEP_OUTCOME_UNRESOLVED),
        )


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
