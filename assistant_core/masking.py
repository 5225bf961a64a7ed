"""One rulebook for secrets and personal numbers, for incoming text, letters and logs.

Pure functions: the channels call `mask_sensitive` on every incoming message before Rasa
(tracker store, logs) sees it; letters call `mask_personal_numbers`; every log line names a
conversation by `log_id`, never by the user's own id. A card number is 15–19 digits passing
the Luhn check; an ID number is 17 digits + a digit or X with a plausible birth date; order,
transaction and ticket numbers are never masked.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Iterable

# A verification code: 4-8 digits shortly after 验证码/校验码/动态码 (or "code").
_CODE = re.compile(r"(验证码|校验码|动态码|短信码|code)([^0-9]{0,6})(\d{4,8})(?!\d)", re.IGNORECASE)
# A password the user types out after 密码.
_PASSWORD = re.compile(r"(密码|password)(\s*(?:是|为|:|：|=)\s*)(\S{4,32})", re.IGNORECASE)
# Resident ID: 17 digits + digit/X, not inside a longer number.
_ID_NUMBER = re.compile(
    r"(?<![0-9])([1-9]\d{5}(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[0-9Xx])(?![0-9])"
)
# Bank card: 15-19 digits, optionally grouped by spaces or dashes, passing the Luhn check.
_CARD = re.compile(r"(?<![0-9])((?:\d[ -]?){14,18}\d)(?![0-9])")

# Order, transaction and ticket numbers are facts the user needs to share: never masked.
_ORDER_CUE = re.compile(r"订单|交易|流水|单号|工单|编号")


@dataclass(frozen=True)
class MaskResult:
    text: str
    kinds: tuple[str, ...]

    @property
    def found(self) -> bool:
        return bool(self.kinds)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _mask_digits(value: str, keep_start: int = 4, keep_end: int = 4) -> str:
    """Keep the first and last four digits: 6222***********0128 (enough to recognise one's own card)."""
    digits_seen = sum(c.isdigit() or c in "Xx" for c in value)
    out, index = [], 0
    for char in value:
        if char.isdigit() or char in "Xx":
            index += 1
            out.append(char if index <= keep_start or index > digits_seen - keep_end else "*")
        else:
            out.append(char)
    return "".join(out)


def _is_card(digits: str, cue: str) -> bool:
    return 15 <= len(digits) <= 19 and _luhn_ok(digits) and not _ORDER_CUE.search(cue)


def mask_sensitive(text: str) -> MaskResult:
    """Replace verification codes, passwords, ID and card numbers; say which kinds were found."""
    kinds: list[str] = []

    def code(match: re.Match[str]) -> str:
        kinds.append("verification_code")
        return match.group(1) + match.group(2) + "*" * len(match.group(3))

    def password(match: re.Match[str]) -> str:
        kinds.append("password")
        return match.group(1) + match.group(2) + "******"

    def id_number(match: re.Match[str]) -> str:
        kinds.append("id_number")
        return _mask_digits(match.group(1))

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", match.group(1))
        cue = match.string[max(0, match.start() - 6) : match.start()]
        if not _is_card(digits, cue):
            return match.group(0)
        kinds.append("card_number")
        return _mask_digits(match.group(1))

    masked = _CODE.sub(code, text)
    masked = _PASSWORD.sub(password, masked)
    masked = _ID_NUMBER.sub(id_number, masked)
    masked = _CARD.sub(card, masked)
    return MaskResult(masked, tuple(dict.fromkeys(kinds)))


def mask_personal_numbers(text: str, keep: Iterable[str] = ()) -> str:
    """Mask ID and card numbers (same rules as `mask_sensitive`); numbers in `keep` (the case's order
    and ticket numbers) stay."""
    kept = {k.replace(" ", "").replace("-", "") for k in keep if k}

    def id_number(match: re.Match[str]) -> str:
        return match.group(0) if match.group(1) in kept else _mask_digits(match.group(1))

    def card(match: re.Match[str]) -> str:
        digits = re.sub(r"[ -]", "", match.group(1))
        cue = match.string[max(0, match.start() - 6) : match.start()]
        if digits in kept or not _is_card(digits, cue):
            return match.group(0)
        return _mask_digits(match.group(1))

    return _CARD.sub(card, _ID_NUMBER.sub(id_number, text))


def log_id(conversation_id: str) -> str:
    """A short pseudonym of a conversation for operator logs: stable, but not the user's id."""
    return "conv-" + hashlib.sha256(conversation_id.encode("utf-8")).hexdigest()[:10]
