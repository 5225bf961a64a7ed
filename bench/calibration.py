"""FallbackClassifier thresholds chosen on cross-validation predictions.

A message is answered if its best intent is confident enough (`threshold`) and clear enough of
the second best (`ambiguity_threshold`); otherwise the bot asks which problem it is, with buttons.
A wrong answer sends the user down the wrong ladder, a question costs one tap: so a wrong answer
counts WRONG_COST, an unneeded question ASK_COST, and the pair with the lowest total cost wins
(ties: the lower thresholds, which ask less).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Sequence

from bench.classifiers import Prediction
from bench.nlu_data import Example

WRONG_COST = 1.0
ASK_COST = 0.35
THRESHOLDS = tuple(round(0.30 + 0.05 * i, 2) for i in range(13))  # 0.30 … 0.90
AMBIGUITIES = (0.0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3)


@dataclass(frozen=True)
class Operating:
    """Outcome of one (threshold, ambiguity) pair on the CV predictions."""

    threshold: float
    ambiguity: float
    answered_right: float
    answered_wrong: float
    asked: float
    cost: float


def operating_point(
    examples: Sequence[Example], predictions: Sequence[Prediction], threshold: float, ambiguity: float
) -> Operating:
    right = wrong = asked = 0
    for example, prediction in zip(examples, predictions, strict=True):
        if prediction.confidence < threshold or prediction.margin < ambiguity:
            asked += 1
        elif prediction.intent == example.intent:
            right += 1
        else:
            wrong += 1
    n = len(examples)
    cost = (WRONG_COST * wrong + ASK_COST * asked) / n
    return Operating(threshold, ambiguity, right / n, wrong / n, asked / n, cost)


def sweep(examples: Sequence[Example], predictions: Sequence[Prediction]) -> List[Operating]:
    """Every pair of the grid, cheapest first."""
    points = [operating_point(examples, predictions, t, a) for t in THRESHOLDS for a in AMBIGUITIES]
    return sorted(points, key=lambda p: (round(p.cost, 6), p.threshold, p.ambiguity))
