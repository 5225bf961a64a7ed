"""Bounded, expiring de-duplication of WeChat retries, including retries that arrive mid-flight.

WeChat retries a message it got no answer to within 5 s, up to three tries,
and a retry can arrive while the first try is still being answered. The first
request for a key starts the work; every request for that key (the first one
included) then waits up to its own budget for the shared result. Exactly one
of them delivers it passively. If a waiter runs out of budget, or its client
goes away, the result is handed to `deliver_later` (the customer-service API)
and every other request for the key answers `success` instead, so the user
gets the answer once.

`NonceMemory` is the other half of repeated requests: it tells a retry of a
message from a reused signature carrying another message.
"""

from __future__ import annotations

import asyncio
import enum
import hashlib
import hmac
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import Generic, Optional, TypeVar

logger = logging.getLogger(__name__)

K = TypeVar("K")
V = TypeVar("V")
T = TypeVar("T")

DEFAULT_MAX_ENTRIES = 10_000
DEFAULT_TTL_SECONDS = 600.0
# Signed requests remembered at once: at most 2 × the timestamp window of traffic (10 min at the
# default 300 s), far more than one server process answers; about 25 MB when full.
DEFAULT_MAX_NONCES = 100_000


class BoundedTTLMap(Generic[K, V]):
    """A dict that forgets entries after `ttl_seconds` and holds at most `max_entries`."""

    def __init__(
        self,
        max_entries: int = DEFAULT_MAX_ENTRIES,
        ttl_seconds: float = DEFAULT_TTL_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Create an empty map; `clock` is injectable for tests."""
        if max_entries < 1 or ttl_seconds <= 0:
            raise ValueError("max_entries must be >= 1 and ttl_seconds > 0")
        self._max_entries = max_entries
        self._ttl = ttl_seconds
        self._clock = clock
        self._items: OrderedDict[K, tuple[float, V]] = OrderedDict()

    def _purge(self) -> None:
        """Drop expired entries (oldest first) and any overflow."""
        now = self._clock()
        while self._items:
            key, (stored_at, _) = next(iter(self._items.items()))
            if now - stored_at <= self._ttl and len(self._items) <= self._max_entries:
                break
            del self._items[key]

    def get(self, key: K) -> V | None:
        """The live value for `key`, or None."""
        self._purge()
        item = self._items.get(key)
        return item[1] if item else None

    def set(self, key: K, value: V) -> None:
        """Store `value`, restarting its lifetime."""
        self._items.pop(key, None)
        self._items[key] = (self._clock(), value)
        self._purge()

    def pop(self, key: K) -> V | None:
        """Remove and return the value for `key`, if any."""
        item = self._items.pop(key, None)
        return item[1] if item else None

    def __len__(self) -> int:
        """Number of live entries."""
        self._purge()
        return len(self._items)

    def __iter__(self) -> Iterator[K]:
        """Live keys, oldest first."""
        self._purge()
        return iter(list(self._items))


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What one request for a key should answer."""

    value: T | None  # None: answer `success`, the result goes (or went) another way
    delivers: bool  # True for exactly one request per key: it sends the value passively


@dataclass
class _Flight(Generic[T]):
    """The shared work for one key."""

    task: asyncio.Task[T]
    handed_off: bool = False
    delivered: bool = False


class NonceVerdict(enum.Enum):
    """What a signed request's (timestamp, nonce) says about it."""

    NEW = "new"  # not seen inside the window: go on
    RETRY = "retry"  # seen with the same message: WeChat retrying with the same query string
    REPLAY = "replay"  # seen with another message: a reused signature
    FULL = "full"  # the memory holds only live entries: refuse rather than forget one


class NonceMemory:
    """The (timestamp, nonce) pairs of accepted requests, each kept until its timestamp goes stale.

    The URL signature covers only token, timestamp and nonce, never the body, so whoever sees one
    signed query string (a proxy log) could post any body under it while the timestamp is fresh.
    Remembering the pair with the fingerprint of the message it carried closes that: the same pair
    with another message is a replay. The same pair with the same message is let through: WeChat's
    docs only say to de-duplicate retries by MsgId (quoted at https://blog.csdn.net/weixin_34038293/
    article/details/90220037), and the Senparc
    SDK's author writes that a retry repeats "包括MsgId等在内的所有文本内容"
    (https://cnblogs.com/szw/p/4138516.html); nobody says whether the query string is signed afresh.
    Either way the retry cache answers the retry, so Rasa sees the message once.
    An entry must outlive the window in which its timestamp passes the freshness check, so a full
    memory refuses new requests instead of dropping a live entry.
    """

    def __init__(
        self,
        window_seconds: float,
        max_entries: int = DEFAULT_MAX_NONCES,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """`window_seconds` is the timestamp window; `clock` is wall time like WeChat's timestamps."""
        if max_entries < 1 or window_seconds <= 0:
            raise ValueError("max_entries must be >= 1 and window_seconds > 0")
        self._window = window_seconds
        self._max_entries = max_entries
        self._clock = clock
        self._seen: OrderedDict[bytes, tuple[float, bytes]] = OrderedDict()

    def check(self, timestamp: str, nonce: str, fingerprint: bytes) -> NonceVerdict:
        """Remember this request unless it repeats one; `timestamp` must already have passed the window check."""
        now = self._clock()
        self._forget(now, everything=False)
        # Hashed so that an entry has a fixed size whatever the query string carried.
        key = hashlib.sha256(f"{timestamp}\n{nonce}".encode()).digest()
        seen = self._seen.get(key)
        if seen is not None:
            return NonceVerdict.RETRY if hmac.compare_digest(seen[1], fingerprint) else NonceVerdict.REPLAY
        if len(self._seen) >= self._max_entries:
            self._forget(now, everything=True)
            if len(self._seen) >= self._max_entries:
                return NonceVerdict.FULL
        self._seen[key] = (int(timestamp) + self._window, fingerprint)
        return NonceVerdict.NEW

    def _forget(self, now: float, everything: bool) -> None:
        """Drop entries whose timestamp can no longer pass the window check.

        Entries are in arrival order, not expiry order (timestamps may be up to a window in the
        future), so the cheap pass stops at the first live entry; the full sweep runs only when full.
        """
        if everything:
            self._seen = OrderedDict((k, v) for k, v in self._seen.items() if v[0] >= now)
            return
        while self._seen:
            key, (expires_at, _) = next(iter(self._seen.items()))
            if expires_at >= now:
                break
            del self._seen[key]

    def __len__(self) -> int:
        """Requests remembered (some may have expired behind a live one)."""
        return len(self._seen)


class RequestDeduplicator(Generic[T]):
    """Runs the work for each key once and shares its result between retries."""

    def __init__(
        self,
        flights: Optional[BoundedTTLMap[str, "_Flight[T]"]] = None,
        describe: Callable[[str], str] = str,
    ) -> None:
        """Create an empty deduplicator; `flights` sets its size, lifetime and clock.

        `describe` turns a key into what the log shows (keys may hold a user's id).
        """
        self._flights: BoundedTTLMap[str, _Flight[T]] = flights if flights is not None else BoundedTTLMap()
        self._describe = describe
        self._background: set[asyncio.Task[None]] = set()

    def __contains__(self, key: object) -> bool:
        """True while `key` is in flight or its result is remembered."""
        return isinstance(key, str) and self._flights.get(key) is not None

    async def run(
        self,
        key: str,
        work: Callable[[], Awaitable[T]],
        budget_seconds: float,
        deliver_later: Callable[[T], Awaitable[None]],
    ) -> Outcome[T]:
        """Start or join the work for `key` and wait for it at most `budget_seconds`."""
        flight = self._flights.get(key)
        if flight is None:
            flight = _Flight(task=asyncio.ensure_future(work()))
            self._flights.set(key, flight)
        if flight.handed_off:
            return Outcome(None, delivers=False)
        try:
            # asyncio.wait leaves the shared task running when this waiter's budget ends.
            done, _ = await asyncio.wait({flight.task}, timeout=max(budget_seconds, 0.0))
        except asyncio.CancelledError:
            # The client hung up (WeChat gave up on this try); nobody else may be listening.
            self._hand_off(key, flight, deliver_later)
            raise
        if not done:
            self._hand_off(key, flight, deliver_later)
            return Outcome(None, delivers=False)
        if flight.handed_off:
            return Outcome(None, delivers=False)
        value = flight.task.result()  # re-raises the work's own exception, if any
        delivers = not flight.delivered
        flight.delivered = True
        return Outcome(value, delivers=delivers)

    def _hand_off(
        self,
        key: str,
        flight: _Flight[T],
        deliver_later: Callable[[T], Awaitable[None]],
    ) -> None:
        """Send the result through `deliver_later` once it is ready (at most once per key)."""
        if flight.handed_off or flight.delivered:
            return
        flight.handed_off = True
        task = asyncio.ensure_future(self._deliver_when_ready(self._describe(key), flight.task, deliver_later))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    @staticmethod
    async def _deliver_when_ready(
        key: str, work: asyncio.Task[T], deliver_later: Callable[[T], Awaitable[None]]
    ) -> None:
        """Await the work, then deliver it; failures are logged, never raised."""
        try:
            value = await work
        except Exception as exc:
            logger.error(
                "WeChat message %s failed after its reply budget ran out (%s: %s); the user got no answer. "
                "Fix: check the Rasa server (--debug shows the traceback).",
                key,
                type(exc).__name__,
                exc,
                exc_info=logger.isEnabledFor(logging.DEBUG),
            )
            return
        try:
            await deliver_later(value)
        except Exception as exc:
            logger.error(
                "Late delivery of WeChat message %s failed (%s: %s); the user got no answer. "
                "Fix: check the customer-service API settings (--debug shows the traceback).",
                key,
                type(exc).__name__,
                exc,
                exc_info=logger.isEnabledFor(logging.DEBUG),
            )

    @property
    def pending_deliveries(self) -> int:
        """Late deliveries still running."""
        return len(self._background)

    async def drain(self) -> None:
        """Wait for every late delivery still running (shutdown and tests)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)

    def __len__(self) -> int:
        """Keys remembered (in flight or finished and not yet expired)."""
        return len(self._flights)
