"""Steps the user already took ("我上周已经投诉了"): record them and move along the ladder by its deadlines."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import case_replies, names
from actions.base import CaseAction, OpenCase
from actions.case import steps_said_done, wait_status
from actions.conversation import date_of, first_entity_value, latest_text, message_date
from actions.knowledge.store import KnowledgeStore
from actions.problem_actions import give_next_step
from assistant_core.records import STEP_OUTCOME_UNRESOLVED, STEP_OUTCOME_WAITING, StepTried


class ActionRecordEarlierComplaint(CaseAction):
    """Record the step taken (when, ticket) and give the next one once its suggested wait has passed."""

    def name(self) -> Text:
        return names.ACTION_RECORD_EARLIER_COMPLAINT

    def answer_case(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, opened: OpenCase
    ) -> List[Dict[Text, Any]]:
        case, problem, ladder, platform = opened.case, opened.problem, opened.ladder, opened.platform
        text = latest_text(tracker)
        step = case.step_named_in(text, ladder, platform) or case.current_step(ladder)
        today = message_date(tracker, self.clock)
        on = date_of(first_entity_value(tracker, names.ENTITY_INCIDENT_TIME))
        ticket = first_entity_value(tracker, names.ENTITY_TICKET_ID)
        status = wait_status(step, on, today)
        waiting = on is not None and status.days_left > 0
        tried = StepTried(step.key, on, ticket, STEP_OUTCOME_WAITING if waiting else STEP_OUTCOME_UNRESOLVED)
        # Every other step the message names as done counts as taken too ("客服、主管、12315都找过了").
        for other in steps_said_done(text, ladder):
            if other.key != step.key:
                case = case.with_taken(StepTried(other.key), ladder)
        case = case.with_taken(tried, ladder)

        dispatcher.utter_message(text=case_replies.step_recorded(step, platform, on, ticket))
        if waiting:
            dispatcher.utter_message(text=case_replies.wait_more(status))
        elif case.next_step(ladder) is not None:
            lead = (
                case_replies.wait_unknown(status)
                if on is None and step.suggested_wait_days
                else case_replies.wait_over(status)
            )
            dispatcher.utter_message(text=lead)
            case = give_next_step(dispatcher, store, case, ladder, platform)
        else:
            case = give_next_step(dispatcher, store, case, ladder, platform)

        self.cases_factory().save(case.record(ladder), now=self.clock())
        return [SlotSet(names.SLOT_PROBLEM, problem), case.progress_event(tracker)]
