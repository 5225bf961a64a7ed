"""Asking which wallet, with one button per wallet of the knowledge store."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import names, replies
from actions.base import KnowledgeAction
from actions.conversation import reported_problem
from actions.knowledge.store import KnowledgeStore


class ActionAskWallet(KnowledgeAction):
    """Ask for the wallet with one button per platform; fund security gets first aid first."""

    def name(self) -> Text:
        return names.ACTION_ASK_WALLET

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        if reported_problem(tracker) == names.CATEGORY_FUND_SECURITY:
            category = store.category(names.CATEGORY_FUND_SECURITY)
            if category.advice_of_kind(names.ADVICE_URGENT):
                dispatcher.utter_message(
                    text=replies.urgent_steps(
                        category.advice_of_kind(names.ADVICE_URGENT), store.notice(names.NOTICE_FRAUD_WARNING)
                    )
                )
        buttons = [
            {"title": p.name, "payload": f'/{names.INTENT_INFORM}{{"{names.ENTITY_WALLET}":"{p.key}"}}'}
            for p in store.platforms()
        ]
        dispatcher.utter_message(response=names.UTTER_ASK_WALLET, buttons=buttons)
        return []


class ActionAskNamedWallet(ActionAskWallet):
    """The wallet form's question: the same buttons; any wallet named answers it, 云闪付 included."""

    def name(self) -> Text:
        return names.ACTION_ASK_NAMED_WALLET
