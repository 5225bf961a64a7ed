"""Reading the conversation: the latest intent, the problem reported, whether a code was mentioned."""

from __future__ import annotations

import re
from typing import Optional

from rasa_sdk import Tracker

from actions import names

_CODE_WORDS = re.compile(r"验证码|校验码|动态码|短信码|付款码|密码")


def mentions_code(tracker: Tracker) -> bool:
    """True when the user's latest message talks about a verification code or password."""
    return bool(_CODE_WORDS.search((tracker.latest_message or {}).get("text") or ""))


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
