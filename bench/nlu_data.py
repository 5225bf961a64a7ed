"""Labelled examples for the NLU evaluation: loading, wallet keys, and seeded folds."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable, Dict, FrozenSet, Iterator, List, Mapping, Sequence, Tuple

from rasa.shared.nlu.training_data.formats.rasa_yaml import RasaYAMLWriter
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.model_selection import StratifiedKFold

WALLET = "wallet"
# The test sets whose errors have been read: settings may be chosen on them, never on a sealed set.
LOOKED_AT_SETS = (
    "fresh_round2.yml",
    "fresh_hidden.yml",
    "fresh_dev.yml",
    "holdout.yml",
    "fresh_round4_dev.yml",
    "fresh_round4_opened.yml",
)
# The sealed parts, never tuned on and never printed; the first is the headline set of make eval.
SEALED_SETS = ("fresh_round6_sealed.yml", "fresh_round5_sealed.yml", "fresh_sealed.yml")


@dataclass(frozen=True)
class Example:
    """One labelled message: its text, intent and the platform keys of the wallets it names."""

    text: str
    intent: str
    wallets: FrozenSet[str]


@dataclass(frozen=True)
class Corpus:
    """Training data as Rasa loaded it, plus the same examples as plain records."""

    data: TrainingData
    examples: Tuple[Example, ...]


def wallet_key(value: str, synonyms: Mapping[str, str]) -> str:
    """The platform key a wallet name maps to through the training synonyms ('支付宝' → 'alipay')."""
    return synonyms.get(value, synonyms.get(value.lower(), value.lower()))


def load_corpus(path: Path, synonyms: Mapping[str, str] | None = None) -> Corpus:
    """Intent examples of a Rasa NLU file or folder; wallet names resolved with `synonyms`."""
    data = load_data(str(path))
    mapping = synonyms if synonyms is not None else data.entity_synonyms
    examples = tuple(
        Example(
            text=str(m.get("text")),
            intent=str(m.get("intent")),
            wallets=frozenset(
                wallet_key(str(e["value"]), mapping) for e in m.get("entities") or [] if e["entity"] == WALLET
            ),
        )
        for m in data.intent_examples
    )
    return Corpus(data, examples)


def stratified_folds(intents: Sequence[str], n_folds: int, seed: int) -> List[Tuple[List[int], List[int]]]:
    """(train, test) index lists; seeded, unlike `rasa test nlu --cross-validation`, so baselines share them."""
    splitter = StratifiedKFold(n_splits=n_folds, shuffle=True, random_state=seed)
    return [(list(train), list(test)) for train, test in splitter.split(list(intents), list(intents))]


def subset(data: TrainingData, indices: Sequence[int]) -> TrainingData:
    """The intent examples at `indices`, keeping lookups and synonyms (as Rasa's own folds do)."""
    messages = data.intent_examples
    return TrainingData(
        training_examples=[messages[i] for i in indices],
        entity_synonyms=data.entity_synonyms,
        regex_features=data.regex_features,
        lookup_tables=data.lookup_tables,
    )


def write_yaml(data: TrainingData, path: Path) -> Path:
    """Write training data in Rasa's YAML format."""
    RasaYAMLWriter().dump(path, data)
    return path


def perturbed(examples: Sequence[Example], transform: Callable[[str], str]) -> Tuple[List[int], List[Example]]:
    """Indices and transformed copies of the examples the transformation actually changes."""
    changed: Dict[int, Example] = {}
    for index, example in enumerate(examples):
        text = transform(example.text)
        if text != example.text:
            changed[index] = replace(example, text=text)
    return list(changed), list(changed.values())


def iter_texts(examples: Sequence[Example]) -> Iterator[str]:
    for example in examples:
        yield example.text
