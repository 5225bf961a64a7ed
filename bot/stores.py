"""Tracker and lock stores configured by one URL each (see endpoints.yml).

`TRACKER_STORE_URL` is any SQLAlchemy URL (SQLite file by default, PostgreSQL for
scale-out); `LOCK_STORE_URL` is empty (one server: in-memory locks) or a Redis URL
(several servers sharing conversations).

A user's "删除我的记录" ends here: `action_delete_my_records` sets the `records_deleted`
slot, and instead of saving that turn the tracker store deletes every row of the
conversation, so the next message starts a new one.
"""

from __future__ import annotations

import logging
from typing import Any, Optional, Text

import sqlalchemy as sa
from rasa.core.brokers.broker import EventBroker
from rasa.core.lock_store import LOCK_LIFETIME, InMemoryLockStore, LockStore, RedisLockStore
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import SlotSet
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.utils.endpoints import EndpointConfig
from sqlalchemy.engine.url import make_url

from assistant_core.masking import install_log_masking, log_id

logger = logging.getLogger(__name__)

ERASURE_SLOT = "records_deleted"
"""Set by action_delete_my_records once the case files are gone (domain.yml)."""


def erasure_requested(tracker: DialogueStateTracker) -> bool:
    """True when this turn's actions asked for the whole conversation to be deleted."""
    return any(isinstance(e, SlotSet) and e.key == ERASURE_SLOT and e.value for e in tracker.events)


class UrlSQLTrackerStore(SQLTrackerStore):
    """Rasa's SQL tracker store, with the dialect taken from the URL itself."""

    def __init__(
        self,
        domain: Optional[Domain] = None,
        host: Optional[Text] = None,
        event_broker: Optional[EventBroker] = None,
        **kwargs: Any,
    ) -> None:
        if not host:
            raise ValueError("tracker_store.url is empty: set TRACKER_STORE_URL (e.g. sqlite:///var/tracker.db).")
        url = make_url(host)
        logger.info("Tracker store: %s", url.render_as_string(hide_password=True))
        # The Rasa server has no start-up hook of ours: the tracker store is the first of our code it
        # runs, so phone numbers, e-mails and cards in any log line are masked from here on.
        install_log_masking()
        # SQLTrackerStore uses a host containing "://" as the complete URL.
        super().__init__(domain=domain, dialect=url.get_backend_name(), host=host, event_broker=event_broker, **kwargs)
        # A failed write must not log its parameters (the conversation's text); SQLAlchemy reads
        # this attribute on every error and log line, so setting it after creation works.
        self.engine.hide_parameters = True

    async def save(self, tracker: DialogueStateTracker) -> None:
        """Store the turn's new events, or delete the conversation when the user asked for it."""
        if not erasure_requested(tracker):
            await super().save(tracker)
            return
        removed = self.delete_conversation(tracker.sender_id)
        logger.info(
            "Deleted conversation %s at the user's request (%d tracker rows).", log_id(tracker.sender_id), removed
        )

    def delete_conversation(self, sender_id: Text) -> int:
        """Delete every event of one conversation, all sessions; how many rows went."""
        with self.session_scope() as session:
            result = session.execute(sa.delete(self.SQLEvent).where(self.SQLEvent.sender_id == sender_id))
            session.commit()
        return int(result.rowcount or 0)


class AtomicRedisLockStore(RedisLockStore):
    """Rasa's RedisLockStore with its ticket bookkeeping made atomic across servers.

    Rasa 3.6 issues a ticket by reading the conversation's lock from Redis, changing it and writing it
    back: two servers taking the same user's messages at the same moment can both read "next ticket 1",
    both get ticket 1 and answer at once, repeating a step (the scale-out e2e test saw [2, 2, 3, 4]). A
    finishing server can likewise delete a lock another server just queued on. Every read-change-write
    of a conversation's lock here runs under a short Redis mutex (redis-py's SET NX PX lock).
    """

    MUTEX_SECONDS = 5.0

    def _mutex(self, conversation_id: Text) -> Any:
        return self.red.lock(
            f"{self.key_prefix}{conversation_id}:mutex",
            timeout=self.MUTEX_SECONDS,
            blocking_timeout=self.MUTEX_SECONDS,
        )

    def issue_ticket(self, conversation_id: Text, lock_lifetime: float = LOCK_LIFETIME) -> int:
        with self._mutex(conversation_id):
            return super().issue_ticket(conversation_id, lock_lifetime)

    def update_lock(self, conversation_id: Text) -> None:
        with self._mutex(conversation_id):
            super().update_lock(conversation_id)

    def cleanup(self, conversation_id: Text, ticket_number: int) -> None:
        with self._mutex(conversation_id):
            super().cleanup(conversation_id, ticket_number)


class UrlLockStore(LockStore):
    """Builds the lock store the URL asks for: in-memory when empty, Redis for redis://."""

    def __new__(cls, endpoint_config: EndpointConfig) -> LockStore:
        return lock_store_from_url(endpoint_config.url)


def lock_store_from_url(url: Optional[Text]) -> LockStore:
    """In-memory locks for one server; Redis locks when several servers share conversations."""
    if not url:
        return InMemoryLockStore()
    parsed = make_url(url)
    if parsed.get_backend_name() not in ("redis", "rediss"):
        raise ValueError(f"LOCK_STORE_URL must be empty or redis://host:port/db, got {url!r}.")
    logger.info("Lock store: Redis at %s:%s db %s", parsed.host, parsed.port or 6379, parsed.database or 1)
    return AtomicRedisLockStore(
        host=parsed.host or "localhost",
        port=int(parsed.port or 6379),
        db=int(parsed.database or 1),
        password=parsed.password,
        use_ssl=parsed.get_backend_name() == "rediss",
        key_prefix="wallet_assistant",
    )
