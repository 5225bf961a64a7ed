"""Text helpers both processes use: numbered lists and splitting long text for a channel's limit."""

from __future__ import annotations

from typing import Callable, Iterable

BREAKS: tuple[str, ...] = ("\n\n", "\n", "。", "！", "？", "；", "!", "?", ";", "，", ",", " ")
"""Where a long text is best cut, best first: paragraphs, lines, then sentence and clause ends."""


def numbered(items: Iterable[str]) -> str:
    """'1. …' lines, one per item ('' for no items)."""
    return "\n".join(f"{index}. {item}" for index, item in enumerate(items, start=1))


def utf8_size(text: str) -> int:
    """Bytes of `text` in UTF-8: WeChat counts its reply limit this way."""
    return len(text.encode("utf-8"))


def _longest_prefix(text: str, limit: int, size: Callable[[str], int]) -> str:
    low, high = 0, len(text)
    while low < high:  # the longest prefix whose size fits: size grows with length
        middle = (low + high + 1) // 2
        if size(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low]


def split_text(text: str, limit: int, size: Callable[[str], int] = len) -> list[str]:
    """Chunks of at most `limit` (measured by `size`), cut at the best break in each chunk's second half."""
    remaining = text.strip()
    chunks: list[str] = []
    while remaining:
        if size(remaining) <= limit:
            chunks.append(remaining)
            break
        window = _longest_prefix(remaining, limit, size)
        if not window:
            raise ValueError(f"a limit of {limit} cannot hold one character")
        cut = len(window)
        for mark in BREAKS:
            position = window.rfind(mark)
            if position >= len(window) // 2:
                cut = position + len(mark)
                break
        chunks.append(remaining[:cut].strip())
        remaining = remaining[cut:].strip()
    return [chunk for chunk in chunks if chunk]
