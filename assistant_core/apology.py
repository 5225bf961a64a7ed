"""The apology with every hotline, sent when the assistant's back-end fails.

One text for both processes: the channels send it when Rasa fails, the actions when the
knowledge store is down. It is built from the knowledge seed file (not the database, not the
action server), so it still works when both of those are down, and it is plain text whatever
layout the seed is written in (notices as text or as {text, source, verified_on}).
"""

from __future__ import annotations

import functools
import logging
from pathlib import Path
from typing import Iterable, Optional

import yaml

from assistant_core import settings

logger = logging.getLogger(__name__)

# Used only when the seed file itself cannot be read; it carries no facts.
_LAST_RESORT = "抱歉，助手暂时出了点问题，请稍后再试。"


def hotline_lines(names_hotlines_labels: Iterable[tuple[str, str, Optional[str]]]) -> str:
    """'· 支付宝：95188', one wallet per line, with the number's label where it is not the wallet's own
    line ('· Apple Pay：400-666-8800（Apple 中国区电话，不处理银行卡扣款）'): the one format of the
    wallet list, in answers and the apology."""
    return "\n".join(
        f"· {name}：{hotline}" + (f"（{label}）" if label else "") for name, hotline, label in names_hotlines_labels
    )


def _plain_text(value: object) -> str:
    """A seed value as text, whether written plainly or as a mapping with `text` (the export layout)."""
    if isinstance(value, dict):
        value = value.get("text")
    if not isinstance(value, (str, int)) or not str(value).strip():
        raise ValueError(f"expected a text, got {type(value).__name__}")
    return str(value).strip()


@functools.lru_cache(maxsize=8)
def service_unavailable_text(seed_file: Optional[Path] = None) -> str:
    """Calm apology plus each platform's hotline, for back-end failures."""
    path = seed_file or settings.seed_path()
    try:
        seed = yaml.safe_load(path.read_text(encoding="utf-8"))
        apology = _plain_text(seed["notices"]["service_unavailable"])
        lines = hotline_lines(
            (_plain_text(p["name"]), _plain_text(p["hotline"]), p.get("hotline_label")) for p in seed["platforms"]
        )
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        logger.error(
            "Cannot build the outage apology from %s (%s); sending a generic one. "
            "Fix: make the seed file readable and valid (python -m actions.knowledge check).",
            path,
            exc,
        )
        return _LAST_RESORT
    return apology + "\n" + lines


@functools.lru_cache(maxsize=8)
def wallet_names(seed_file: Optional[Path] = None) -> tuple[str, ...]:
    """The wallets' display names, in seed order; () if the seed cannot be read (the caller says less)."""
    path = seed_file or settings.seed_path()
    try:
        seed = yaml.safe_load(path.read_text(encoding="utf-8"))
        return tuple(_plain_text(p["name"]) for p in seed["platforms"])
    except (OSError, KeyError, TypeError, ValueError, yaml.YAMLError) as exc:
        logger.error("Cannot read the wallet names from %s (%s). Fix: python -m actions.knowledge check.", path, exc)
        return ()
