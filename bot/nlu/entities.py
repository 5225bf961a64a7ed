"""Entities as Rasa's NLU messages carry them, for the project's own extractors."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa.shared.nlu.constants import (
    ENTITIES,
    ENTITY_ATTRIBUTE_END,
    ENTITY_ATTRIBUTE_START,
    ENTITY_ATTRIBUTE_TYPE,
    ENTITY_ATTRIBUTE_VALUE,
)
from rasa.shared.nlu.training_data.message import Message


def entity(kind: str, start: int, end: int, value: Any, **extra: Any) -> Dict[str, Any]:
    """One entity: its type, character span and (normalised) value."""
    return {
        ENTITY_ATTRIBUTE_TYPE: kind,
        ENTITY_ATTRIBUTE_START: start,
        ENTITY_ATTRIBUTE_END: end,
        ENTITY_ATTRIBUTE_VALUE: value,
        **extra,
    }


def entity_start(found: Dict[str, Any]) -> int:
    return int(found[ENTITY_ATTRIBUTE_START])


def add_entities(message: Message, found: List[Dict[str, Any]]) -> None:
    """Append `found` to the message's entities (kept in the parse result)."""
    message.set(ENTITIES, message.get(ENTITIES, []) + found, add_to_output=True)
