"""Fresh-set NLU accuracy on the shipped model (issue 12).

The fresh set was written apart from the training data, in users' own style. Its sealed part,
tests/nlu/fresh_sealed.yml (round 3), was written by someone who never saw data/nlu or the other
sets; it is never trained on and never looked at while tuning, so this test prints only counts for
it, never a message. tests/nlu/fresh_hidden.yml (an earlier report printed some of its errors) and
tests/nlu/fresh_round2.yml (measured once as the sealed part, then its errors guided new training
data) are looked-at sets now, and their misses are printed. Wallets are labelled with
platform keys. Intent is counted as deployed: an nlu_fallback (the bot asks which problem it is)
is a miss, which is stricter than `rasa test nlu`. The floors are the figures measured on
2026-12-02 (reports/nlu.md) minus a small margin, so a regression fails here.
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, RunningServers, report_figure
from tests.e2e.nlu_scoring import score

pytestmark = pytest.mark.e2e

SEALED_INTENT_FLOOR = 0.93  # round 3, measured once: 0.954 as deployed (0.970 with the fallback undone; target 0.97)
SEALED_WALLET_FLOOR = 0.98  # measured 1.000; target 0.99
HIDDEN_INTENT_FLOOR = 0.92  # 0.942 as deployed before round 3, 0.977 after (0.988 undone)
HIDDEN_WALLET_FLOOR = 0.98
ROUND2_INTENT_FLOOR = 0.93  # round 2's sealed part, looked at since: 0.891 as deployed then, 0.959 after round 3
ROUND2_WALLET_FLOOR = 0.97  # 0.978 then, 0.989 after round 3


def test_sealed_part_intent_and_wallet_accuracy(servers: RunningServers) -> None:
    result = score(servers, ROOT / "tests" / "nlu" / "fresh_sealed.yml")
    report_figure(
        f"fresh sealed intent accuracy {result.intent_accuracy:.3f} ({result.examples} examples), "
        f"wallet exact {result.wallet_accuracy:.3f} ({result.wallet_total})"
    )
    # Figures only: plain floats, so pytest's explanation cannot print `result` and its misses.
    intent, wallet = float(result.intent_accuracy), float(result.wallet_accuracy)
    del result
    assert intent >= SEALED_INTENT_FLOOR, f"sealed intent accuracy {intent:.3f} < {SEALED_INTENT_FLOOR}"
    assert wallet >= SEALED_WALLET_FLOOR, f"sealed wallet exact {wallet:.3f} < {SEALED_WALLET_FLOOR}"


@pytest.mark.parametrize(
    ("name", "intent_floor", "wallet_floor"),
    [
        ("fresh_hidden", HIDDEN_INTENT_FLOOR, HIDDEN_WALLET_FLOOR),
        ("fresh_round2", ROUND2_INTENT_FLOOR, ROUND2_WALLET_FLOOR),
    ],
)
def test_looked_at_fresh_sets_intent_and_wallet_accuracy(
    servers: RunningServers, name: str, intent_floor: float, wallet_floor: float
) -> None:
    result = score(servers, ROOT / "tests" / "nlu" / f"{name}.yml")
    report_figure(
        f"{name} (looked-at) intent accuracy {result.intent_accuracy:.3f} ({result.examples} examples), "
        f"wallet exact {result.wallet_accuracy:.3f} ({result.wallet_total})"
    )
    assert result.intent_accuracy >= intent_floor, "\n".join(result.misses)
    assert result.wallet_accuracy >= wallet_floor, "\n".join(result.misses)
