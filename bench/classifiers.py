"""The three intent classifiers compared by `make eval`, behind one `predict(texts)` shape.

- our Rasa pipeline (config.yml), and Rasa's stock pipeline for zh, both trained with
  Rasa's own `train_nlu` and scored with the functions `rasa test nlu` uses;
- a character n-gram TF-IDF + logistic regression baseline (scikit-learn).
"""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, FrozenSet, List, Optional, Sequence

import yaml
from rasa.core.agent import Agent
from rasa.core.channels.channel import UserMessage
from rasa.model_training import train_nlu
from rasa.nlu.classifiers import fallback_classifier
from rasa.nlu.test import (
    EntityEvaluationResult,
    IntentEvaluationResult,
    _get_active_entity_extractors,
    evaluate_entities,
    evaluate_intents,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from bench.nlu_data import WALLET, Example, write_yaml

SEED = 42

# Rasa 3.6's default pipeline (what `rasa init` ships, commented in its config.yml) with the
# tokenizer Rasa documents for Chinese. No domain dictionary, no Simplified normalisation.
# ResponseSelector is left out: there are no retrieval intents. The seed only makes runs repeatable.
STOCK_ZH_PIPELINE: List[Dict[str, Any]] = [
    {"name": "JiebaTokenizer"},
    {"name": "RegexFeaturizer"},
    {"name": "LexicalSyntacticFeaturizer"},
    {"name": "CountVectorsFeaturizer"},
    {"name": "CountVectorsFeaturizer", "analyzer": "char_wb", "min_ngram": 1, "max_ngram": 4},
    {"name": "DIETClassifier", "epochs": 100, "random_seed": SEED},
    {"name": "EntitySynonymMapper"},
    {"name": "FallbackClassifier", "threshold": 0.3, "ambiguity_threshold": 0.1},
]


@dataclass(frozen=True)
class Prediction:
    """A classifier's reading of one message."""

    intent: str  # best intent with any fallback undone: what `rasa test nlu` scores
    confidence: float
    fallback: bool  # the deployed bot would have answered nlu_fallback instead
    wallets: Optional[FrozenSet[str]]  # platform keys found; None if the classifier finds no entities
    margin: float = 1.0  # best minus second-best intent confidence (FallbackClassifier's ambiguity)


def nlu_config(config_path: Path, epochs: Optional[int] = None) -> Dict[str, Any]:
    """The NLU part of a config file, with DIET's epochs overridden for quick runs."""
    config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
    config.pop("policies", None)
    return with_epochs(config, epochs)


def stock_zh_config(epochs: Optional[int] = None) -> Dict[str, Any]:
    return with_epochs({"recipe": "default.v1", "language": "zh", "pipeline": copy.deepcopy(STOCK_ZH_PIPELINE)}, epochs)


def diet_epochs(config: Dict[str, Any]) -> Optional[int]:
    """DIET's epochs in a config's pipeline (None if it has no DIETClassifier or leaves Rasa's default)."""
    for component in config["pipeline"]:
        if component["name"] == "DIETClassifier":
            return component.get("epochs")
    return None


def with_epochs(config: Dict[str, Any], epochs: Optional[int]) -> Dict[str, Any]:
    config = copy.deepcopy(config)
    if epochs is not None:
        for component in config["pipeline"]:
            if component["name"] == "DIETClassifier":
                component["epochs"] = epochs
    return config


def train_rasa_nlu(config: Dict[str, Any], data: TrainingData, workdir: Path, name: str) -> Path:
    """Train an NLU-only Rasa model on `data` into `workdir`; the archive's path."""
    workdir.mkdir(parents=True, exist_ok=True)
    config_path = workdir / f"{name}.config.yml"
    config_path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    data_path = write_yaml(data, workdir / f"{name}.nlu.yml")
    model = train_nlu(str(config_path), str(data_path), str(workdir), fixed_model_name=name)
    if not model:
        raise RuntimeError(f"Rasa training of {name} produced no model; see the log above.")
    return Path(model)


class RasaClassifier:
    """A trained Rasa model, parsing messages in this process."""

    def __init__(self, model_path: Path) -> None:
        self._processor = Agent.load(str(model_path)).processor
        self._loop = asyncio.new_event_loop()

    def close(self) -> None:
        self._loop.close()

    def parse(self, text: str) -> Dict[str, Any]:
        """Rasa's full parse result (tokens included), fallback still in place."""
        message = UserMessage(text=text)
        return dict(self._loop.run_until_complete(self._processor.parse_message(message, None, False)))

    def predict(self, texts: Sequence[str]) -> List[Prediction]:
        return [_prediction(self.parse(text)) for text in texts]

    def score(self, messages: Sequence[Message]) -> "Scored":
        """Predict labelled messages, keeping the results Rasa's reports are built from."""
        scored = Scored([], [], [])
        for message in messages:
            result = self.parse(str(message.get("text")))
            scored.predictions.append(_prediction(result))
            undone = _undo_fallback(result)
            intent = undone.get("intent") or {}
            scored.intent_results.append(
                IntentEvaluationResult(message.get("intent"), intent.get("name"), undone["text"], intent["confidence"])
            )
            scored.entity_results.append(
                EntityEvaluationResult(
                    message.get("entities", []),
                    undone.get("entities", []),
                    undone.get("text_tokens", []),
                    undone["text"],
                )
            )
        return scored


@dataclass
class Scored:
    """Predictions of labelled messages plus the evaluation records `rasa test nlu` builds."""

    predictions: List[Prediction]
    intent_results: List[IntentEvaluationResult]
    entity_results: List[EntityEvaluationResult]

    def extend(self, other: "Scored") -> None:
        self.predictions += other.predictions
        self.intent_results += other.intent_results
        self.entity_results += other.entity_results

    def write_rasa_reports(self, report_dir: Path) -> None:
        """intent_report.json, <extractor>_report.json, errors and plots, as `rasa test nlu` writes them."""
        report_dir.mkdir(parents=True, exist_ok=True)
        evaluate_intents(self.intent_results, str(report_dir), False, True, False, report_as_dict=True)
        extractors = _get_active_entity_extractors(self.entity_results)
        if extractors:
            evaluate_entities(self.entity_results, extractors, str(report_dir), False, True, False, report_as_dict=True)


def _undo_fallback(result: Dict[str, Any]) -> Dict[str, Any]:
    if fallback_classifier.is_fallback_classifier_prediction(result):
        return dict(fallback_classifier.undo_fallback_prediction(copy.deepcopy(result)))
    return result


def _prediction(result: Dict[str, Any]) -> Prediction:
    fallback = fallback_classifier.is_fallback_classifier_prediction(result)
    undone = _undo_fallback(result)
    intent = undone.get("intent") or {}
    wallets = frozenset(str(e["value"]) for e in result.get("entities") or [] if e.get("entity") == WALLET)
    ranking = [float(r.get("confidence") or 0.0) for r in undone.get("intent_ranking") or []]
    margin = ranking[0] - ranking[1] if len(ranking) > 1 else 1.0
    return Prediction(str(intent.get("name")), float(intent.get("confidence") or 0.0), fallback, wallets, margin)


class TfidfClassifier:
    """Character 1–3-gram TF-IDF + logistic regression: the cheapest sensible intent classifier."""

    def __init__(self) -> None:
        self._model: Pipeline = make_pipeline(
            TfidfVectorizer(analyzer="char", ngram_range=(1, 3), sublinear_tf=True, lowercase=True),
            LogisticRegression(C=10.0, max_iter=2000, random_state=SEED),
        )

    def fit(self, examples: Sequence[Example]) -> "TfidfClassifier":
        self._model.fit([e.text for e in examples], [e.intent for e in examples])
        return self

    def predict(self, texts: Sequence[str]) -> List[Prediction]:
        probabilities = self._model.predict_proba(list(texts))
        classes = self._model.classes_
        return [
            Prediction(str(classes[row.argmax()]), float(row.max()), False, None, float(row.max() - sorted(row)[-2]))
            for row in probabilities
        ]
