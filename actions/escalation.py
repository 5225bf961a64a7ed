"""The escalation ladder: which step comes next, given the steps already given."""

from __future__ import annotations

from typing import Iterable, Optional, Sequence

from assistant_core.records import EscalationStep


def case_prefix(wallet: Optional[str], problem: str) -> str:
    """A complaint case is one problem with one wallet, e.g. 'alipay:topup_failure:'."""
    return f"{wallet or 'any'}:{problem}:"


def given_step_keys(wallet: Optional[str], problem: str, markers: Optional[Iterable[str]]) -> set[str]:
    """Keys of the steps already given for this wallet and problem."""
    prefix = case_prefix(wallet, problem)
    return {m[len(prefix) :] for m in (markers or ()) if isinstance(m, str) and m.startswith(prefix)}


def next_step(ladder: Sequence[EscalationStep], already_given: set[str]) -> Optional[EscalationStep]:
    """The first step on the ladder not given yet, or None past the last one."""
    for step in ladder:
        if step.key not in already_given:
            return step
    return None


def remember(markers: Optional[Iterable[str]], wallet: Optional[str], problem: str, step: EscalationStep) -> list[str]:
    """The slot value after giving `step` (no duplicates, order kept)."""
    current = [m for m in (markers or ()) if isinstance(m, str)]
    marker = case_prefix(wallet, problem) + step.key
    return current if marker in current else [*current, marker]
