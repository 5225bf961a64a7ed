"""Fresh-set NLU accuracy on the shipped model (issue 12).

tests/nlu/fresh_hidden.yml was written apart from the training data, before any tuning, and was
never looked at while tuning; its wallets are labelled with platform keys. The floors are the
figures measured on it (2026-12-02, reports/nlu.md) minus a small margin, so a regression fails
here. Intent is counted as deployed (an nlu_fallback is a miss): measured 0.919 (0.936 with the
fallback undone), short of the issue's 0.97 target; wallet exact measured 1.000 (62 messages).
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, RunningServers, report_figure
from tests.e2e.nlu_scoring import score

pytestmark = pytest.mark.e2e

INTENT_ACCURACY_FLOOR = 0.90  # target 0.97, not reached: see the docstring
WALLET_EXACT_FLOOR = 0.98


def test_fresh_hidden_intent_and_wallet_accuracy(servers: RunningServers) -> None:
    result = score(servers, ROOT / "tests" / "nlu" / "fresh_hidden.yml")
    report_figure(
        f"fresh hidden intent accuracy {result.intent_accuracy:.3f} ({result.examples} examples), "
        f"wallet exact {result.wallet_accuracy:.3f} ({result.wallet_total})"
    )
    assert result.intent_accuracy >= INTENT_ACCURACY_FLOOR, "\n".join(result.misses)
    assert result.wallet_accuracy >= WALLET_EXACT_FLOOR, "\n".join(result.misses)
