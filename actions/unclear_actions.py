"""A message the NLU is unsure about: keep the thread of the open case instead of starting over.

Outside a case the three problem buttons stay. Inside one (a problem known), whatever the message
still carries is acted on, in this order: a pasted code, card number or password gets its warning
first; thanks or goodbye in any language is answered; a wallet named switches the case; steps said
done are recorded and the next one given; otherwise a question about *this* case, with buttons.
"""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import names
from actions.base import KnowledgeAction, case_ladder
from actions.case import case_from_tracker, steps_said_done
from actions.case_actions import ActionRecordEarlierComplaint
from actions.conversation import entity_values, latest_text, mentions_code
from actions.knowledge.store import KnowledgeStore
from actions.problem_actions import ActionAnswerProblem
from assistant_core.masking import MASKED_NUMBER

_THANKS = re.compile(r"谢|感谢|感恩|3q|thx|thanks|thank you|ty\b|多谢|辛苦了|好人", re.IGNORECASE)
_GOODBYE = re.compile(r"再见|拜拜|bye|回头聊|先这样|\b88\b|886|see you|cya", re.IGNORECASE)


def _small_talk(text: str) -> Optional[str]:
    """The response to thanks or goodbye in any language, or None."""
    if _THANKS.search(text):
        return names.UTTER_YOU_ARE_WELCOME
    if _GOODBYE.search(text):
        return names.UTTER_GOODBYE
    return None


class ActionHandleUnclear(KnowledgeAction):
    """`nlu_fallback`: never a restart inside an open case."""

    answers_about_codes = True  # the warning comes first here, not appended after the answer

    def name(self) -> Text:
        return names.ACTION_HANDLE_UNCLEAR

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        text = latest_text(tracker)
        warned = self._warn_about_secrets(dispatcher, text, tracker, store)
        small_talk = _small_talk(text)
        if small_talk is not None:
            dispatcher.utter_message(response=small_talk)
            return []
        case = case_from_tracker(tracker)
        if case.problem is None:
            if not warned:
                dispatcher.utter_message(response=names.UTTER_ASK_WHICH_PROBLEM)
            return []
        if entity_values(tracker, names.ENTITY_WALLET) or entity_values(tracker, names.ENTITY_OTHER_WALLET):
            return ActionAnswerProblem().answer(dispatcher, tracker, store)  # the same case, another wallet
        ladder, _ = case_ladder(store, tracker, case.problem, case.wallet)
        if steps_said_done(text, ladder):
            return ActionRecordEarlierComplaint().answer(dispatcher, tracker, store)
        platform = store.platform(case.wallet) if case.wallet else None
        named = [platform.name if platform else "", store.category(case.problem).name]
        dispatcher.utter_message(response=names.UTTER_CASE_UNCLEAR, case=" · ".join(n for n in named if n))
        return []

    @staticmethod
    def _warn_about_secrets(
        dispatcher: CollectingDispatcher, text: str, tracker: Tracker, store: KnowledgeStore
    ) -> bool:
        """The never-share warning first, whatever else the message says; True if one was given."""
        if mentions_code(tracker):
            dispatcher.utter_message(text=store.notice(names.NOTICE_FRAUD_WARNING))
            return True
        if MASKED_NUMBER.search(text):  # a card or ID number the channel masked on the way in
            dispatcher.utter_message(text=store.notice(names.NOTICE_NEVER_SHARE_SECRETS))
            return True
        return False
