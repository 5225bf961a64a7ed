"""The case: one problem with one wallet, what the user told us about it, and where it stands.

`case_from_tracker` builds it from the conversation: the facts the NLU filled into slots (amount,
incident_time, order_id, demand, ticket_ids), the report message, and the ladder progress of the
`case_progress` slot (its one codec is assistant_core.case_progress). Everything else here is pure:
the ladder methods return a new `Case`, `progress_event` turns it back into the slot, and `record`
into the row the case store keeps.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field, replace
from typing import Any, Optional, Sequence

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet

from actions import names
from actions.conversation import reported_problem, story_messages
from actions.numbers import digits, numbers_in, phone_numbers
from assistant_core import case_progress
from assistant_core.case_progress import LadderProgress
from assistant_core.records import CaseRecord, EscalationStep, Platform, StepTried


@dataclass(frozen=True)
class Case:
    """One complaint case as the conversation knows it."""

    conversation_id: str
    problem: Optional[str]
    wallet: Optional[str]
    amount: Optional[str] = None
    incident_time: Optional[str] = None
    order_id: Optional[str] = None
    demands: tuple[str, ...] = ()
    ticket_ids: tuple[str, ...] = ()
    progress: LadderProgress = field(default_factory=LadderProgress)
    story: tuple[str, ...] = ()
    """What the user told about the problem, in their own words (as the channel passed them on)."""

    @property
    def key(self) -> str:
        """This case's key in the `case_progress` slot, e.g. 'alipay/topup_failure'."""
        return case_progress.case_key(self.wallet, self.problem or "")

    @property
    def steps_taken(self) -> tuple[StepTried, ...]:
        return self.progress.taken

    @property
    def all_ticket_ids(self) -> tuple[str, ...]:
        """Ticket numbers mentioned anywhere, in order, without repeats."""
        tickets = [*self.ticket_ids, *(s.ticket_id for s in self.progress.taken if s.ticket_id)]
        return tuple(dict.fromkeys(t for t in tickets if t))

    # --- the ladder ------------------------------------------------------------------------------

    def next_step(self, ladder: Sequence[EscalationStep]) -> Optional[EscalationStep]:
        """The first step neither given nor taken yet; None past the end of the ladder."""
        done = self.progress.step_keys
        return next((step for step in ladder if step.key not in done), None)

    def reached(self, ladder: Sequence[EscalationStep]) -> EscalationStep:
        """The highest step given or taken; the first step if none yet."""
        done = self.progress.step_keys
        reached = [step for step in ladder if step.key in done]
        return max(reached, key=lambda s: s.position) if reached else ladder[0]

    def current_step(self, ladder: Sequence[EscalationStep]) -> EscalationStep:
        """The step the user was told to take last (the one "我已经投诉了" most likely refers to)."""
        given = [step for step in ladder if step.key in self.progress.given]
        return max(given, key=lambda s: s.position) if given else ladder[0]

    def with_given(self, step: EscalationStep) -> "Case":
        """This case after the assistant gave `step`."""
        return replace(self, progress=self.progress.with_given(step.key))

    def with_taken(self, tried: StepTried, ladder: Sequence[EscalationStep], steps_below_given: bool = True) -> "Case":
        """This case after the user took `tried`. Reached along the ladder ("我已经投诉了"), every
        step below it counts as given too; said up front ("被盗刷了，已经报警了"), only it does."""
        position = next((s.position for s in ladder if s.key == tried.step_key), None)
        progress = self.progress
        for step in ladder:
            if position is not None and (step.position < position and steps_below_given or step.key == tried.step_key):
                progress = progress.with_given(step.key)
        return replace(self, progress=progress.with_taken(tried))

    def steps_for_letter(self, ladder: Sequence[EscalationStep]) -> tuple[StepTried, ...]:
        """What the user did before: steps taken (as told), and steps given below the one reached.

        A step given and then followed by "还是不行" was tried without success, so every step
        below the one reached counts as tried and unresolved unless the user said more.
        """
        told = {s.step_key: s for s in self.progress.taken}
        reached = self.reached(ladder)
        result = []
        for step in ladder:
            if step.key in told:
                result.append(told[step.key])
            elif step.key in self.progress.given and step.position < reached.position:
                result.append(StepTried(step.key))
        return tuple(result)

    def step_named_in(
        self, text: str, ladder: Sequence[EscalationStep], platform: Optional[Platform]
    ) -> Optional[EscalationStep]:
        """The step the user names: by its number (12315, 110 …), its words (派出所, 消协) or the wallet's
        hotline; the highest one named. The wallet's own support means the highest such step given."""
        named = steps_named(text, ladder)
        if platform is not None and digits(platform.hotline) in {digits(n) for n in phone_numbers(text)}:
            named += [s for s in ladder if s.uses_platform_contact][:1]
        if not named:
            return None
        step = max(named, key=lambda s: s.position)
        if step.uses_platform_contact:
            given = [s for s in ladder if s.uses_platform_contact and s.key in self.progress.given]
            return max([step, *given], key=lambda s: s.position)
        return step

    # --- back to the slot and to the store -------------------------------------------------------

    def progress_event(self, tracker: Tracker) -> dict[str, Any]:
        """The `case_progress` slot event with this case's progress (other cases kept)."""
        cases = case_progress.decode(tracker.get_slot(names.SLOT_CASE_PROGRESS))
        cases[self.key] = self.progress
        return SlotSet(names.SLOT_CASE_PROGRESS, case_progress.encode(cases))

    def record(self, ladder: Sequence[EscalationStep]) -> CaseRecord:
        """The case as the case store keeps it (its letters are counted by the store)."""
        reached = self.reached(ladder)
        return CaseRecord(
            conversation_id=self.conversation_id,
            wallet=self.wallet or case_progress.UNKNOWN_WALLET,
            problem=self.problem or "",
            step_reached=reached.key,
            step_position=reached.position,
            amount=self.amount,
            incident_time=self.incident_time,
            order_id=self.order_id,
            demands=self.demands,
            ticket_ids=self.all_ticket_ids,
            steps_tried=self.progress.taken,
        )


