"""Plain frozen records: what the seed holds and what the store returns."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Mapping, Optional

if TYPE_CHECKING:
    from assistant_core.letter_records import LetterKit

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
    """The key of the fact's source and the day someone last checked the fact against it.

    The project's own guidance has no check date (None): there is nothing outside to check it against."""

    source: str
    verified_on: Optional[dt.date]


PLATFORM_FACTS = (
    "hotline",
    "hotline_label",
    "hotline_note",
    "in_app_route",
    "website",
    "operator",
    "is_payment_institution",
)
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
    hotline_label: Optional[str] = None
    """How the number is labelled when it is not the wallet's customer-service line
    ("Apple 中国区电话，不处理银行卡扣款"); None: "{name}客服电话"."""

    @property
    def hotline_title(self) -> str:
        """What to print before the number: the label, or "{name}客服电话"."""
        return self.hotline_label or f"{self.name}客服电话"


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


def applies_to_wallet(platform_key: Optional[str], wallets: tuple[str, ...], except_wallets: tuple[str, ...]) -> bool:
    """True when a record scoped to `wallets` (empty: all) and not to `except_wallets` is for this
    platform; with no platform known yet, only the records meant for every wallet."""
    if platform_key is None:
        return not wallets
    return (not wallets or platform_key in wallets) and platform_key not in except_wallets


@dataclass(frozen=True)
class AdviceItem:
    category_key: str
    kind: str
    position: int
    text: str
    provenance: Provenance
    wallets: tuple[str, ...] = ()
    """Only for these platforms (empty: every platform): no wallet is told what its operator cannot do."""
    except_wallets: tuple[str, ...] = ()

    def applies_to(self, platform_key: Optional[str]) -> bool:
        return applies_to_wallet(platform_key, self.wallets, self.except_wallets)


@dataclass(frozen=True)
class Category:
    key: str
    name: str
    summary: str
    provenance: Provenance
    advice: tuple[AdviceItem, ...] = ()

    def advice_items_of_kind(self, kind: str) -> tuple[AdviceItem, ...]:
        """All advice items of one kind (self_check, urgent, prevention, guidance), in order, any scope."""
        return tuple(sorted((a for a in self.advice if a.kind == kind), key=lambda a: a.position))

    def advice_of_kind(self, kind: str, platform_key: Optional[str] = None) -> tuple[str, ...]:
        """Texts of one advice kind for this wallet (None: not known yet, only the general items), in order."""
        return tuple(a.text for a in self.advice_items_of_kind(kind) if a.applies_to(platform_key))


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
    products: tuple[str, ...] = ()
    """Only when the case is about one of these products (花呗 …): the regulator that fits the product."""
    except_products: tuple[str, ...] = ()
    """Not when the case is about one of these products (they have their own step at this position)."""

    def applies_to(self, platform_key: Optional[str], product_key: Optional[str] = None) -> bool:
        """True when the step is on the ladder of this platform (None: wallet not known yet) and product."""
        if not applies_to_wallet(platform_key, self.wallets, self.except_wallets):
            return False
        if product_key is None:
            return not self.products
        return (not self.products or product_key in self.products) and product_key not in self.except_products

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
    """The seed's `letter_templates` section (assistant_core/letter_records.py)."""
    unverified: tuple[Unverified, ...] = ()


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
