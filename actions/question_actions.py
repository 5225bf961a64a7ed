"""Direct questions asked in the middle of a case, answered directly: police, codes, demands."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions import names, replies
from actions.base import KnowledgeAction
from actions.case import case_from_tracker
from actions.conversation import entity_values, latest_text, reported_problem
from actions.knowledge.store import KnowledgeStore

# "要不要改密码" / "密码用不用换": a question about changing the password, not about sharing it.
_CHANGE_PASSWORD = re.compile(r"(?:改|修改|换|重置|重设|更换).{0,4}密码|密码.{0,4}(?:改|换|重置|重设)")


class ActionAnswerPoliceQuestion(KnowledgeAction):
    """"需不需要报案": yes for fraud and theft, with the police step; otherwise when it would be."""

    def name(self) -> Text:
        return names.ACTION_ANSWER_POLICE_QUESTION

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        problem = reported_problem(tracker)
        wallet = tracker.get_slot(names.SLOT_WALLET)
        ladder = store.escalation_ladder(names.CATEGORY_FUND_SECURITY, wallet)
        police = next((step for step in ladder if step.key == names.STEP_POLICE), None)
        if police is None:
            raise store.not_seeded(f"step {names.STEP_POLICE!r} of the {names.CATEGORY_FUND_SECURITY} ladder")
        if problem in (None, names.CATEGORY_FUND_SECURITY):
            dispatcher.utter_message(response=names.UTTER_POLICE_YES)
        else:
            dispatcher.utter_message(text=store.notice(names.NOTICE_POLICE_IF_DEFRAUDED))
        dispatcher.utter_message(text=replies.step_card(police, None))
        if problem != names.CATEGORY_FUND_SECURITY:
            return []
        case = case_from_tracker(tracker, problem)
        return [case.with_given(police).progress_event(tracker)]


class ActionAnswerSecretQuestion(KnowledgeAction):
    """"验证码要发给你吗": never, to anyone, this assistant included."""

    answers_about_codes = True

    def name(self) -> Text:
        return names.ACTION_ANSWER_SECRET_QUESTION

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        if _CHANGE_PASSWORD.search(latest_text(tracker)):  # "要不要改密码": yes, and where, first
            dispatcher.utter_message(text=store.notice(names.NOTICE_CHANGE_PASSWORD))
        dispatcher.utter_message(text=store.notice(names.NOTICE_NEVER_SHARE_SECRETS))
        return []


class ActionRecordDemand(KnowledgeAction):
    """"只想把钱退回来": say what was understood and keep it for the letter (the `demand` slot)."""

    def name(self) -> Text:
        return names.ACTION_RECORD_DEMAND

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        said = entity_values(tracker, names.ENTITY_DEMAND)
        if not said:
            dispatcher.utter_message(response="utter_ask_demand")
            return []
        wording = store.letter_kit().demands
        dispatcher.utter_message(
            response=names.UTTER_DEMAND_RECORDED, demands="；".join(wording.get(key, key) for key in said)
        )
        return [SlotSet(names.SLOT_DEMAND, said)]
