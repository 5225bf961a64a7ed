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


def user_texts(tracker: Tracker) -> list[str]:
    """Every user message's text in the conversation, oldest first."""
    return [str(e.get("text") or "") for e in tracker.events if e.get("event") == "user"]


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


_STORY_INTENTS = {names.INTENT_REPORT_ALREADY_COMPLAINED, names.INTENT_STATE_DEMAND}
"""Besides the reports themselves, the messages that tell part of what happened."""
_STORY_MIN_INFORM_CHARS = 10
"""An `inform` message this long tells something ("扣款时间是昨晚八点，订单号…"); shorter ones answer a
question ("支付宝", "500")."""
STORY_MAX_CHARS = 300
"""The letter quotes at most this much of the user's own words (a letter fits one WeChat reply)."""


def story_messages(tracker: Tracker, problem: Optional[str]) -> tuple[str, ...]:
    """What the user told about this problem, in their own words, oldest first: the reports of it and
    the messages that add to it, back to where another problem was reported. Button payloads and
    short answers are left out; the total stays within STORY_MAX_CHARS (the latest words kept)."""
    told: list[str] = []
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        intent = ((event.get("parse_data") or {}).get("intent") or {}).get("name") or ""
        text = (event.get("text") or "").strip()
        if intent in names.PROBLEM_BY_INTENT and names.PROBLEM_BY_INTENT[intent] != problem:
            break
        if not text or text.startswith("/"):
            continue
        if (
            intent in names.PROBLEM_BY_INTENT
            or intent in _STORY_INTENTS
            or (intent == names.INTENT_INFORM and len(text) >= _STORY_MIN_INFORM_CHARS)
        ):
            if sum(len(t) for t in told) + len(text) > STORY_MAX_CHARS:
                break
            told.append(text)
    return tuple(dict.fromkeys(reversed(told)))


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
