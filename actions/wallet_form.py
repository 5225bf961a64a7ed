"""The wallet form: ask which wallet (with buttons) and accept any way of naming it."""

from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import names, replies
from actions.base import KnowledgeAction, knowledge_store, off_the_loop
from actions.conversation import reported_problem
from actions.knowledge.store import KnowledgeStore, KnowledgeStoreUnavailable


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


def _platform_keys_and_names(values: List[str]) -> tuple[set[str], str]:
    """The platform keys the user's words name, and the supported wallets' names (blocking SQL)."""
    store = knowledge_store()
    keys = {key for key in (store.platform_key_for_alias(v) for v in values) if key is not None}
    return keys, "、".join(p.name for p in store.platforms())


class ValidateWalletForm(FormValidationAction):
    """Map whatever the user called the wallet onto a platform key."""

    def name(self) -> Text:
        return names.ACTION_VALIDATE_WALLET_FORM

    async def required_slots(
        self,
        domain_slots: List[Text],
        dispatcher: CollectingDispatcher,
        tracker: Tracker,
        domain: DomainDict,
    ) -> List[Text]:
        """Only the wallet is asked; a wallet without verified facts (云闪付 …) ends the question too,
        and the answer says so."""
        if tracker.get_slot(names.SLOT_WALLET) is None and tracker.get_slot(names.SLOT_OTHER_WALLET):
            return []
        return [slot for slot in domain_slots if slot != names.SLOT_OTHER_WALLET]

    async def validate_wallet(
        self, slot_value: Any, dispatcher: CollectingDispatcher, tracker: Tracker, domain: DomainDict
    ) -> Dict[Text, Any]:
        """Accept a platform key or alias; anything else is asked again."""
        values = slot_value if isinstance(slot_value, list) else [slot_value]
        try:
            keys, supported = await off_the_loop(_platform_keys_and_names, [str(v) for v in values if v])
            if len(keys) == 1:
                return {names.SLOT_WALLET: keys.pop()}
        except KnowledgeStoreUnavailable:
            # The answer action will apologise with the hotlines; don't block the form here.
            return {names.SLOT_WALLET: str(values[0]) if values and values[0] else None}
        dispatcher.utter_message(response=names.UTTER_WALLET_NOT_RECOGNISED, names=supported)
        return {names.SLOT_WALLET: None}
