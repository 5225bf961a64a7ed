"""Held-out NLU accuracy (tests/nlu/holdout.yml is never trained on)."""

from __future__ import annotations

import pytest

from actions.knowledge.nlu_aliases import wallet_aliases
from assistant_core.seed import load_seed
from tests.conftest import ROOT, SEED_PATH, RunningServers, report_figure
from tests.e2e.nlu_scoring import score

pytestmark = pytest.mark.e2e

INTENT_ACCURACY_FLOOR = 0.90
WALLET_ACCURACY_FLOOR = 0.95


def test_held_out_intent_and_wallet_accuracy(servers: RunningServers) -> None:
    # The held-out file annotates what people wrote (支付包); the assistant must answer with the key.
    seed = load_seed(SEED_PATH)
    key_of = {
        alias.casefold(): key
        for key, aliases in wallet_aliases(seed.platforms, seed.products).items()
        for alias in aliases
    }
    result = score(servers, ROOT / "tests" / "nlu" / "holdout.yml", lambda value: key_of[value.casefold()])
    report_figure(
        f"held-out intent accuracy {result.intent_accuracy:.3f} ({result.examples} examples), "
        f"wallet accuracy {result.wallet_accuracy:.3f} ({result.wallet_total})"
    )
    assert result.intent_accuracy >= INTENT_ACCURACY_FLOOR, "\n".join(result.misses)
    assert result.wallet_accuracy >= WALLET_ACCURACY_FLOOR, "\n".join(result.misses)
