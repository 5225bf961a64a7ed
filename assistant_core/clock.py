"""The clock and the users' time zone, shared by the NLU (resolving 昨天) and the actions (letter dates)."""

from __future__ import annotations

import datetime as dt
import logging

logger = logging.getLogger(__name__)

LOCAL_TIMEZONE = "Asia/Shanghai"
"""The users' time zone: relative times, letter dates and come-back dates are local."""


def utc_now() -> dt.datetime:
    """The current moment, time-zone aware."""
    return dt.datetime.now(dt.timezone.utc)


def local_zone(name: str = LOCAL_TIMEZONE) -> dt.tzinfo:
    """The named zone; China Standard Time (UTC+8, no DST) if the system has no zone data."""
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo(name)
    except (ImportError, KeyError, ValueError):  # ZoneInfoNotFoundError is a KeyError
        logger.warning("Time zone %r not found; using UTC+8. Install the tzdata package to fix.", name)
        return dt.timezone(dt.timedelta(hours=8), "CST")
