"""Held-out NLU accuracy (tests/nlu/holdout.yml is never trained on)."""

from __future__ import annotations

import pytest
from rasa.shared.nlu.training_data.loading import load_data

from actions.knowledge.nlu_aliases import wallet_aliases
from actions.knowledge.seed import load_seed
from tests.conftest import ROOT, SEED_PATH, RunningServers, report_figure

pytestmark = pytest.mark.e2e

INTENT_ACCURACY_FLOOR = 0.90
WALLET_ACCURACY_FLOOR = 0.95


def test_held_out_intent_and_wallet_accuracy(servers: RunningServers) -> None:
    examples = load_data(str(ROOT / "tests" / "nlu" / "holdout.yml")).training_examples
    # The held-out file annotates what people wrote (支付包); the assistant must answer with the key.
    seed = load_seed(SEED_PATH)
    key_of = {
        alias.casefold(): key
        for key, aliases in wallet_aliases(seed.platforms, seed.products).items()
        for alias in aliases
    }
    intent_hits, wallet_hits, wallet_total, misses = 0, 0, 0, []
    for example in examples:
        text, expected = example.get("text"), example.get("intent")
        parsed = servers.parse(text)
        predicted = parsed["intent"]["name"]
        if predicted == expected:
            intent_hits += 1
        else:
            misses.append(f"{text} → {predicted} (want {expected})")
        wanted = {key_of[str(e["value"]).casefold()] for e in example.get("entities") or []}
        if wanted:
            wallet_total += 1
            wallet_hits += {e["value"] for e in parsed["entities"] if e["entity"] == "wallet"} == wanted
    intent_accuracy = intent_hits / len(examples)
    wallet_accuracy = wallet_hits / wallet_total
    report_figure(
        f"held-out intent accuracy {intent_accuracy:.3f} ({len(examples)} examples), "
        f"wallet accuracy {wallet_accuracy:.3f} ({wallet_total})"
    )
    assert intent_accuracy >= INTENT_ACCURACY_FLOOR, "\n".join(misses)
    assert wallet_accuracy >= WALLET_ACCURACY_FLOOR
