"""The complaint letter: a form for the missing essentials, then the letter from the store's template."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import case_replies, letters, names
from actions.base import CaseAction, OpenCase, knowledge_store, off_the_loop
from actions.conversation import entity_values, first_entity_value, latest_intent, message_date, reported_problem
from actions.knowledge.store import KnowledgeStore, KnowledgeStoreUnavailable
from assistant_core.seed import DEMAND_KEYS

# "不记得了" / "跳过" when asked for an essential: the letter says （待补充） there instead.
_SKIP = re.compile(r"不知道|不记得|记不清|忘了|不清楚|不确定|跳过|略过|没有|算了")
# A bare number answering "涉及多少钱": 500 / 1200.5 / 1,200.
_BARE_NUMBER = re.compile(r"^\s*(?:大概|大约|差不多)?\s*(\d{1,3}(?:,\d{3})+|\d+)(\.\d{1,2})?\s*(?:左右)?\s*$")
# Questions answered by their own rules while the form waits (data/rules/case_file.yml).
_DIGRESSIONS = {
    "ask_hotline",
    "ask_evidence",
    "ask_legal_rights",
    "goodbye",
    names.INTENT_REPORT_ALREADY_COMPLAINED,
    names.INTENT_ASK_REPORT_POLICE,
    names.INTENT_ASK_SHARE_SECRET,
}


class ValidateComplaintLetterForm(FormValidationAction):
    """Fill the letter's essentials: problem, wallet, amount (money problems), time, demand."""

    def name(self) -> Text:
        return names.ACTION_VALIDATE_COMPLAINT_LETTER_FORM

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        """A complaint about support alone needs no amount."""
        problem = tracker.get_slot(names.SLOT_PROBLEM) or reported_problem(tracker)
        if problem == names.CATEGORY_SUPPORT_UNRESPONSIVE:
            return [slot for slot in domain_slots if slot != names.SLOT_AMOUNT]
        return list(domain_slots)

    def extract_problem(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """The problem from a report in this message or earlier (the buttons send report intents)."""
        if tracker.get_slot(names.SLOT_PROBLEM) is not None:
            return {}
        problem = names.PROBLEM_BY_INTENT.get(latest_intent(tracker) or "") or reported_problem(tracker)
        return {names.SLOT_PROBLEM: problem} if problem else {}

    def extract_amount(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        """The amount asked for; a bare number counts too (the NLU only takes numbers with a unit)."""
        if not self._asked(tracker, names.SLOT_AMOUNT):
            return {}
        said = first_entity_value(tracker, names.ENTITY_AMOUNT)
        if said:
            return {names.SLOT_AMOUNT: said}
        match = _BARE_NUMBER.match(tracker.latest_message.get("text") or "")
        if match:
            number = float(match.group(1).replace(",", "") + (match.group(2) or ""))
            return {names.SLOT_AMOUNT: f"{number:.2f} CNY"}
        return self._skip_or_ask_again(dispatcher, tracker, names.SLOT_AMOUNT)

    def extract_incident_time(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """The time asked for, whatever the intent ("上周五" can read like an earlier complaint)."""
        if not self._asked(tracker, names.SLOT_INCIDENT_TIME):
            return {}
        said = first_entity_value(tracker, names.ENTITY_INCIDENT_TIME)
        if said:
            return {names.SLOT_INCIDENT_TIME: said}
        return self._skip_or_ask_again(dispatcher, tracker, names.SLOT_INCIDENT_TIME)

    def extract_demand(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict) -> Dict[Text, Any]:
        """The demands asked for; "不知道" leaves the letter's demand to the user."""
        if not self._asked(tracker, names.SLOT_DEMAND):
            return {}
        said = entity_values(tracker, names.ENTITY_DEMAND)
        if said:
            return {names.SLOT_DEMAND: said}
        result = self._skip_or_ask_again(dispatcher, tracker, names.SLOT_DEMAND)
        if result.get(names.SLOT_DEMAND) == names.VALUE_UNKNOWN:
            return {names.SLOT_DEMAND: [names.VALUE_UNKNOWN]}
        return result

    async def validate_wallet(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Whatever alias the user gave, as a platform key; anything else is asked again."""
        values = slot_value if isinstance(slot_value, list) else [slot_value]
        try:
            keys, supported = await off_the_loop(_platform_keys_and_names, [str(v) for v in values if v])
            if len(keys) == 1:
                return {names.SLOT_WALLET: keys.pop()}
        except KnowledgeStoreUnavailable:
            # The letter action will apologise with the hotlines; don't block the form here.
            return {names.SLOT_WALLET: str(values[0]) if values and values[0] else None}
        dispatcher.utter_message(response=names.UTTER_WALLET_NOT_RECOGNISED, names=supported)
        return {names.SLOT_WALLET: None}

    def validate_demand(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Known demand keys only, without repeats."""
        values = slot_value if isinstance(slot_value, list) else [slot_value]
        known = [v for v in dict.fromkeys(values) if v in DEMAND_KEYS or v == names.VALUE_UNKNOWN]
        return {names.SLOT_DEMAND: known or None}

    @staticmethod
    def _asked(tracker: Tracker, slot: str) -> bool:
        return tracker.get_slot(names.SLOT_REQUESTED) == slot and tracker.get_slot(slot) is None

    @staticmethod
    def _skip_or_ask_again(dispatcher: CollectingDispatcher, tracker: Tracker, slot: str) -> Dict[Text, Any]:
        """ "跳过" → unknown; a question with its own answer → let its rule run; else explain and ask again."""
        text = tracker.latest_message.get("text") or ""
        intent = latest_intent(tracker)
        if intent == names.INTENT_DENY or _SKIP.search(text):
            return {slot: names.VALUE_UNKNOWN}
        if intent in _DIGRESSIONS:
            return {}
        dispatcher.utter_message(response=f"utter_ask_again_{slot}")
        return {slot: None}


class ActionWriteComplaintLetter(CaseAction):
    """Write the complaint letter for the step reached, send it, and store the case file."""

    def name(self) -> Text:
        return names.ACTION_WRITE_COMPLAINT_LETTER

    def answer_case(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, opened: OpenCase
    ) -> List[Dict[Text, Any]]:
        case, problem, ladder, platform = opened.case, opened.problem, opened.ladder, opened.platform
        category = store.category(problem)
        kit = store.letter_kit()
        reached = case.reached(ladder)
        template = kit.template_for_step(reached.key, case.wallet)
        if template is None:
            raise store.not_seeded(f"letter template for step {reached.key!r}")
        today = message_date(tracker, self.clock)
        letter = letters.render_letter(
            kit=kit,
            template=template,
            case=case,
            category=category,
            platform=platform,
            product=opened.product,
            ladder=ladder,
            reached=reached,
            steps=case.steps_for_letter(ladder),
            evidence=store.evidence_checklist(problem, case.wallet),
            today=today,
        )
        dispatcher.utter_message(text=case_replies.letter_cover(letter))
        dispatcher.utter_message(text=letter.body)
        if reached.suggested_wait_days:
            dispatcher.utter_message(text=case_replies.come_back(reached.suggested_wait_days, today))
        dispatcher.utter_message(text=case_replies.disclaimer(store.notice(names.NOTICE_LEGAL_DISCLAIMER)))
        self.cases_factory().save(case.record(ladder), now=self.clock(), letter=template)
        return []


def _platform_keys_and_names(values: List[str]) -> tuple[set[str], str]:
    """The platform keys the user's words name, and the supported wallets' names (blocking SQL)."""
    store = knowledge_store()
    keys = {key for key in (store.platform_key_for_alias(v) for v in values) if key is not None}
    return keys, "、".join(p.name for p in store.platforms())
