"""Where each case of a conversation stands on its ladder, and the one codec of the slot that holds it.

A case is one problem with one wallet ("alipay", "topup_failure"). Its progress is the steps the
assistant gave and the steps the user says they took. The `case_progress` slot holds the progress
of every case in the conversation, so switching wallets keeps each case's history:

    {"v": 1, "cases": {"alipay/topup_failure": {
        "given": ["platform_support", "platform_supervisor"],
        "taken": [{"step": "platform_support", "on": "2026-11-25", "ticket": "T1", "outcome": "waiting"}]}}}

`decode` accepts only this version; anything else (an older or a damaged value) reads as no
progress, so the user starts the ladder again rather than being sent a step they never got.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from typing import Any, Mapping, Optional

from assistant_core.records import StepTried

logger = logging.getLogger(__name__)

CASE_PROGRESS_VERSION = 1
UNKNOWN_WALLET = "any"
"""The wallet part of the key (and of a stored case file) when the wallet is not known."""


def case_key(wallet: Optional[str], problem: str) -> str:
    """The key of one case in the slot: 'alipay/topup_failure', 'any/fund_security'."""
    return f"{wallet or UNKNOWN_WALLET}/{problem}"


@dataclass(frozen=True)
class LadderProgress:
    """The steps given to the user (in order) and the steps they say they took, for one case."""

    given: tuple[str, ...] = ()
    taken: tuple[StepTried, ...] = ()

    @property
    def step_keys(self) -> frozenset[str]:
        """Every step given or taken."""
        return frozenset((*self.given, *(s.step_key for s in self.taken)))

    def with_given(self, step_key: str) -> "LadderProgress":
        """This progress after giving `step_key` (no repeats, order kept)."""
        return self if step_key in self.given else replace(self, given=(*self.given, step_key))

    def with_taken(self, tried: StepTried) -> "LadderProgress":
        """This progress after the user took `tried` (replacing what they said earlier of that step)."""
        kept = tuple(s for s in self.taken if s.step_key != tried.step_key)
        return replace(self, taken=(*kept, tried))


def decode(value: Any) -> dict[str, LadderProgress]:
    """The progress of every case, from the slot's value; empty for no value or an unknown form."""
    if value in (None, {}, []):
        return {}
    if not isinstance(value, Mapping) or value.get("v") != CASE_PROGRESS_VERSION:
        logger.warning(
            "case_progress slot holds an unknown form (%s); reading it as no progress. "
            "Only version %s is understood: migrate old trackers or let them start their ladder again.",
            type(value).__name__,
            CASE_PROGRESS_VERSION,
        )
        return {}
    cases: dict[str, LadderProgress] = {}
    for key, item in (value.get("cases") or {}).items():
        if not isinstance(item, Mapping):
            continue
        given = tuple(str(s) for s in item.get("given") or () if s)
        taken = tuple(
            StepTried.from_json(t) for t in item.get("taken") or () if isinstance(t, Mapping) and t.get("step")
        )
        cases[str(key)] = LadderProgress(given, taken)
    return cases


def encode(cases: Mapping[str, LadderProgress]) -> dict[str, Any]:
    """The slot's value for the progress of every case."""
    return {
        "v": CASE_PROGRESS_VERSION,
        "cases": {key: {"given": list(p.given), "taken": [s.to_json() for s in p.taken]} for key, p in cases.items()},
    }
