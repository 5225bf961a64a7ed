"""Direct questions: hotline, evidence, account closure, legal rights."""

from __future__ import annotations

from abc import abstractmethod
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import case_replies, names, replies
from actions.base import KnowledgeAction, case_ladder
from actions.conversation import entity_values, reported_problem
from actions.knowledge.store import KnowledgeStore


class ActionGiveHotline(KnowledgeAction):
    """Just the phone number: the wallet's if known, otherwise all of them."""

    def name(self) -> Text:
        return names.ACTION_GIVE_HOTLINE

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        other = entity_values(tracker, names.ENTITY_OTHER_WALLET)
        if other:  # a wallet we hold no facts for: say so, never the other wallets' numbers
            dispatcher.utter_message(response=names.UTTER_NO_VERIFIED_FACTS, wallet=other[0])
            dispatcher.utter_message(text=store.notice(names.NOTICE_OTHER_WALLET_ROUTE))
            return []
        wallet = tracker.get_slot(names.SLOT_WALLET)
        platform = store.platform(wallet) if wallet else None
        if platform is not None:
            dispatcher.utter_message(text=replies.platform_contact(platform))
        else:
            dispatcher.utter_message(text=replies.all_hotlines(store.platforms()))
        return []


class ActionGiveEvidence(KnowledgeAction):
    """The evidence checklist for the current problem (and wallet, if known)."""

    def name(self) -> Text:
        return names.ACTION_GIVE_EVIDENCE

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        problem = reported_problem(tracker)
        if problem is None:
            dispatcher.utter_message(response=names.UTTER_ASK_WHICH_PROBLEM)
            return []
        items = store.evidence_checklist(problem, tracker.get_slot(names.SLOT_WALLET))
        dispatcher.utter_message(text=replies.evidence_checklist(items, store.notice(names.NOTICE_EVIDENCE_TIPS)))
        return []


class _GuidanceAction(KnowledgeAction):
    """Answer with one category's guidance list."""

    category_key: str = ""
    with_legal_disclaimer = False

    @abstractmethod
    def name(self) -> Text:
        """Each concrete guidance action has its own name (and so is registered)."""

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        category = store.category(self.category_key)
        disclaimer = store.notice(names.NOTICE_LEGAL_DISCLAIMER) if self.with_legal_disclaimer else None
        dispatcher.utter_message(
            text=replies.guidance(category, category.advice_of_kind(names.ADVICE_GUIDANCE), disclaimer)
        )
        return []


class ActionAnswerAccountClosure(_GuidanceAction):
    """Closing a wallet account: balance first, data deletion, keep records."""

    category_key = names.CATEGORY_ACCOUNT_CLOSURE

    def name(self) -> Text:
        return names.ACTION_ANSWER_ACCOUNT_CLOSURE


class ActionAnswerLegalRights(_GuidanceAction):
    """Consumer rights under 消费者权益保护法, with the not-legal-advice note; inside an open case
    ("我能起诉吗" about this top-up), the legal route of its ladder instead."""

    category_key = names.CATEGORY_LEGAL_RIGHTS
    with_legal_disclaimer = True

    def name(self) -> Text:
        return names.ACTION_ANSWER_LEGAL_RIGHTS

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        problem = tracker.get_slot(names.SLOT_PROBLEM)
        if problem not in names.PROBLEM_BY_INTENT.values():
            return super().answer(dispatcher, tracker, store)
        wallet = tracker.get_slot(names.SLOT_WALLET)
        ladder, _ = case_ladder(store, tracker, problem, wallet)
        legal = next((step for step in ladder if step.key == names.STEP_LEGAL_ROUTE), None)
        if legal is None:
            return super().answer(dispatcher, tracker, store)
        platform = store.platform(wallet) if wallet else None
        dispatcher.utter_message(text=replies.step_card(legal, platform))
        dispatcher.utter_message(text=case_replies.disclaimer(store.notice(names.NOTICE_LEGAL_DISCLAIMER)))
        return []
