"""The case file of a conversation: what the user told us, and where they are on the ladder.

Built from slots as the user talks (amount, incident_time, order_id, demand and
ticket_ids are filled by the NLU's fact entities; the steps given and taken by the
actions). Everything but `case_from_tracker` and `message_date` is a pure function.

The `case_steps_tried` slot holds the steps the user says they took, as
`{"case": "alipay:topup_failure:", "step": "platform_support", "on": "2026-11-18",
"ticket": "T20241118007", "outcome": "waiting"}` dicts, so several cases (a wallet
switch) keep their own history, like `escalation_steps_given` does.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import Any, Callable, Iterable, List, Optional, Sequence

from rasa_sdk import Tracker

from actions import escalation, names
from actions.case_store import UNKNOWN_WALLET
from actions.conversation import reported_problem
from assistant_core.clock import local_zone, utc_now
from assistant_core.records import (
    CaseRecord,
    EscalationStep,
    LetterTemplate,
    Platform,
    StepTried,
)


def message_date(tracker: Tracker, clock: Callable[[], dt.datetime] = utc_now) -> dt.date:
    """Local date of the latest user message (its timestamp), else of the clock."""
    for event in reversed(tracker.events):
        if event.get("event") == "user" and isinstance(event.get("timestamp"), (int, float)):
            return dt.datetime.fromtimestamp(float(event["timestamp"]), tz=local_zone()).date()
    return clock().astimezone(local_zone()).date()


@dataclass(frozen=True)
class CaseFile:
    """One complaint case (a problem with one wallet) as the conversation knows it."""

    conversation_id: str
    problem: Optional[str]
    wallet: Optional[str]
    amount: Optional[str] = None
    incident_time: Optional[str] = None
    order_id: Optional[str] = None
    demands: tuple[str, ...] = ()
    ticket_ids: tuple[str, ...] = ()
    steps_given: tuple[str, ...] = ()
    steps_tried: tuple[StepTried, ...] = ()
    account: Optional[str] = None
    """The user's own words when reporting the problem (as the channel passed them on)."""

    @property
    def case_key(self) -> str:
        """'alipay:topup_failure:' — the prefix of this case's markers in the slots."""
        return escalation.case_prefix(self.wallet, self.problem or "")

    @property
    def all_ticket_ids(self) -> tuple[str, ...]:
        """Ticket numbers mentioned anywhere, in order, without repeats."""
        tickets = [*self.ticket_ids, *(s.ticket_id for s in self.steps_tried if s.ticket_id)]
        return tuple(dict.fromkeys(t for t in tickets if t))


def _text(value: Any) -> Optional[str]:
    return str(value) if value not in (None, "", []) else None


def _texts(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value] if value else []
    return tuple(dict.fromkeys(str(v) for v in values if v))


def tried_from_slot(value: Any, case_key: str) -> tuple[StepTried, ...]:
    """The steps taken in this case, from the `case_steps_tried` slot."""
    return tuple(
        StepTried.from_json(item)
        for item in value or ()
        if isinstance(item, dict) and item.get("case") == case_key and item.get("step")
    )


def remember_tried(value: Any, case_key: str, tried: StepTried) -> List[dict]:
    """The `case_steps_tried` slot after recording `tried` (replacing an earlier record of that step)."""
    kept = [
        item
        for item in (value or ())
        if isinstance(item, dict) and not (item.get("case") == case_key and item.get("step") == tried.step_key)
    ]
    return [*kept, {"case": case_key, **tried.to_json()}]


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


def case_from_tracker(tracker: Tracker, problem: Optional[str] = None) -> CaseFile:
    """The current case, built from the slots (and the report message) of the conversation."""
    problem = problem or tracker.get_slot(names.SLOT_PROBLEM) or reported_problem(tracker)
    wallet = tracker.get_slot(names.SLOT_WALLET)
    case_key = escalation.case_prefix(wallet, problem or "")
    given = [
        m[len(case_key) :]
        for m in tracker.get_slot(names.SLOT_ESCALATION_GIVEN) or ()
        if isinstance(m, str) and m.startswith(case_key)
    ]
    return CaseFile(
        conversation_id=tracker.sender_id,
        problem=problem,
        wallet=wallet,
        amount=_text(tracker.get_slot(names.SLOT_AMOUNT)),
        incident_time=_text(tracker.get_slot(names.SLOT_INCIDENT_TIME)),
        order_id=_text(tracker.get_slot(names.SLOT_ORDER_ID)),
        demands=_texts(tracker.get_slot(names.SLOT_DEMAND)),
        ticket_ids=_texts(tracker.get_slot(names.SLOT_TICKET_IDS)),
        steps_given=tuple(given),
        steps_tried=tried_from_slot(tracker.get_slot(names.SLOT_CASE_STEPS_TRIED), case_key),
        account=report_text(tracker, problem),
    )


# --- the ladder ----------------------------------------------------------------------------------


