"""A second opinion on the intent: character n-grams of the normalised text, blended with DIET's.

DIET learns from jieba tokens and character n-grams, but on messages written the way people post
(typos, pinyin, English mixed in, Traditional characters) a plain character 1–3-gram TF-IDF +
logistic regression on the normalised text (bot/nlu/normalise.py) is wrong on other messages
than DIET is. This component trains that model on the same training data and replaces the
message's intent and ranking with

    confidence(intent) = (1 − weight) × DIET's confidence + weight × the n-gram model's probability

so FallbackClassifier, placed after it, sees the blended confidences. With `mask_wallets`, each
wallet name (the annotations in training, WalletEntityExtractor's entities at run time) is one
mark in the n-gram model's text: the problem is learnt, not the way a wallet was written. DIET's ranking lists its top
`ranking_length` intents; an intent it leaves out counts 0 there. The weight and the fallback
thresholds were chosen on the looked-at test sets and cross-validation (reports/nlu.md), never on
the sealed set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import joblib
import rasa.shared.utils.io
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline

from bot.nlu.normalise import normalise
from bot.nlu.stored_component import StoredStateComponent

MODEL_FILE = "char_ngram_intents.joblib"
# What a wallet name becomes for the n-gram model: one symbol for zfb, 支付寶, Apple Pay and 云闪付 alike.
WALLET_MARK = "¤"
WALLET_ENTITIES = ("wallet", "other_wallet")


def intent_text(message: Message, mask_wallets: bool) -> str:
    """The normalised text the n-gram model reads; with `mask_wallets`, each wallet name found
    (annotated, in training data) is one mark, so the model learns the problem, not the name."""
    text = str(message.get(TEXT))
    if mask_wallets:
        spans = sorted(
            (int(e[ENTITY_ATTRIBUTE_START]), int(e[ENTITY_ATTRIBUTE_END]))
            for e in message.get(ENTITIES) or []
            if e.get(ENTITY_ATTRIBUTE_TYPE) in WALLET_ENTITIES
        )
        parts, position = [], 0
        for start, end in spans:
            if start >= position:
                parts += [text[position:start], WALLET_MARK]
                position = end
        text = "".join(parts) + text[position:]
    return normalise(text)


def build_ngram_model(config: Dict[Text, Any]) -> Pipeline:
    """Character n-gram TF-IDF + logistic regression, seeded."""
    return make_pipeline(
        TfidfVectorizer(analyzer="char", ngram_range=(config["min_ngram"], config["max_ngram"]), sublinear_tf=True),
        LogisticRegression(C=config["C"], max_iter=3000, random_state=config["random_seed"]),
    )


def blend(
    ranking: List[Dict[Text, Any]], probabilities: Dict[str, float], weight: float, length: int
) -> List[Dict[Text, Any]]:
    """The blended ranking, best first, `length` long (0 = all)."""
    first = {str(r[INTENT_NAME_KEY]): float(r[PREDICTED_CONFIDENCE_KEY] or 0.0) for r in ranking}
    names = set(first) | set(probabilities)
    scores = {n: (1.0 - weight) * first.get(n, 0.0) + weight * probabilities.get(n, 0.0) for n in names}
    ordered = sorted(scores.items(), key=lambda item: (-item[1], item[0]))
    if length:
        ordered = ordered[:length]
    return [{INTENT_NAME_KEY: n, PREDICTED_CONFIDENCE_KEY: c} for n, c in ordered]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=True)
class CharNgramIntentBlender(StoredStateComponent, IntentClassifier):
    """Blends DIET's intent ranking with a character n-gram model's probabilities."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The n-gram model's settings and its share of the blend."""
        return {
            "weight": 0.8,
            "C": 10.0,
            "min_ngram": 1,
            "max_ngram": 3,
            "mask_wallets": False,
            "ranking_length": 10,
            "random_seed": 42,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: Any, resource: Resource) -> None:
        super().__init__(config, model_storage, resource)
        self._model: Optional[Pipeline] = None

    def train(self, training_data: TrainingData) -> Resource:
        """Fit the n-gram model on the normalised texts of the intent examples, and persist it."""
        examples = [m for m in training_data.intent_examples if m.get(TEXT)]
        model = build_ngram_model(self._config)
        mask = bool(self._config["mask_wallets"])
        model.fit([intent_text(m, mask) for m in examples], [str(m.get(INTENT)) for m in examples])
        self._model = model
        with self._model_storage.write_to(self._resource) as directory:
            joblib.dump(model, directory / MODEL_FILE)
        return self._resource

    def restore(self, directory: Path) -> None:
        """The n-gram model persisted at training (our own model file)."""
        self._model = joblib.load(directory / MODEL_FILE)

    def restore_failed(self, error: Exception) -> None:
        rasa.shared.utils.io.raise_warning(
            f"CharNgramIntentBlender has no model ({error}); DIET's intents are used alone. Retrain to fix."
        )

    def process(self, messages: List[Message]) -> List[Message]:
        """Replace each message's intent and ranking with the blended ones."""
        if self._model is None:
            return messages
        texts = [m for m in messages if m.get(TEXT) and m.get(INTENT_RANKING_KEY) is not None]
        if not texts:
            return messages
        mask = bool(self._config["mask_wallets"])
        rows = self._model.predict_proba([intent_text(m, mask) for m in texts])
        classes = [str(c) for c in self._model.classes_]
        for message, row in zip(texts, rows, strict=True):
            ranking = blend(
                message.get(INTENT_RANKING_KEY) or [],
                dict(zip(classes, (float(p) for p in row), strict=True)),
                float(self._config["weight"]),
                int(self._config["ranking_length"]),
            )
            message.set(INTENT, ranking[0], add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        return messages
