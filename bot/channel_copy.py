"""The fixed texts a channel sends on its own, before or without a turn of the dialogue
(an empty or too long message, a voice message not recognised, the WeChat welcome …).

They are responses in domain.yml, beside every other fixed text, so copy stays data. The
channels read them from the domain file in the server's working directory (where `rasa run`
also reads credentials.yml and endpoints.yml) the first time one is needed.
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Any, Mapping

import yaml

logger = logging.getLogger(__name__)

DOMAIN_FILE = Path("domain.yml")


@functools.lru_cache(maxsize=1)
def _responses(path: Path = DOMAIN_FILE) -> Mapping[str, Any]:
    try:
        return dict(yaml.safe_load(path.read_text(encoding="utf-8"))["responses"])
    except (OSError, KeyError, TypeError, yaml.YAMLError) as exc:
        logger.error(
            "Cannot read the channels' texts from %s (%s). Fix: run the server from the project folder, "
            "where domain.yml is.",
            path.resolve(),
            exc,
        )
        raise


def channel_text(name: str, **values: Any) -> str:
    """The first text of the response `name` in domain.yml, with `{placeholders}` filled from `values`."""
    text = str(_responses()[name][0]["text"])
    return text.format(**values) if values else text
