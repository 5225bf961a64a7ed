"""Fresh-set NLU accuracy on the shipped model (issue 12).

The fresh sets were written apart from the training data, in users' own style, by authors who saw
only a brief and never data/nlu or the other sets. Their sealed parts are never trained on and never
looked at while tuning, so these tests print only counts for them, never a message:
tests/nlu/fresh_round6_sealed.yml (round 6, the headline figure), fresh_round5_sealed.yml (round 5)
and fresh_sealed.yml (round 3). The looked-at sets (tests/nlu/fresh_hidden.yml, fresh_round2.yml,
fresh_round4_dev.yml, fresh_round4_opened.yml: their errors have been read, some guided training
data) print their misses. Wallets are labelled
with platform keys. Intent is counted as deployed: an nlu_fallback (the bot asks which problem it
is) is a miss, which is stricter than `rasa test nlu`. The floors are the figures measured on
2026-12-03 (reports/nlu.md, README) minus a small margin, so a regression fails here.
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT, RunningServers, report_figure
from tests.e2e.nlu_scoring import score

pytestmark = pytest.mark.e2e


@pytest.mark.parametrize(
    ("name", "intent_floor", "wallet_floor"),
    [
        # Round 6, scored before and after its training data: 0.963 -> 0.972 as deployed (0.970 -> 0.988
        # undone), wallet 0.970 -> 1.000; 0.970 (0.991 undone) after older labels followed round 6's rules
        ("fresh_round6_sealed", 0.95, 0.98),
        # Round 5: 0.897 -> 0.941 as deployed after its training data, 0.958 with round 6's, 0.953 now;
        # wallet 0.992
        ("fresh_round5_sealed", 0.93, 0.98),
        # Round 3, measured once at 0.954 as deployed; 0.968-0.970 with rounds 4-6's data, wallet 1.000
        ("fresh_sealed", 0.94, 0.98),
    ],
)
def test_sealed_parts_intent_and_wallet_accuracy(
    servers: RunningServers, name: str, intent_floor: float, wallet_floor: float
) -> None:
    result = score(servers, ROOT / "tests" / "nlu" / f"{name}.yml")
    report_figure(
        f"{name} (sealed) intent accuracy {result.intent_accuracy:.3f} ({result.examples} examples), "
        f"wallet exact {result.wallet_accuracy:.3f} ({result.wallet_total})"
    )
    # Figures only: plain floats, so pytest's explanation cannot print `result` and its misses.
    intent, wallet = float(result.intent_accuracy), float(result.wallet_accuracy)
    del result
    assert intent >= intent_floor, f"{name} intent accuracy {intent:.3f} < {intent_floor}"
    assert wallet >= wallet_floor, f"{name} wallet exact {wallet:.3f} < {wallet_floor}"


@pytest.mark.parametrize(
    ("name", "intent_floor", "wallet_floor"),
    [
        ("fresh_hidden", 0.94, 0.98),  # 0.988 as deployed, wallet 1.000
        ("fresh_round2", 0.95, 0.97),  # 0.983, wallet 0.989
        ("fresh_round4_dev", 0.94, 0.98),  # 0.977 (0.886 before round 4's training data), wallet 0.994
        # Sealed until round 6 (0.917 as deployed then); its errors guided round 6's boundary rules
        ("fresh_round4_opened", 0.91, 0.98),  # 0.939, wallet 0.994
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