def step_reached(ladder: Sequence[EscalationStep], case: CaseFile) -> EscalationStep:
    """The highest step given or taken in this case; the first step if none yet."""
    keys = {*case.steps_given, *(s.step_key for s in case.steps_tried)}
    reached = [step for step in ladder if step.key in keys]
    return max(reached, key=lambda s: s.position) if reached else ladder[0]


def current_step(ladder: Sequence[EscalationStep], case: CaseFile) -> EscalationStep:
    """The step the user was told to take last (the one "我已经投诉了" most likely refers to)."""
    given = [step for step in ladder if step.key in case.steps_given]
    return max(given, key=lambda s: s.position) if given else ladder[0]


def step_named_in(
    text: str, ladder: Sequence[EscalationStep], case: CaseFile, platform: Optional[Platform]
) -> Optional[EscalationStep]:
    """The step whose phone number the user mentions: 12315, 12363, 110 … or the wallet's hotline."""
    mentioned = set(re.findall(r"\d{3,}", text.replace("-", "")))
    if not mentioned:
        return None
    for step in sorted(ladder, key=lambda s: -s.position):
        if not step.uses_platform_contact and set(re.findall(r"\d{3,}", step.contact)) & mentioned:
            return step
    if platform is not None and platform.hotline.replace("-", "") in mentioned:
        on_platform = [s for s in ladder if s.uses_platform_contact]
        given = [s for s in on_platform if s.key in case.steps_given]
        return max(given, key=lambda s: s.position) if given else (on_platform[0] if on_platform else None)
    return None


def steps_for_letter(
    ladder: Sequence[EscalationStep], case: CaseFile, reached: EscalationStep
) -> tuple[StepTried, ...]:
    """What the user did before: steps taken (as told), and steps given before the one reached.

    A step given and then followed by "还是不行" was tried without success, so every step
    below the one reached counts as tried and unresolved unless the user said more.
    """
    told = {s.step_key: s for s in case.steps_tried}
    result = []
    for step in ladder:
        if step.key in told:
            result.append(told[step.key])
        elif step.key in case.steps_given and step.position < reached.position:
            result.append(StepTried(step.key))
    return tuple(result)


@dataclass(frozen=True)
class WaitStatus:
    """Days waited for a step's answer, against the assistant's suggested wait (not an official limit)."""

    wait_days: Optional[int]
    waited_days: Optional[int]
    come_back_on: Optional[dt.date]

    @property
    def days_left(self) -> int:
        if self.wait_days is None or self.waited_days is None:
            return 0
        return max(0, self.wait_days - self.waited_days)


def wait_status(step: EscalationStep, on: Optional[dt.date], today: dt.date) -> WaitStatus:
    """Days waited since `on` (None if unknown) and the date to come back if the step has a wait."""
    waited = (today - on).days if on else None
    if step.suggested_wait_days is None:
        return WaitStatus(None, waited, None)
    wait = step.suggested_wait_days
    return WaitStatus(wait, waited, (on or today) + dt.timedelta(days=wait))


def first_entity_value(tracker: Tracker, entity: str) -> Optional[str]:
    """The value of the first `entity` in the latest user message."""
    values = entity_values(tracker, entity)
    return values[0] if values else None


def entity_values(tracker: Tracker, entity: str) -> list[str]:
    """Every value of `entity` in the latest user message, in order, without repeats."""
    found = [str(e["value"]) for e in (tracker.latest_message or {}).get("entities") or () if e.get("entity") == entity]
    return list(dict.fromkeys(v for v in found if v))


def date_of(value: Optional[str]) -> Optional[dt.date]:
    """'2026-11-18' or '2026-11-18T15:00' → the date; None for anything else."""
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value[:10])
    except ValueError:
        return None


def to_record(
    case: CaseFile,
    reached: EscalationStep,
    previous: Optional[CaseRecord] = None,
    template: Optional[LetterTemplate] = None,
) -> CaseRecord:
    """The case as stored; a letter (template given) counts one more letter written."""
    record = CaseRecord(
        conversation_id=case.conversation_id,
        wallet=case.wallet or UNKNOWN_WALLET,
        problem=case.problem or "",
        step_reached=reached.key,
        step_position=reached.position,
        amount=case.amount,
        incident_time=case.incident_time,
        order_id=case.order_id,
        demands=case.demands,
        ticket_ids=case.all_ticket_ids,
        steps_tried=case.steps_tried,
        letter_template=previous.letter_template if previous else None,
        letter_version=previous.letter_version if previous else None,
        letters_written=previous.letters_written if previous else 0,
    )
    if template is not None:
        record = replace(
            record,
            letter_template=template.key,
            letter_version=template.version,
            letters_written=record.letters_written + 1,
        )
    return record


def markers_up_to(
    markers: Optional[Iterable[str]], case: CaseFile, ladder: Sequence[EscalationStep], step: EscalationStep
) -> list[str]:
    """`escalation_steps_given` once the user is at `step`: it and every step below it count as given."""
    value = list(markers or ())
    for earlier in ladder:
        if earlier.position <= step.position:
            value = escalation.remember(value, case.wallet, case.problem or "", earlier)
    return value
