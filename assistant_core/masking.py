"""One rulebook for secrets and personal numbers, for incoming text, letters and logs.

Pure functions: the channels call `mask_sensitive` on every incoming message before Rasa
(tracker store, logs) sees it; letters call `mask_personal_numbers`; log lines go through
`mask_for_log` (also installed for every record by `install_log_masking`) and name a
conversation by `log_id`, a salted pseudonym, never by the user's own id.

The rules, and why (issue 28):
- A number is a run of digits, its groups joined by one kind of separator: one or two spaces
  (ASCII, U+3000, no-break), a dot or a hyphen. Groups after the first must be 3-13 digits (the
  last one any length right after a card cue), so dates (2024.11.03) never join a card.
- Card: 13-19 digits. Right after a card cue (卡号/银行卡/信用卡/储蓄卡/借记卡) any such number is
  a card: the user said so, and a mistyped card is still theirs. Otherwise it must start like a
  card (issuer prefix and length: Visa 4, Mastercard 51-55/2221-2720, UnionPay and others 6,
  Amex 34/37, JCB 35, Diners 30/36/38/39, domestic 9) and pass the Luhn check, so order numbers
  (mostly 1…, 2024… or 3…) survive.
- ID number: 18 characters (17 digits + digit or X) with a province code, a real birth date and a
  right check character, or right after 身份证/证件号 with a wrong check character; 15 digits
  (the pre-1999 form) with a province code and a real birth date.
- Right after an order cue (订单/单号/工单/编号/交易号/流水号…) nothing is masked: the user needs
  those numbers in their case and letter. A bare 交易/流水 is not such a cue ("交易卡号…").
- Verification code: 4-8 digits within 10 characters before or after 验证码/校验码/动态码/短信码
  (or "code"), unless a unit (元, 次, 年…) or another label (订单, 手机, 尾号…) says it is not one.
- Password: after 密码 (支付/登录/交易密码) or "password", the ASCII token that follows (min 1 char).
- Logs only: mobile numbers (1[3-9]x, with +86, spaces or hyphens) and e-mail addresses. Letters
  keep phone numbers: the template leaves 联系电话 blank, and a number in the user's account
  (the one that called them) is evidence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import logging
import re
from dataclasses import dataclass
from itertools import pairwise
from typing import Iterable, Optional

from assistant_core import settings

# Runs of digits with their separators; an X may end one (an ID's check character).
_CHUNK = re.compile(r"(?<![0-9])\d+(?:(?:[ \u3000\u00a0]{1,2}|[.\-])\d+)*(?:[Xx](?![0-9A-Za-z]))?")
_GROUP = re.compile(r"\d+[Xx]?")
_CUE_WINDOW = 8
_CUES = re.compile(
    r"(?P<card>卡号|银行卡|信用卡|储蓄卡|借记卡|card)"
    r"|(?P<id>身份证|证件号)"
    r"|(?P<order>订单|单号|工单|编号|交易号|流水号|交易单|商户单|批次号|快递|运单|order|ticket)",
    re.IGNORECASE,
)
_CARD_PREFIXES: tuple[tuple[str, range], ...] = (
    (r"4", range(13, 20, 3)),  # Visa: 13, 16, 19
    (r"5[1-5]|2(?:22[1-9]|2[3-9]\d|[3-6]\d\d|7[01]\d|720)", range(16, 17)),  # Mastercard
    (r"3[47]", range(15, 16)),  # American Express
    (r"35", range(16, 20)),  # JCB
    (r"3[0689]", range(14, 17)),  # Diners
    (r"5[06-8]|6|9", range(16, 20)),  # UnionPay, Maestro, Discover, domestic debit
)
_PROVINCES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)

_CODE_WORD = r"(?:验证码|校验码|动态码|短信码|(?<![A-Za-z])code(?![A-Za-z]))"
_UNITS = r"元|块|角|毛|万|千|百|次|个|条|分钟|秒|年|月|日|号|点|时|天|位|人|%|％|[.．:：]\d|rmb"
_NOT_A_CODE_AFTER = rf"(?![0-9])(?!\s*(?:{_UNITS}))"
_CODE_AFTER = re.compile(rf"({_CODE_WORD})([^0-9\n]{{0,10}}?)(?<![0-9.*])(\d{{4,8}}){_NOT_A_CODE_AFTER}", re.IGNORECASE)
_CODE_BEFORE = re.compile(
    rf"(?<![0-9.\-*])(\d{{4,8}}){_NOT_A_CODE_AFTER}([^0-9\n]{{0,10}}?)({_CODE_WORD})", re.IGNORECASE
)
# A word between the digits and 验证码 that names the digits as something else.
_OTHER_LABEL = re.compile(r"订单|单号|工单|编号|流水|交易号|电话|手机|尾号|卡号|金额|客服|热线|号码|身份证")
_SECRET_TOKEN = r"([!-~]+)(?![!-~])(?!\s*(?:位|次|遍|个))"
_PASSWORDS = (
    re.compile(rf"(密码)(\s*(?:就是|也是|是|为|[:：=])?\s*){_SECRET_TOKEN}"),
    # English words need an explicit "=", ":" or "is": "password reset failed" is no password.
    re.compile(rf"((?<![A-Za-z])(?:password|passwd|pwd))(\s*[:：=]\s*|\s+is\s+){_SECRET_TOKEN}", re.IGNORECASE),
)
_PASSWORD_TRAILING = ".,;:!?)]}'\""

_MOBILE = re.compile(r"(?<![0-9])(?:(?:\+|00)86[ \-]?)?1[3-9]\d(?:[ \-]?\d{4}){2}(?![0-9])")
_EMAIL = re.compile(r"(?<![A-Za-z0-9._%+\-])[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}")


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


MASKED_NUMBER = re.compile(r"\d{4}\*{4,}[\dXx]{4}")
"""What `_mask_digits` leaves of a card or ID number (6222***********0128): how later code sees one was pasted."""


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


def _cue(before: str) -> str:
    """The kind of the last cue word right before a number ("card", "id", "order"; no digit in between)."""
    tail = re.split(r"[0-9*]", before)[-1][-_CUE_WINDOW:]
    found = [m.lastgroup for m in _CUES.finditer(tail)]
    return (found[-1] or "") if found else ""


def _is_card(digits: str, cue: str) -> bool:
    if not digits.isdigit() or not 13 <= len(digits) <= 19:
        return False
    if cue == "card":
        return True
    issued = any(re.match(prefix, digits) and len(digits) in lengths for prefix, lengths in _CARD_PREFIXES)
    return issued and _luhn_ok(digits)


def _real_date(year: int, month: int, day: int) -> bool:
    try:
        dt.date(year, month, day)
    except ValueError:
        return False
    return 1900 <= year <= 2099


def _id_check_char(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True)) % 11]


def _is_id_number(chars: str, cue: str) -> bool:
    value = chars.upper()
    if value[:2] not in _PROVINCES:
        return False
    if len(value) == 18 and value[:17].isdigit():
        born = _real_date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
        return born and (cue == "id" or _id_check_char(value[:17]) == value[17])
    if len(value) == 15 and value.isdigit():
        return _real_date(1900 + int(value[6:8]), int(value[8:10]), int(value[10:12]))
    return False


def _separator_kind(separator: str) -> str:
    return "space" if separator.isspace() else separator


def _personal_number(chars: str, groups: list[str], cue: str) -> Optional[str]:
    """The kind of one candidate ("id_number", "card_number"; its groups joined in `chars`), or None."""
    shortest_last = 1 if cue == "card" else 3  # "卡号 6222 0212 3456 7890 12": the user says it is one number
    if cue == "order" or (len(groups) > 1 and len(groups[-1]) < shortest_last):
        return None
    if cue != "card" and _is_id_number(chars, cue):
        return "id_number"
    if _is_card(chars, cue):
        return "card_number"
    return None


def _longest_number(
    value: str, spans: list[tuple[int, int]], seps: list[str], first: int, cue: str, keep: frozenset[str]
) -> Optional[tuple[int, str]]:
    """The last group and kind of the longest card or ID number starting at group `first`, if any."""
    found, groups = None, [value[slice(*spans[first])]]
    for last in range(first, len(spans)):
        if last > first:
            middle = groups[-1]
            if seps[last - 1] != seps[first] or (last > first + 1 and not 3 <= len(middle) <= 13):
                break
            groups.append(value[slice(*spans[last])])
        chars = "".join(groups)
        if len(chars) > 19:
            break
        if len(chars) >= 13 and chars.upper() not in keep:
            kind = _personal_number(chars, groups, cue)
            found = (last, kind) if kind else found
    return found


def _mask_numbers(text: str, keep: frozenset[str], kinds: list[str]) -> str:
    """Mask card and ID numbers (the module docstring's rules); numbers in `keep` stay."""

    def chunk(match: re.Match[str]) -> str:
        value = match.group(0)
        spans = [(m.start(), m.end()) for m in _GROUP.finditer(value)]
        seps = [_separator_kind(value[a_end:b_start]) for (_, a_end), (b_start, _) in pairwise(spans)]
        out, done, first = [], 0, 0
        while first < len(spans):
            # Only a number starting the run has a cue before it; later ones follow digits.
            cue = _cue(text[: match.start()]) if first == 0 else ""
            found = _longest_number(value, spans, seps, first, cue, keep)
            if found is None:
                first += 1
                continue
            last, kind = found
            start, end = spans[first][0], spans[last][1]
            out += [value[done:start], _mask_digits(value[start:end])]
            kinds.append(kind)
            done, first = end, last + 1
        return "".join(out) + value[done:]

    return _CHUNK.sub(chunk, text)


def _mask_codes(text: str, kinds: list[str]) -> str:
    def after(match: re.Match[str]) -> str:
        if _OTHER_LABEL.search(match.group(2)):
            return match.group(0)
        kinds.append("verification_code")
        return match.group(1) + match.group(2) + "*" * len(match.group(3))

    def before(match: re.Match[str]) -> str:
        label_before = match.string[max(0, match.start() - 6) : match.start()]
        if _OTHER_LABEL.search(match.group(2)) or _OTHER_LABEL.search(label_before):
            return match.group(0)
        kinds.append("verification_code")
        return "*" * len(match.group(1)) + match.group(2) + match.group(3)

    return _CODE_BEFORE.sub(before, _CODE_AFTER.sub(after, text))


def _mask_passwords(text: str, kinds: list[str]) -> str:
    def password(match: re.Match[str]) -> str:
        token = match.group(3)
        secret = token.rstrip(_PASSWORD_TRAILING)
        if not secret or set(secret) == {"*"}:
            return match.group(0)
        kinds.append("password")
        return match.group(1) + match.group(2) + "***" + token[len(secret) :]

    for pattern in _PASSWORDS:
        text = pattern.sub(password, text)
    return text


def mask_sensitive(text: str) -> MaskResult:
    """Replace passwords, ID and card numbers and verification codes; say which kinds were found."""
    kinds: list[str] = []
    masked = _mask_passwords(text, kinds)
    masked = _mask_numbers(masked, frozenset(), kinds)
    masked = _mask_codes(masked, kinds)
    return MaskResult(masked, tuple(dict.fromkeys(kinds)))


def mask_personal_numbers(text: str, keep: Iterable[str] = ()) -> str:
    """Mask ID and card numbers (same rules as `mask_sensitive`); numbers in `keep` (the case's order
    and ticket numbers) stay."""
    kept = frozenset(re.sub(r"[^0-9Xx]", "", k).upper() for k in keep) - {""}
    return _mask_numbers(text, kept, [])


def _mask_mobile(match: re.Match[str]) -> str:
    value = match.group(0)
    digits_at = [i for i, c in enumerate(value) if c.isdigit()]
    hidden = set(digits_at[-8:-4])
    return "".join("*" if i in hidden else c for i, c in enumerate(value))


def _mask_email(match: re.Match[str]) -> str:
    local, _, domain = match.group(0).partition("@")
    return f"{local[:1]}***@{domain}"


def mask_for_log(text: str) -> str:
    """What a log line may show of a text: `mask_sensitive`, and mobiles and e-mail addresses too."""
    return mask_sensitive(_EMAIL.sub(_mask_email, _MOBILE.sub(_mask_mobile, text))).text


class _MaskedLogRecord(logging.LogRecord):
    def getMessage(self) -> str:  # noqa: N802 - logging's name
        return mask_for_log(super().getMessage())


def install_log_masking() -> None:
    """Mask every log record's message (all loggers, Rasa's and SQLAlchemy's too); idempotent.
    Masks when a record is formatted, so lines nobody emits cost nothing."""
    if logging.getLogRecordFactory() is not _MaskedLogRecord:
        logging.setLogRecordFactory(_MaskedLogRecord)


def log_id(conversation_id: str, salt: Optional[bytes] = None) -> str:
    """A short pseudonym of a conversation for operator logs: stable within a process (and across
    processes sharing LOG_PSEUDONYM_SALT), but not the user's id, nor a hash anyone can recompute."""
    key = settings.log_pseudonym_salt() if salt is None else salt
    return "conv-" + hmac.new(key, conversation_id.encode("utf-8"), hashlib.sha256).hexdigest()[:10]
