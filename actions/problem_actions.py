"""Answering a reported problem and climbing its escalation ladder."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import escalation, names, replies
from actions.base import KnowledgeAction
from actions.conversation import latest_intent, reported_problem
from actions.knowledge.store import KnowledgeStore
from assistant_core.records import Platform


def _utter_step_or_summary(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    store: KnowledgeStore,
    problem: str,
    platform: Optional[Platform],
) -> List[Dict[Text, Any]]:
    """Give the next step of the (wallet, problem) case and remember it; past the end, sum up."""
    wallet = platform.key if platform else None
    markers = tracker.get_slot(names.SLOT_ESCALATION_GIVEN)
    ladder = store.escalation_ladder(problem, wallet)
    given = escalation.given_step_keys(wallet, problem, markers)
    step = escalation.next_step(ladder, given)
    disclaimer = store.notice(names.NOTICE_LEGAL_DISCLAIMER)
    if step is None:
        notice = store.notice(names.NOTICE_LADDER_EXHAUSTED)
        dispatcher.utter_message(text=replies.ladder_exhausted(ladder, platform, notice, disclaimer))
        return []
    dispatcher.utter_message(text=replies.escalation_step(step, len(ladder), platform, disclaimer, is_first=not given))
    # Each step ends in waiting for an answer: offer to come back then (actions/reminder_actions.py).
    dispatcher.utter_message(response=names.UTTER_OFFER_REMINDER)
    return [SlotSet(names.SLOT_ESCALATION_GIVEN, escalation.remember(markers, wallet, problem, step))]


def _platform(tracker: Tracker, store: KnowledgeStore) -> Optional[Platform]:
    key = tracker.get_slot(names.SLOT_WALLET)
    return store.platform(key) if key else None


class ActionAnswerProblem(KnowledgeAction):
    """Answer a reported problem: checks or urgent steps, contact, evidence, the next step."""

    def name(self) -> Text:
        return names.ACTION_ANSWER_PROBLEM

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        intent = latest_intent(tracker)
        previous = tracker.get_slot(names.SLOT_PROBLEM)
        # A report names the problem; a wallet answer or switch keeps the one under way.
        problem = names.PROBLEM_BY_INTENT.get(intent or "") or previous or reported_problem(tracker)
        platform = _platform(tracker, store)
        if problem is None:
            dispatcher.utter_message(response=names.UTTER_ASK_WHICH_PROBLEM)
            return []
        if self._is_escalation_of(previous, problem, tracker):
            # "客服不处理" in the middle of a case means the platform failed: go up the ladder.
            return _utter_step_or_summary(dispatcher, tracker, store, str(previous), platform)

        category = store.category(problem)
        if problem == names.CATEGORY_FUND_SECURITY:
            # Reported with the wallet named: first aid comes first. After the wallet question
            # (which already led with it, see ActionAskWallet) it is not repeated.
            if intent == names.INTENT_REPORT_FUND_SECURITY:
                dispatcher.utter_message(
                    text=replies.urgent_steps(
                        category.advice_of_kind(names.ADVICE_URGENT), store.notice(names.NOTICE_FRAUD_WARNING)
                    )
                )
        elif problem == names.CATEGORY_TOPUP_FAILURE:
            dispatcher.utter_message(
                text=replies.self_checks(category, category.advice_of_kind(names.ADVICE_SELF_CHECK))
            )
        else:
            dispatcher.utter_message(text=replies.guidance(category, category.advice_of_kind(names.ADVICE_GUIDANCE)))
        if platform is not None:
            dispatcher.utter_message(text=replies.platform_contact(platform))
        else:
            dispatcher.utter_message(text=replies.all_hotlines(store.platforms()))
        evidence = store.evidence_checklist(problem, platform.key if platform else None)
        dispatcher.utter_message(text=replies.evidence_checklist(evidence, store.notice(names.NOTICE_EVIDENCE_TIPS)))
        events: List[Dict[Text, Any]] = [SlotSet(names.SLOT_PROBLEM, problem)]
        events += _utter_step_or_summary(dispatcher, tracker, store, problem, platform)
        if problem == names.CATEGORY_FUND_SECURITY:
            dispatcher.utter_message(
                text=replies.prevention_tips(
                    category.advice_of_kind(names.ADVICE_PREVENTION), store.notice(names.NOTICE_RECOVERY_SCAM_WARNING)
                )
            )
        return events

    @staticmethod
    def _is_escalation_of(previous: Optional[str], problem: str, tracker: Tracker) -> bool:
        """True when "support does nothing" is said about a case already under way."""
        if problem != names.CATEGORY_SUPPORT_UNRESPONSIVE or previous in (None, problem):
            return False
        markers = tracker.get_slot(names.SLOT_ESCALATION_GIVEN)
        return bool(escalation.given_step_keys(tracker.get_slot(names.SLOT_WALLET), str(previous), markers))


class ActionGiveNextEscalationStep(KnowledgeAction):
    """Give the next step up the escalation ladder of the current problem."""

    def name(self) -> Text:
        return names.ACTION_GIVE_NEXT_ESCALATION_STEP

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        problem = tracker.get_slot(names.SLOT_PROBLEM)
        if problem is None:
            dispatcher.utter_message(response=names.UTTER_ASK_WHICH_PROBLEM)
            return []
        return _utter_step_or_summary(dispatcher, tracker, store, problem, _platform(tracker, store))
