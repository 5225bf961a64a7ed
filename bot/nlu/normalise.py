"""One normal form of user text, for the wallet rules and the tokenizer.

Full-width → half-width, Traditional → Simplified (OpenCC t2s), lower case. Every step keeps
the length, so an offset into the normal form is the same offset into what the user typed:
entities and tokens point into the original text, which the dialogue and letters quote.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Callable

# Full-width ASCII (ｚｆｂ，１００) sits 0xFEE0 above ASCII; the ideographic space is U+3000.
_HALF_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


@lru_cache(maxsize=1)
def _t2s() -> Callable[[str], str]:
    import opencc

    return opencc.OpenCC("t2s").convert


def to_simplified(text: str) -> str:
    """Traditional → Simplified, keeping the length (character by character where phrases differ)."""
    convert = _t2s()
    converted = convert(text)
    if len(converted) == len(text):
        return converted
    return "".join(c2 if len(c2 := convert(c)) == 1 else c for c in text)


def _lower(char: str) -> str:
    lowered = char.lower()
    return lowered if len(lowered) == 1 else char  # 'İ'.lower() is two characters


def normalise(text: str) -> str:
    """Half-width, Simplified, lower-case form of `text`, of the same length."""
    simplified = to_simplified(text.translate(_HALF_WIDTH))
    return "".join(_lower(c) for c in simplified)
