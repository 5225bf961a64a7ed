"""Input limits every channel shares: bodies refused before they are read, and a rate per sender.

- `cap_request_bodies` lowers Sanic's body limit for one channel's routes right after routing,
  before Sanic preloads the body of a non-streaming route (`Sanic.handle_request`), so a
  request announcing more than MAX_REQUEST_BYTES gets 413 without its body being read, and a
  chunked one is cut off as soon as its chunks pass the limit. Sanic's own limit
  (REQUEST_MAX_SIZE, 100 MB) stays for the rest of the app, which `rasa run` builds.
- `RateLimiter` is a token bucket per sender id, remembering a bounded number of senders.
"""

from __future__ import annotations

import enum
import functools
import logging
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Optional

from sanic import Blueprint, response
from sanic.exceptions import PayloadTooLarge
from sanic.request import Request
from sanic.response import HTTPResponse

from assistant_core.masking import log_id
from assistant_core.settings import InputLimits

logger = logging.getLogger(__name__)

MAX_SENDERS = 10_000
"""Senders whose buckets are remembered; beyond it the least recently seen is forgotten (starts full)."""


@functools.lru_cache(maxsize=1)
def configured() -> InputLimits:
    """The limits from `.env` / the environment, read once (for code that runs per request)."""
    return InputLimits.from_env()


def cap_request_bodies(blueprint: Blueprint, path_prefix: str, max_bytes: int) -> None:
    """Refuse bodies over `max_bytes` on every path under `path_prefix` (413), before reading them."""

    @blueprint.signal("http.routing.after")
    async def lower_body_limit(request: Request, **_: Any) -> None:
        # Blueprint signals run for every request of the app: act on this channel's paths only.
        stream = request.stream
        if stream is None or not request.path.startswith(path_prefix):
            return
        stream.request_max_size = min(stream.request_max_size, max_bytes)

    @blueprint.exception(PayloadTooLarge)
    async def too_large(request: Request, _: Exception) -> HTTPResponse:
        logger.warning(
            "Refused a request to %s from %s: body over %d bytes (MAX_REQUEST_BYTES).",
            request.path,
            request.remote_addr or request.ip,
            max_bytes,
        )
        return response.json({"error": f"request body over {max_bytes} bytes"}, status=413)


class Verdict(enum.Enum):
    """What to do with one message under the rate limit."""

    ALLOW = "allow"
    NOTIFY = "notify"
    """Over the limit for the first time in a row (logged once)."""
    DROP = "drop"
    """Still over the limit (not logged again, so a flood gets no flood of log lines)."""


@dataclass
class _Bucket:
    tokens: float
    updated: float
    notified: bool = False


class RateLimiter:
    """`messages` per `seconds` per sender, as a token bucket (bursts up to `messages`)."""

    def __init__(
        self,
        messages: int,
        seconds: float,
        max_senders: int = MAX_SENDERS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.capacity = float(messages)
        self.per_second = messages / seconds if messages > 0 and seconds > 0 else 0.0
        self.max_senders = max_senders
        self.clock = clock
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()

    @classmethod
    def from_settings(cls, limits: Optional[InputLimits] = None) -> RateLimiter:
        """RATE_LIMIT_MESSAGES per RATE_LIMIT_SECONDS (off when either is 0)."""
        limits = limits or InputLimits.from_env()
        return cls(limits.rate_limit_messages, limits.rate_limit_seconds)

    @property
    def enabled(self) -> bool:
        return self.per_second > 0

    def __len__(self) -> int:
        return len(self._buckets)

    def check(self, sender_id: str) -> Verdict:
        """Take one token from the sender's bucket, if there is one."""
        if not self.enabled:
            return Verdict.ALLOW
        now = self.clock()
        bucket = self._buckets.pop(sender_id, None)
        if bucket is None:
            bucket = _Bucket(self.capacity, now)
        else:
            elapsed = max(0.0, now - bucket.updated)
            bucket.tokens = min(self.capacity, bucket.tokens + elapsed * self.per_second)
            bucket.updated = now
        self._buckets[sender_id] = bucket  # most recently seen last
        while len(self._buckets) > self.max_senders:
            self._buckets.popitem(last=False)
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            bucket.notified = False
            return Verdict.ALLOW
        if bucket.notified:
            return Verdict.DROP
        bucket.notified = True
        logger.info(
            "Rate-limited %s: more than %d messages within %.0f s (RATE_LIMIT_MESSAGES, RATE_LIMIT_SECONDS).",
            log_id(sender_id),
            int(self.capacity),
            self.capacity / self.per_second,
        )
        return Verdict.NOTIFY
