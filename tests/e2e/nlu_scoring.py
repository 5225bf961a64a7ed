"""Score an NLU test file against the running Rasa server: intent accuracy and exact wallet sets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, List

from rasa.shared.nlu.training_data.loading import load_data

from tests.conftest import RunningServers


@dataclass
class NluScore:
    examples: int = 0
    intent_hits: int = 0
    wallet_total: int = 0
    wallet_hits: int = 0
    misses: List[str] = field(default_factory=list)

    @property
    def intent_accuracy(self) -> float:
        return self.intent_hits / self.examples

    @property
    def wallet_accuracy(self) -> float:
        return self.wallet_hits / self.wallet_total


def score(servers: RunningServers, path: Path, wallet_key: Callable[[str], str] = str) -> NluScore:
    """Parse every example; `wallet_key` maps an annotated wallet value onto the platform key expected."""
    result = NluScore()
    for example in load_data(str(path)).training_examples:
        text, expected = example.get("text"), example.get("intent")
        parsed = servers.parse(text)
        result.examples += 1
        predicted = parsed["intent"]["name"]
        if predicted == expected:
            result.intent_hits += 1
        else:
            result.misses.append(f"{text} → {predicted} (want {expected})")
        wanted = {wallet_key(str(e["value"])) for e in example.get("entities") or [] if e["entity"] == "wallet"}
        found = {e["value"] for e in parsed["entities"] if e["entity"] == "wallet"}
        if wanted:
            result.wallet_total += 1
            result.wallet_hits += found == wanted
            if found != wanted:
                result.misses.append(f"{text}: wallets {sorted(found)} (want {sorted(wanted)})")
    return result
