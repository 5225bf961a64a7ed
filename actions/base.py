"""What every knowledge-backed action shares: the store, and what to say when it is down."""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
from abc import ABCMeta, abstractmethod
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Text, TypeVar

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import names
from actions.case import Case, case_from_tracker
from actions.case_store import CaseStore
from actions.conversation import latest_text, mentions_code, user_texts
from actions.knowledge.store import KnowledgeStore, KnowledgeStoreUnavailable, make_engine
from actions.numbers import WalletLine, hotline_source, numbers_to_check, wrong_hotline_claims
from assistant_core.apology import service_unavailable_text
from assistant_core.clock import utc_now
from assistant_core.records import EscalationStep, Platform, Product
from assistant_core.settings import Settings

logger = logging.getLogger(__name__)


@functools.lru_cache(maxsize=1)
def case_store() -> CaseStore:
    """The process-wide store of users' case files (CASES_DB_URL), created on first use."""
    return CaseStore(make_engine(Settings.from_env().cases_db_url))


@functools.lru_cache(maxsize=1)
def knowledge_store() -> KnowledgeStore:
    """The process-wide store, created on first use (one engine, pooled connections)."""
    return KnowledgeStore(make_engine(Settings.from_env().knowledge_db_url))


STORE_THREADS = 5
"""Threads for the store's blocking SQL: as many as the engine's connection pool holds."""

T = TypeVar("T")


@functools.lru_cache(maxsize=1)
def store_executor() -> ThreadPoolExecutor:
    """The threads that run store calls, so the action server's event loop keeps serving other turns."""
    return ThreadPoolExecutor(max_workers=STORE_THREADS, thread_name_prefix="knowledge-store")


def runs_store_calls_inline(settings: Settings) -> bool:
    """STORE_CALLS=auto: inline when every store is SQLite. An in-process file query takes well under
    a millisecond and holds the GIL throughout, so handing it to a thread only adds the hand-off and
    GIL contention (`make bench`, "Store calls": about half the throughput in threads on SQLite). A
    networked database (PostgreSQL) waits on the network with the GIL released: there the threads
    keep the event loop serving other turns."""
    if settings.store_calls != "auto":
        return settings.store_calls == "inline"
    urls = (settings.knowledge_db_url, settings.cases_db_url, settings.reminders_db_url)
    return all(url.startswith("sqlite") for url in urls)


@functools.lru_cache(maxsize=1)
def store_calls_inline() -> bool:
    """Whether this process runs store calls on its event loop (STORE_CALLS, read once)."""
    return runs_store_calls_inline(Settings.from_env())


async def off_the_loop(function: Callable[..., T], *args: Any) -> T:
    """Run blocking store work in `store_executor()` and await its result, or inline (see above)."""
    if store_calls_inline():
        return function(*args)
    return await asyncio.get_running_loop().run_in_executor(store_executor(), functools.partial(function, *args))


class KnowledgeAction(Action, metaclass=ABCMeta):
    """An action answering from the knowledge store, with a calm answer if it is down."""

    store_factory = staticmethod(knowledge_store)
    cases_factory = staticmethod(case_store)
    answers_about_codes = False
    """True for an action whose answer is itself the never-share-codes advice."""

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]
    ) -> List[Dict[Text, Any]]:
        # The store's SQL blocks; in a thread it leaves the event loop free for other users' turns.
        return await off_the_loop(self._answer_or_apologise, dispatcher, tracker)

    def _answer_or_apologise(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> List[Dict[Text, Any]]:
        """The answer, plus the never-share-codes notice when a code is mentioned; the apology if the store is down."""
        try:
            store = self.store_factory()
            events = self.answer(dispatcher, tracker, store)
            if mentions_code(tracker) and not self.answers_about_codes:
                warning = store.notice(names.NOTICE_FRAUD_WARNING)
                if not any(warning in (m.get("text") or "") for m in dispatcher.messages):
                    dispatcher.utter_message(text=warning)
            self._correct_numbers(dispatcher, tracker, store)
            return events
        except KnowledgeStoreUnavailable as exc:
            logger.error(
                "%s: knowledge store unavailable (%s). Fix: check KNOWLEDGE_DB_URL and run "
                "`python -m actions.knowledge import`.",
                self.name(),
                exc,
            )
            dispatcher.utter_message(text=service_unavailable_text(Settings.from_env().knowledge_seed_path))
            return []

    @staticmethod
    def _correct_numbers(dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore) -> None:
        """A number the user gives for one of our wallets that is not its hotline gets the seed's number
        beside it, with where that number comes from. Only such claims: never a bank's, a government
        line or a number already called (the rule: actions/numbers.py)."""
        text = latest_text(tracker)
        if not numbers_to_check(text):
            return  # the common case: no store query on the turn's path
        platforms = {p.key: p for p in store.platforms()}
        lines = [WalletLine(p.key, (p.name, *p.aliases), p.hotline) for p in platforms.values()]
        claims = wrong_hotline_claims(text, lines)
        if not claims:
            return
        sources = {s.key: s for s in store.sources()}
        for claim in claims:
            platform = platforms[claim.wallet]
            provenance = platform.provenance.get("hotline")
            dispatcher.utter_message(
                response=names.UTTER_WRONG_NUMBER,
                number=claim.number,
                wallet_name=platform.name,
                hotline_title=platform.hotline_title,
                hotline=platform.hotline,
                source=hotline_source(sources.get(provenance.source) if provenance else None),
                note=f"\nℹ️ {platform.hotline_note}" if platform.hotline_note else "",
            )

    @abstractmethod
    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        """Read slots, ask the store, utter the formatted reply, return events."""


@dataclass(frozen=True)
class OpenCase:
    """A case whose problem is known, with the ladder and wallet that go with it."""

    case: Case
    problem: str
    ladder: tuple[EscalationStep, ...]
    platform: Optional[Platform]
    product: Optional[Product] = None
    """The credit or fund product the user named (花呗 …): its ladder has the regulator that fits it."""


def case_ladder(
    store: KnowledgeStore, tracker: Tracker, problem: str, wallet: Optional[str]
) -> tuple[tuple[EscalationStep, ...], Optional[Product]]:
    """The problem's ladder for this wallet and for the product the user named, and that product."""
    product = store.product_named_in(user_texts(tracker), wallet)
    return store.escalation_ladder(problem, wallet, product.key if product else None), product


class CaseAction(KnowledgeAction, metaclass=ABCMeta):
    """A knowledge action about the user's case (one problem with one wallet) and its ladder."""

    clock: Callable[[], dt.datetime] = staticmethod(utc_now)

    @staticmethod
    def open_case(dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore) -> Optional[OpenCase]:
        """The case, its ladder and its wallet; None (after asking which problem) when no problem is known."""
        case = case_from_tracker(tracker)
        if case.problem is None:
            dispatcher.utter_message(response=names.UTTER_ASK_WHICH_PROBLEM)
            return None
        ladder, product = case_ladder(store, tracker, case.problem, case.wallet)
        return OpenCase(case, case.problem, ladder, store.platform(case.wallet) if case.wallet else None, product)

    def answer(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore
    ) -> List[Dict[Text, Any]]:
        opened = self.open_case(dispatcher, tracker, store)
        return [] if opened is None else self.answer_case(dispatcher, tracker, store, opened)

    @abstractmethod
    def answer_case(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, store: KnowledgeStore, opened: OpenCase
    ) -> List[Dict[Text, Any]]:
        """Answer about a case whose problem is known."""
