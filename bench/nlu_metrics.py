"""Scores of intent predictions against labelled examples, and the confusion-matrix plot."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Dict, List, Optional, Sequence, Tuple

from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

from bench.classifiers import Prediction
from bench.nlu_data import Example


@dataclass(frozen=True)
class IntentScore:
    precision: float
    recall: float
    f1: float
    support: int


@dataclass(frozen=True)
class Summary:
    """Headline numbers of one classifier on one test set."""

    accuracy: float  # fallback undone, as `rasa test nlu` scores
    macro_f1: float
    deployed_accuracy: float  # a fallback counts as not understood
    fallback_rate: float
    wallet_accuracy: Optional[float]  # exact set of platform keys, on examples naming a wallet
    count: int


def accuracy(examples: Sequence[Example], predictions: Sequence[Prediction]) -> float:
    hits = sum(e.intent == p.intent for e, p in zip(examples, predictions, strict=True))
    return hits / len(examples) if examples else float("nan")


def per_intent(examples: Sequence[Example], predictions: Sequence[Prediction]) -> Dict[str, IntentScore]:
    """Precision, recall, F1 and support of each labelled intent."""
    labels = sorted({e.intent for e in examples})
    precision, recall, f1, support = precision_recall_fscore_support(
        [e.intent for e in examples], [p.intent for p in predictions], labels=labels, zero_division=0
    )
    return {
        label: IntentScore(float(precision[i]), float(recall[i]), float(f1[i]), int(support[i]))
        for i, label in enumerate(labels)
    }


def summarize(examples: Sequence[Example], predictions: Sequence[Prediction]) -> Summary:
    scores = per_intent(examples, predictions)
    pairs = list(zip(examples, predictions, strict=True))
    named = [(e, p) for e, p in pairs if e.wallets]
    wallet_accuracy = None
    if named and all(p.wallets is not None for _, p in named):
        wallet_accuracy = sum(e.wallets == p.wallets for e, p in named) / len(named)
    return Summary(
        accuracy=accuracy(examples, predictions),
        macro_f1=sum(s.f1 for s in scores.values()) / len(scores),
        deployed_accuracy=sum(e.intent == p.intent and not p.fallback for e, p in pairs) / len(pairs),
        fallback_rate=sum(p.fallback for p in predictions) / len(predictions),
        wallet_accuracy=wallet_accuracy,
        count=len(examples),
    )


@dataclass(frozen=True)
class PairedComparison:
    """Two classifiers on the same messages: where exactly one of them is right (McNemar's counts)."""

    only_first: int
    only_second: int
    p_value: float  # exact two-sided McNemar test: a binomial test on the discordant messages


# The significance level at which "ahead" is called clear.
CLEAR_LEAD_P = 0.05


def paired_comparison(
    examples: Sequence[Example], first: Sequence[Prediction], second: Sequence[Prediction]
) -> PairedComparison:
    """How many messages only the first gets right, only the second, and how likely so lopsided a split
    is if the two were equally good (fallback undone, as accuracy is)."""
    right = [(e.intent == a.intent, e.intent == b.intent) for e, a, b in zip(examples, first, second, strict=True)]
    only_first = sum(a and not b for a, b in right)
    only_second = sum(b and not a for a, b in right)
    discordant = only_first + only_second
    if not discordant:
        return PairedComparison(0, 0, 1.0)
    tail = sum(math.comb(discordant, k) for k in range(min(only_first, only_second) + 1)) / 2**discordant
    return PairedComparison(only_first, only_second, min(1.0, 2 * tail))


def rasa_wallet_f1(report_dir: Path, extractor: str) -> Optional[IntentScore]:
    """The `wallet` row of Rasa's <extractor>_report.json, if Rasa wrote one."""
    path = report_dir / f"{extractor}_report.json"
    if not path.exists():
        return None
    row = json.loads(path.read_text(encoding="utf-8")).get("wallet")
    if not row:
        return None
    return IntentScore(row["precision"], row["recall"], row["f1-score"], int(row["support"]))


def worst_errors(
    sets: Sequence[Tuple[str, Sequence[Example], Sequence[Prediction]]], limit: int
) -> List[Tuple[str, Example, Prediction]]:
    """The most confident wrong intents across the named test sets."""
    errors = [
        (name, e, p)
        for name, examples, predictions in sets
        for e, p in zip(examples, predictions, strict=True)
        if e.intent != p.intent
    ]
    return sorted(errors, key=lambda item: -item[2].confidence)[:limit]


def plot_confusion(panels: Sequence[Tuple[str, Sequence[Example], Sequence[Prediction]]], path: Path) -> None:
    """One row-normalised confusion matrix per (title, examples, predictions), side by side."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = sorted({e.intent for _, examples, _ in panels for e in examples})
    figure, axes = plt.subplots(1, len(panels), figsize=(9 * len(panels), 8.5), squeeze=False)
    for axis, (title, examples, predictions) in zip(axes[0], panels, strict=True):
        counts = confusion_matrix([e.intent for e in examples], [p.intent for p in predictions], labels=labels)
        rows = counts.sum(axis=1, keepdims=True)
        shares = counts / rows.clip(min=1)
        axis.imshow(shares, cmap="Blues", vmin=0, vmax=1)
        for i in range(len(labels)):
            for j in range(len(labels)):
                if counts[i, j]:
                    colour = "white" if shares[i, j] > 0.6 else "black"
                    axis.text(j, i, str(counts[i, j]), ha="center", va="center", fontsize=7, color=colour)
        axis.set_xticks(range(len(labels)))
        axis.set_xticklabels(labels, rotation=60, ha="right", fontsize=8)
        axis.set_yticks(range(len(labels)))
        axis.set_yticklabels(labels, fontsize=8)
        axis.set_xlabel("predicted intent")
        axis.set_ylabel("labelled intent")
        axis.set_title(f"{title} (n={len(examples)}, accuracy {accuracy(examples, predictions):.1%})")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
