"""Rasa checks every action-server response against a JSON schema; build that check once.

Rasa 3.6.21's `RemoteAction._validate_action_result` calls `jsonschema.validate(result, schema)`,
which first re-checks the schema against its meta-schema: about 19 ms per action call on this
machine (see reports/bench.md), for a schema that never changes. This adaptation checks the schema
once and keeps one validator. A malformed response is still rejected with Rasa's own error.

It is pinned: at start-up it compares the Rasa version and the source of the two methods it
adapts with the ones it was written against, and refuses to start if either changed, because a
silent mismatch could stop malformed responses from being rejected. Installed by the health
channel (credentials.yml), which every `rasa run` of this project loads.
"""

from __future__ import annotations

import hashlib
import inspect
import logging
from typing import Any, Dict, Text

from jsonschema import ValidationError, validators

logger = logging.getLogger(__name__)

PINNED_RASA_VERSION = "3.6.21"
PINNED_SOURCES = {
    "_validate_action_result": "f8cdb4be68123961",
    "action_response_format_spec": "091b74aa3738d126",
}
"""SHA-256 prefixes of the adapted methods' source in Rasa 3.6.21."""


class AdaptationMismatch(RuntimeError):
    """The installed Rasa is not the code this adaptation was written for."""


def _source_hash(function: Any) -> str:
    return hashlib.sha256(inspect.getsource(function).encode("utf-8")).hexdigest()[:16]


def check_pinned_code() -> None:
    """Raise AdaptationMismatch unless Rasa and the adapted methods are exactly the pinned ones."""
    import rasa
    from rasa.core.actions.action import RemoteAction

    if rasa.__version__ != PINNED_RASA_VERSION:
        raise AdaptationMismatch(
            f"bot/action_validation.py is pinned to Rasa {PINNED_RASA_VERSION}, found {rasa.__version__}. "
            "Fix: re-check RemoteAction._validate_action_result in the new Rasa and update the pins, "
            "or remove the adaptation."
        )
    for name, expected in PINNED_SOURCES.items():
        found = _source_hash(getattr(RemoteAction, name))
        if found != expected:
            raise AdaptationMismatch(
                f"RemoteAction.{name} changed (source hash {found}, pinned {expected}). "
                "Fix: read the new code, adapt bot/action_validation.py and update PINNED_SOURCES."
            )


def install_prebuilt_validator() -> bool:
    """Check the pins, then give RemoteAction one prebuilt validator; True if installed now."""
    from rasa.core.actions.action import RemoteAction

    if getattr(RemoteAction._validate_action_result, "prebuilt", False):
        return False
    check_pinned_code()
    schema = RemoteAction.action_response_format_spec()
    validator_class = validators.validator_for(schema)
    validator_class.check_schema(schema)
    validator = validator_class(schema)
    rasa_validate = RemoteAction._validate_action_result

    def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
        try:
            validator.validate(result)
        except ValidationError:
            return bool(rasa_validate(self, result))  # Rasa's own path raises with its helpful message
        return True

    validate_action_result.prebuilt = True  # type: ignore[attr-defined]
    RemoteAction._validate_action_result = validate_action_result
    logger.info(
        "Action-server responses are checked with a prebuilt JSON-schema validator (Rasa %s).", PINNED_RASA_VERSION
    )
    return True
