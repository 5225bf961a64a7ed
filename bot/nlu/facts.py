"""Rasa NLU component: the facts of a complaint, found by the spaCy pipeline of `fact_pipeline`.

Adds entities `amount`, `incident_time`, `order_id`, `ticket_id` and `demand` with
normalised values (see `fact_rules`). Relative dates resolve against the message's
time: `metadata.now` (ISO 8601) or `metadata.timestamp` (Unix seconds) when the
channel sends one, else the clock, in the configured time zone.

The spaCy pipeline is built when the model is trained and saved into the model
storage (`nlp.to_disk`); loading the model loads it back. Nothing happens at import.
"""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Text

from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from spacy.language import Language

from assistant_core.clock import LOCAL_TIMEZONE, local_zone, utc_now
from bot.nlu import fact_pipeline
from bot.nlu.entities import add_entities, entity
from bot.nlu.stored_component import StoredStateComponent

logger = logging.getLogger(__name__)

PIPELINE_DIR = "spacy_facts"
DEFAULT_TIMEZONE = LOCAL_TIMEZONE


def message_time(metadata: Any, clock: Callable[[], dt.datetime], zone: dt.tzinfo) -> dt.datetime:
    """Local time of the message: metadata `now` / `timestamp` if valid, else the clock."""
    if isinstance(metadata, dict):
        now = metadata.get("now")
        if isinstance(now, str):
            try:
                parsed = dt.datetime.fromisoformat(now)
                return parsed.astimezone(zone) if parsed.tzinfo else parsed.replace(tzinfo=zone)
            except ValueError:
                logger.debug("Ignoring metadata.now=%r (not ISO 8601).", now)
        stamp = metadata.get("timestamp")
        if isinstance(stamp, (int, float)) and not isinstance(stamp, bool):
            return dt.datetime.fromtimestamp(stamp, tz=zone)
    return clock().astimezone(zone)


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class ComplaintFactExtractor(StoredStateComponent, EntityExtractorMixin):
    """Amount, incident time, order/ticket numbers and demand, from a blank spaCy `zh` pipeline."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Time zone the users' 昨天 / 下午三点 refer to."""
        return {"timezone": DEFAULT_TIMEZONE}

    @staticmethod
    def required_packages() -> List[Text]:
        return ["spacy", "jieba", "cn2an"]

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, model_storage, resource)
        self._nlp: Optional[Language] = None
        self._zone = local_zone(str(self._config["timezone"]))
        self.clock: Callable[[], dt.datetime] = utc_now

    def train(self, training_data: TrainingData) -> Resource:
        """Build the spaCy pipeline and save it into the model."""
        self._nlp = fact_pipeline.build_pipeline()
        with self._model_storage.write_to(self._resource) as directory:
            self._nlp.to_disk(directory / PIPELINE_DIR)
        return self._resource

    def restore(self, directory: Path) -> None:
        """Load the pipeline saved in the model."""
        self._nlp = fact_pipeline.load_pipeline(directory / PIPELINE_DIR)

    def restore_failed(self, error: Exception) -> None:
        """A model without the pipeline: build it (the rules need no training)."""
        logger.warning("No saved fact pipeline in the model (%s): building it. Fix: retrain.", error)
        self._nlp = fact_pipeline.build_pipeline()

    def process(self, messages: List[Message]) -> List[Message]:
        """Add the facts of each message to its entities."""
        if self._nlp is None:
            self._nlp = fact_pipeline.build_pipeline()
        for message in messages:
            text = message.get(TEXT)
            if not text:
                continue
            now = message_time(message.get("metadata"), self.clock, self._zone)
            entities = self.add_extractor_name(self.extract(text, now))
            add_entities(message, entities)
        return messages

    def extract(self, text: str, now: dt.datetime) -> List[Dict[Text, Any]]:
        """The fact entities of one text whose local time is `now`."""
        assert self._nlp is not None
        doc = fact_pipeline.run(self._nlp, text, now)
        entities = []
        for span in doc.ents:
            value = fact_pipeline.span_value(span, now)
            if value is None:
                continue
            kind = fact_pipeline.ENTITY_BY_LABEL[span.label_]
            entities.append(entity(kind, span.start_char, span.end_char, value, confidence_entity=1.0))
        return entities
