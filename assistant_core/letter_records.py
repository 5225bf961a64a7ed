"""The seed's complaint letters as records: templates, the phrases that fill them, fact variants."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional, Sequence

from assistant_core.records import Provenance

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
    for_wallet_steps: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Wallet → steps this template also serves for that wallet only, in place of the general template
    (Apple Pay's police-step letter goes to the card's bank, not to Apple)."""
    before_sending: Optional[str] = None
    """What the user must add before sending (the fields the addressee requires), said with the letter."""


@dataclass(frozen=True)
class FactVariant:
    """A more exact statement of what happened, chosen when the user's own words say which it was."""

    category_key: str
    key: str
    said_as: tuple[str, ...]
    """Words that say this is what happened ("被骗", "盗刷"): cues, not facts."""
    text: str
    provenance: Provenance


@dataclass(frozen=True)
class LetterKit:
    """The seed's `letter_templates` section: the templates and the phrases they are filled with."""

    templates: tuple[LetterTemplate, ...]
    facts: dict[str, str]
    """Problem category → the statement of what happened."""
    demands: dict[str, str]
    """Demand key (refund, unfreeze, …) → how the letter words it."""
    provenance: Provenance
    fact_variants: tuple[FactVariant, ...] = ()

    def template_for_step(self, step_key: str, platform_key: Optional[str] = None) -> Optional[LetterTemplate]:
        """The template whose addressee handles this escalation step for this wallet."""
        if platform_key is not None:
            own = next((t for t in self.templates if step_key in t.for_wallet_steps.get(platform_key, ())), None)
            if own is not None:
                return own
        return next((t for t in self.templates if step_key in t.for_steps), None)

    def facts_for(self, problem: str, user_texts: Sequence[str]) -> str:
        """The statement of what happened: the one variant the user's words point to; the category's
        neutral statement when none does, or when they point to more than one."""
        said = [v for v in self.fact_variants if v.category_key == problem and _says_any(user_texts, v.said_as)]
        return said[0].text if len(said) == 1 else self.facts.get(problem, "")


def _says_any(texts: Sequence[str], words: tuple[str, ...]) -> bool:
    return any(word in text for text in texts for word in words)
