"""Answering a reported problem and climbing its escalation ladder."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import names, replies
from actions.base import KnowledgeAction, case_ladder
from actions.case import Case, case_from_tracker, steps_said_done
from actions.conversation import first_entity_value, latest_intent, latest_text, reported_problem
from actions.knowledge.store import KnowledgeStore
from assistant_core.records import EscalationStep, Platform, StepTried


def give_next_step(
    dispatcher: CollectingDispatcher,
    store: KnowledgeStore,
    case: Case,
    ladder: Sequence[EscalationStep],
    platform: Optional[Platform],
) -> Case:
    """Give the case's next step (the case after it); past the end of the ladder, sum up instead."""
    step = case.next_step(ladder)
    disclaimer = store.notice(names.NOTICE_LEGAL_DISCLAIMER)
    if step is None:
        notice = store.notice(names.NOTICE_LADDER_EXHAUSTED)
        dispatcher.utter_message(text=replies.ladder_exhausted(ladder, platform, notice, disclaimer))
        return case
    is_first = step.position == ladder[0].position
    dispatcher.utter_message(text=replies.escalation_step(step, len(ladder), platform, disclaimer, is_first=is_first))
    # Each step ends in waiting for an answer: offer to come back then (actions/reminder_actions.py).
    dispatcher.utter_message(response=names.UTTER_OFFER_REMINDER)
    return case.with_given(step)


def _climb(
    dispatcher: CollectingDispatcher,
    tracker: Tracker,
    store: KnowledgeStore,
    problem: str,
    platform: Optional[Platform],
    text: str = "",
) -> List[Dict[Text, Any]]:
    """Give the next step of the (wallet, problem) case and remember it in the slot; steps `text`
    says were already taken ("已经报警了") count as taken and are not offered."""
    case = case_from_tracker(tracker, problem, platform.key if platform else None)
    ladder, _ = case_ladder(store, tracker, problem, case.wallet)
    start = case
    for step in steps_said_done(text, ladder):
        case = case.with_taken(StepTried(step.key), ladder, steps_below_given=False)
    climbed = give_next_step(dispatcher, store, case, ladder, platform)
    return [] if climbed is start else [climbed.progress_event(tracker)]


def _wallet_named(
    tracker: Tracker, store: KnowledgeStore
) -> tuple[Optional[Platform], Optional[str], List[Dict[Text, Any]]]:
    """The wallet of the case: a seeded platform, or the name of a wallet without verified facts
    (云闪付, PayPal …); the latest message's naming wins, and the other kind is cleared."""
    if first_entity_value(tracker, names.ENTITY_WALLET) is not None:
        return _platform(tracker, store), None, [SlotSet(names.SLOT_OTHER_WALLET, None)]
    named_other = first_entity_value(tracker, names.ENTITY_OTHER_WALLET)
    if named_other is not None:
        return None, named_other, [SlotSet(names.SLOT_WALLET, None)]
    other = tracker.get_slot(names.SLOT_OTHER_WALLET)
    platform = _platform(tracker, store)
    return platform, (other if platform is None else None), []


def _platform(tracker: Tracker, store: KnowledgeStore) -> Optional[Platform]:
    """The wallet slot's platform. The NLU only fills it with keys; a hand-written payload such as
    /inform{"wallet":"支付宝"} may carry an alias instead (read then only, off the common path)."""
    key = tracker.get_slot(names.SLOT_WALLET)
    if not key:
        return None
    platform = store.platform(key)
    if platform is None:
        alias_of = store.platform_key_for_alias(str(key))
        platform = store.platform(alias_of) if alias_of else None
    return platform


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
        platform, other, events = _wallet_named(tracker, store)
        if problem is None:
            dispatcher.utter_message(response=names.UTTER_ASK_WHICH_PROBLEM)
            return events
        if self._is_escalation_of(previous, problem, tracker):
            # "客服不处理" in the middle of a case means the platform failed: go up the ladder.
            return _climb(dispatcher, tracker, store, str(previous), platform)

        category = store.category(problem)
        wallet = platform.key if platform else None
        if problem == names.CATEGORY_FUND_SECURITY:
            # Reported with the wallet named: first aid for that wallet comes first. After the wallet
            # question (which already led with the general first aid, see ActionAskWallet) only what
            # is this wallet's own follows (Apple Pay: Lost Mode, removing the cards).
            if intent == names.INTENT_REPORT_FUND_SECURITY:
                dispatcher.utter_message(
                    text=replies.urgent_steps(
                        category.advice_of_kind(names.ADVICE_URGENT, wallet), store.notice(names.NOTICE_FRAUD_WARNING)
                    )
                )
            elif platform is not None:
                own = [a.text for a in category.advice_items_of_kind(names.ADVICE_URGENT) if platform.key in a.wallets]
                if own:
                    dispatcher.utter_message(text=replies.wallet_first_aid(platform.name, own))
        elif problem == names.CATEGORY_TOPUP_FAILURE:
            dispatcher.utter_message(
                text=replies.self_checks(category, category.advice_of_kind(names.ADVICE_SELF_CHECK, wallet))
            )
        else:
            dispatcher.utter_message(
                text=replies.guidance(category, category.advice_of_kind(names.ADVICE_GUIDANCE, wallet))
            )
        if platform is not None:
            dispatcher.utter_message(text=replies.platform_contact(platform))
        elif other is not None:
            # No verified facts for this wallet: say so, and give what holds for any wallet.
            dispatcher.utter_message(response=names.UTTER_NO_VERIFIED_FACTS, wallet=other)
            dispatcher.utter_message(text=store.notice(names.NOTICE_OTHER_WALLET_ROUTE))
        else:
            dispatcher.utter_message(text=replies.all_hotlines(store.platforms()))
        evidence = store.evidence_checklist(problem, wallet)
        dispatcher.utter_message(text=replies.evidence_checklist(evidence, store.notice(names.NOTICE_EVIDENCE_TIPS)))
        events.append(SlotSet(names.SLOT_PROBLEM, problem))
        events += _climb(dispatcher, tracker, store, problem, platform, latest_text(tracker))
        if problem == names.CATEGORY_FUND_SECURITY:
            dispatcher.utter_message(
                text=replies.prevention_tips(
                    category.advice_of_kind(names.ADVICE_PREVENTION, wallet),
                    store.notice(names.NOTICE_RECOVERY_SCAM_WARNING),
                )
            )
        return events

    @staticmethod
    def _is_escalation_of(previous: Optional[str], problem: str, tracker: Tracker) -> bool:
        """True when "support does nothing" is said about a case already under way."""
        if problem != names.CATEGORY_SUPPORT_UNRESPONSIVE or previous in (None, problem):
            return False
        return bool(case_from_tracker(tracker, str(previous)).progress.step_keys)


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
        # "12315投诉过了，接下来呢": the step said done counts as taken, so it is never offered next.
        return _climb(dispatcher, tracker, store, problem, _platform(tracker, store), latest_text(tracker))
