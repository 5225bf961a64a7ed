"""The user's right to have their records deleted (个人信息保护法).

After the user confirms, `action_delete_my_records` deletes their case files and reminders and sets
`records_deleted`; the Rasa server's tracker store then deletes the conversation itself
instead of saving the turn (bot/stores.py). The log names the conversation by a
pseudonym and a count, never by content. The website widget also gets `RECORDS_DELETED_SIGNAL`
as a custom payload, its cue to clear the copy it keeps in the browser (web/src/widget.js).
"""

from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.exc import SQLAlchemyError

from actions import names
from actions.base import case_store, off_the_loop
from actions.knowledge.store import KnowledgeStoreUnavailable
from actions.reminder_actions import reminder_store
from assistant_core.masking import log_id

logger = logging.getLogger(__name__)

RECORDS_DELETED_SIGNAL: Dict[Text, Any] = {"records_deleted": True}
"""Custom payload telling the website widget to forget its local history and session."""
WEBCHAT_PREFIX = "webchat:"
"""Website chat conversations are keyed webchat:<session id> (bot/channels/owner.py)."""


class ActionDeleteMyRecords(Action):
    """Delete the case files of this conversation; the rules then confirm or apologise."""

    cases_factory = staticmethod(case_store)
    reminders_factory = staticmethod(reminder_store)

    def name(self) -> Text:
        return names.ACTION_DELETE_MY_RECORDS

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        conversation = log_id(tracker.sender_id)
        try:
            removed = await off_the_loop(self.cases_factory().delete_conversation, tracker.sender_id)
            await off_the_loop(self.reminders_factory().delete_conversation, tracker.sender_id)
        except (KnowledgeStoreUnavailable, SQLAlchemyError) as exc:
            logger.error(
                "Could not delete the case files or reminders of %s (%s); nothing was deleted and the user was told to "
                "ask again. Fix: check CASES_DB_URL / REMINDERS_DB_URL and that their database is up.",
                conversation,
                type(exc.__cause__ or exc).__name__,
            )
            return [SlotSet(names.SLOT_RECORDS_DELETED, False)]
        logger.info("Deleted %d case file(s) of %s at the user's request.", removed, conversation)
        if tracker.sender_id.startswith(WEBCHAT_PREFIX):  # other channels keep no copy, and would show it
            dispatcher.utter_message(json_message=dict(RECORDS_DELETED_SIGNAL))
        return [SlotSet(names.SLOT_RECORDS_DELETED, True)]
