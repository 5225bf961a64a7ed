"""A trainable NLU component whose trained state is one folder of the model.

Rasa builds graph components through `create` (before training) and `load` (from a trained
model) with the same arguments; this base writes both once. A subclass says how to read its
folder (`restore`) and what to do when the model has none (`restore_failed`, e.g. a model
trained before the component existed).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, Text, TypeVar

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage

C = TypeVar("C", bound="StoredStateComponent")


class StoredStateComponent(GraphComponent):
    """`create` and `load` for components built as `cls(config, model_storage, resource)`."""

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        self._config = {**self.get_default_config(), **config}
        self._model_storage = model_storage
        self._resource = resource

    @classmethod
    def create(
        cls: type[C],
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> C:
        """A new, untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(
        cls: type[C],
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> C:
        """The component with the state saved in the model at training."""
        component = cls(config, model_storage, resource)
        try:
            with model_storage.read_from(resource) as directory:
                component.restore(directory)
        except (ValueError, OSError) as exc:
            component.restore_failed(exc)
        return component

    def restore(self, directory: Path) -> None:
        """Read the state `train` wrote into `directory`."""
        raise NotImplementedError

    def restore_failed(self, error: Exception) -> None:
        """The model holds no state for this component (`error` says why)."""
        raise NotImplementedError