_CLAUSES = re.compile(r"[，,。！!？?；;\n]")
# A step said done: "已经打过", "主管也找了", "12315 也没用" (taken and failed).
_DONE = re.compile(r"已经|已|过|没用|不管用|没结果|没下文|找了|打了|去了|报了|试了|投诉了|反映了")
_ASKING = re.compile(r"吗|么|要不要|需不需要|该不该|是否|能不能|可不可以|怎么")


def steps_named(text: str, ladder: Sequence[EscalationStep]) -> list[EscalationStep]:
    """Steps whose contact number or words (`said_as`) occur in `text`."""
    numbers = {digits(n) for n in phone_numbers(text)}
    return [
        step for step in ladder if numbers & numbers_in([step.contact]) or any(word in text for word in step.said_as)
    ]


def steps_said_done(text: str, ladder: Sequence[EscalationStep]) -> list[EscalationStep]:
    """Steps a message says were already taken ("派出所已经去过了", "客服电话打过两次"), not asked about."""
    done: list[EscalationStep] = []
    for clause in _CLAUSES.split(text or ""):
        if _DONE.search(clause) and not _ASKING.search(clause):
            done += [step for step in steps_named(clause, ladder) if step not in done]
    return done


def _text(value: Any) -> Optional[str]:
    return str(value) if value not in (None, "", []) else None


def _texts(value: Any) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value] if value else []
    return tuple(dict.fromkeys(str(v) for v in values if v))


_WALLET_SLOT = "from the wallet slot"


def case_from_tracker(tracker: Tracker, problem: Optional[str] = None, wallet: Optional[str] = _WALLET_SLOT) -> Case:
    """The current case, built from the slots (and the report message) of the conversation.

    `wallet` overrides the wallet slot (None: a wallet the store has no facts for)."""
    problem = problem or tracker.get_slot(names.SLOT_PROBLEM) or reported_problem(tracker)
    if wallet == _WALLET_SLOT:
        wallet = tracker.get_slot(names.SLOT_WALLET)
    progress = case_progress.decode(tracker.get_slot(names.SLOT_CASE_PROGRESS))
    return Case(
        conversation_id=tracker.sender_id,
        problem=problem,
        wallet=wallet,
        amount=_text(tracker.get_slot(names.SLOT_AMOUNT)),
        incident_time=_text(tracker.get_slot(names.SLOT_INCIDENT_TIME)),
        order_id=_text(tracker.get_slot(names.SLOT_ORDER_ID)),
        demands=_texts(tracker.get_slot(names.SLOT_DEMAND)),
        ticket_ids=_texts(tracker.get_slot(names.SLOT_TICKET_IDS)),
        progress=progress.get(case_progress.case_key(wallet, problem or ""), LadderProgress()),
        story=story_messages(tracker, problem),
    )


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
