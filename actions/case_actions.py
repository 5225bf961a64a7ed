"""Steps the user already took ("我上周已经投诉了"): record them and move along the ladder by its deadlines."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import case_file, case_replies, escalation, names, replies
from actions.base import CaseAction, OpenCase
from actions.knowledge.store import KnowledgeStore
from assistant_core.records import STEP_OUTCOME_UNRESOLVED, STEP_OUTCOME_WAITING, StepTried


class ActionRecordEarlierComplaint(CaseAction):
    """Record the step taken (when, ticket) and give the next one once its suggested wait has passed."""

    def name(self) -> Text:
        return names.ACTION_RECORD_EARLIER_COMPLAINT

    def answer_case(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, opened: OpenCase
    ) -> List[Dict[Text, Any]]:
        case, problem, ladder, platform = opened.case, opened.problem, opened.ladder, opened.platform
        text = (tracker.latest_message or {}).get("text") or ""
        step = case_file.step_named_in(text, ladder, case, platform) or case_file.current_step(ladder, case)
        today = case_file.message_date(tracker, self.clock)
        on = case_file.date_of(case_file.first_entity_value(tracker, names.ENTITY_INCIDENT_TIME))
        ticket = case_file.first_entity_value(tracker, names.ENTITY_TICKET_ID)
        status = case_file.wait_status(step, on, today)
        waiting = on is not None and status.days_left > 0
        tried = StepTried(step.key, on, ticket, STEP_OUTCOME_WAITING if waiting else STEP_OUTCOME_UNRESOLVED)

        markers = case_file.markers_up_to(tracker.get_slot(names.SLOT_ESCALATION_GIVEN), case, ladder, step)
        steps_tried = case_file.remember_tried(tracker.get_slot(names.SLOT_CASE_STEPS_TRIED), case.case_key, tried)
        dispatcher.utter_message(text=case_replies.step_recorded(step, platform, on, ticket))
        if waiting:
            dispatcher.utter_message(text=case_replies.wait_more(status))
        else:
            next_step = escalation.next_step(
                ladder, set(escalation.given_step_keys(case.wallet, problem, markers))
            )
            disclaimer = store.notice(names.NOTICE_LEGAL_DISCLAIMER)
            if next_step is None:
                notice = store.notice(names.NOTICE_LADDER_EXHAUSTED)
                dispatcher.utter_message(text=replies.ladder_exhausted(ladder, platform, notice, disclaimer))
            else:
                lead = (
                    case_replies.wait_unknown(status)
                    if on is None and step.suggested_wait_days
                    else case_replies.wait_over(status)
                )
                dispatcher.utter_message(text=lead)
                dispatcher.utter_message(text=replies.escalation_step(next_step, len(ladder), platform, disclaimer))
                markers = escalation.remember(markers, case.wallet, problem, next_step)

        updated = replace(
            case,
            steps_given=tuple(m[len(case.case_key) :] for m in markers if m.startswith(case.case_key)),
            steps_tried=case_file.tried_from_slot(steps_tried, case.case_key),
        )
        cases = self.cases_factory()
        reached = case_file.step_reached(ladder, updated)
        previous = cases.get(case.conversation_id, case_file.to_record(updated, reached).wallet, problem)
        cases.save(case_file.to_record(updated, reached, previous), now=self.clock())
        return [
            SlotSet(names.SLOT_PROBLEM, problem),
            SlotSet(names.SLOT_ESCALATION_GIVEN, markers),
            SlotSet(names.SLOT_CASE_STEPS_TRIED, steps_tried),
        ]
