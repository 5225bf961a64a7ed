"""Fresh-set NLU accuracy on the shipped model (issue 12).

tests/nlu/fresh_hidden.yml was written apart from the training data, before any tuning, and was
never looked at while tuning; its wallets are labelled with platform keys. The floors are the
figures measured on it (2026-12-02, reports/nlu.md) minus a small margin, so a regression fails
here. Intent is counted as deployed (an nlu_fallback is a miss): measured 0.919 (0.936 with the
fallback undone), short of the issue's 0.97 target; wallet exact measured 1.000 (62 messages).
"""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from tests.conftest import ROOT, RunningServers, report_figure

pytestmark = pytest.mark.e2e

INTENT_ACCURACY_FLOOR = 0.90  # target 0.97, not reached: see the docstring
WALLET_EXACT_FLOOR = 0.98


def test_fresh_hidden_intent_and_wallet_accuracy(servers: RunningServers) -> None:
    examples = load_data(str(ROOT / "tests" / "nlu" / "fresh_hidden.yml")).training_examples
    intent_hits, wallet_hits, wallet_total, misses = 0, 0, 0, []
    for example in examples:
        text, expected = example.get("text"), example.get("intent")
        parsed = servers.parse(text)
        predicted = parsed["intent"]["name"]
        if predicted == expected:
            intent_hits += 1
        else:
            misses.append(f"{text} → {predicted} (want {expected})")
        wanted = {str(e["value"]) for e in example.get("entities") or []}
        found = {e["value"] for e in parsed["entities"] if e["entity"] == "wallet"}
        if wanted:
            wallet_total += 1
            wallet_hits += found == wanted
            if found != wanted:
                misses.append(f"{text}: wallets {sorted(found)} (want {sorted(wanted)})")
    intent_accuracy = intent_hits / len(examples)
    wallet_accuracy = wallet_hits / wallet_total
    report_figure(
        f"fresh hidden intent accuracy {intent_accuracy:.3f} ({len(examples)} examples), "
        f"wallet exact {wallet_accuracy:.3f} ({wallet_total})"
    )
    assert intent_accuracy >= INTENT_ACCURACY_FLOOR, "\n".join(misses)
    assert wallet_accuracy >= WALLET_EXACT_FLOOR, "\n".join(misses)
