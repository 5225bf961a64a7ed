"""Reading the conversation: the latest intent and entities, the problem reported, the message's date."""

from __future__ import annotations

import datetime as dt
import re
from typing import Callable, Optional

from rasa_sdk import Tracker

from actions import names
from assistant_core.clock import local_zone, utc_now

_CODE_WORDS = re.compile(r"验证码|校验码|动态码|短信码|付款码|密码")


def latest_text(tracker: Tracker) -> str:
    """Text of the latest user message ("" when there is none)."""
    return (tracker.latest_message or {}).get("text") or ""


def mentions_code(tracker: Tracker) -> bool:
    """True when the user's latest message talks about a verification code or password."""
    return bool(_CODE_WORDS.search(latest_text(tracker)))


def latest_intent(tracker: Tracker) -> Optional[str]:
    """Name of the intent of the latest user message."""
    intent = (tracker.latest_message or {}).get("intent") or {}
    return intent.get("name")


def reported_problem(tracker: Tracker) -> Optional[str]:
    """The problem of the most recent report_* message in the conversation, if any."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        if intent in names.PROBLEM_BY_INTENT:
            return names.PROBLEM_BY_INTENT[intent]
    return tracker.get_slot(names.SLOT_PROBLEM)


def report_text(tracker: Tracker, problem: Optional[str]) -> Optional[str]:
    """What the user wrote when reporting this problem (the latest such message; not button payloads)."""
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name")
        text = (event.get("text") or "").strip()
        if names.PROBLEM_BY_INTENT.get(intent or "") == problem and text and not text.startswith("/"):
            return text
    return None


def message_date(tracker: Tracker, clock: Callable[[], dt.datetime] = utc_now) -> dt.date:
    """Local date of the latest user message (its timestamp), else of the clock."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and isinstance(event.get("timestamp"), (int, float)):
            return dt.datetime.fromtimestamp(float(event["timestamp"]), tz=local_zone()).date()
    return clock().astimezone(local_zone()).date()


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    """Every value of `entity` in the latest user message, in order, without repeats. An entity
    with a role is a mention the user took back (the wallet negated in "不是支付宝，是京东的"): skipped,
    as Rasa's own slot mappings skip it."""
    entities = (tracker.latest_message or {}).get("entities") or ()
    found = [str(e["value"]) for e in entities if e.get("entity") == entity and not e.get("role")]
    return list(dict.fromkeys(v for v in found if v))


def first_entity_value(tracker: Tracker, entity: str) -> Optional[str]:
    """The value of the first `entity` in the latest user message."""
    values = entity_values(tracker, entity)
    return values[0] if values else None


def date_of(value: Optional[str]) -> Optional[dt.date]:
    """'2026-11-18' or '2026-11-18T15:00' → the date; None for anything else."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None
