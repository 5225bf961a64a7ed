"""What the website chat channel accepts: origins, session ids, payload shapes.

Pure functions, tested without a server; `bot.channels.socketio` applies them.
"""

from __future__ import annotations

import json
import logging
import re
import secrets
from dataclasses import dataclass
from typing import Any, Dict, FrozenSet, Mapping, Optional
from urllib.parse import urlsplit

from assistant_core import settings as bot_settings

logger = logging.getLogger(__name__)

DEFAULT_WEB_PORT = "8080"
# A session id is the only key to a conversation: it must carry at least this much randomness.
MIN_SESSION_BITS = 128
MAX_SESSION_ID_CHARS = 128
# 32 random hex digits have ~14 distinct ones; fewer than this is a made-up id ("aaaa…", "0000…").
MIN_DISTINCT_SESSION_CHARS = 8

_HEX = re.compile(r"[0-9a-fA-F]+")
_URLSAFE = re.compile(r"[A-Za-z0-9_-]+")
_DEFAULT_PORTS = {"http": 80, "https": 443}

# Metadata keys the bot reads (bot/nlu/facts.py: the time the user sent the message); the rest is dropped.
METADATA_KEYS = ("now", "timestamp")
MAX_METADATA_BYTES = 4 * 1024
MAX_METADATA_VALUE_CHARS = 64


def normalise_origin(origin: str) -> Optional[str]:
    """`scheme://host[:port]` in the form browsers send in `Origin`, or None if it is not one."""
    try:
        parts = urlsplit(origin.strip())
        port = parts.port
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username or parts.password:
        return None
    host = parts.hostname.lower()
    if ":" in host:
        host = f"[{host}]"
    if port is None or port == _DEFAULT_PORTS[scheme]:
        return f"{scheme}://{host}"
    return f"{scheme}://{host}:{port}"


def parse_allowed_origins(configured: str, web_port: str) -> FrozenSet[str]:
    """Origins from `WEB_ALLOWED_ORIGINS` (comma-separated) plus the demo page's own two."""
    allowed = {f"http://localhost:{web_port}", f"http://127.0.0.1:{web_port}"}
    for raw in configured.split(","):
        entry = raw.strip()
        if not entry:
            continue
        if entry == "*":
            logger.error(
                "WEB_ALLOWED_ORIGINS contains '*', which would let any website open the chat; ignored. "
                "Fix: list the sites that embed the widget, e.g. https://help.example.com."
            )
            continue
        origin = normalise_origin(entry)
        if origin is None:
            logger.error(
                "WEB_ALLOWED_ORIGINS entry %r is not an origin; ignored. "
                "Fix: write scheme://host[:port] with no path, e.g. https://help.example.com.",
                entry,
            )
            continue
        allowed.add(origin)
    return frozenset(allowed)


def origin_allowed(origin: Optional[str], allowed: FrozenSet[str]) -> bool:
    """Whether a browser `Origin` header is one of ours."""
    if not origin:
        return False
    normalised = normalise_origin(origin)
    return normalised is not None and normalised in allowed


def is_unguessable_session_id(value: Any) -> bool:
    """≥128 bits in hex (≥32 digits) or URL-safe base64 (≥22 characters), and not a made-up pattern."""
    if not isinstance(value, str) or len(value) > MAX_SESSION_ID_CHARS:
        return False
    if not _URLSAFE.fullmatch(value):
        return False
    bits_per_char = 4 if _HEX.fullmatch(value) else 6
    if len(value) * bits_per_char < MIN_SESSION_BITS:
        return False
    return len(set(value.lower() if bits_per_char == 4 else value)) >= MIN_DISTINCT_SESSION_CHARS


def new_session_id() -> str:
    """128 random bits as 32 hex digits."""
    return secrets.token_hex(MIN_SESSION_BITS // 8)


def message_text(data: Any) -> Optional[str]:
    """The text of a `user_uttered` payload, or None when there is no text field at all."""
    if not isinstance(data, Mapping):
        return None
    text = data.get("message")
    return text if isinstance(text, str) else None


def message_metadata(data: Any, metadata_key: str) -> Dict[str, Any]:
    """The client's metadata the bot uses (`METADATA_KEYS`, scalars only), or {}.

    Rasa keeps a message's metadata in the tracker and sends it with every action call, so
    nothing else a page sends is kept, and metadata over `MAX_METADATA_BYTES` is dropped whole.
    """
    if not isinstance(data, Mapping):
        return {}
    metadata = data.get(metadata_key)
    if metadata is None:
        return {}
    size = _serialized_size(metadata)
    if size is None or size > MAX_METADATA_BYTES:
        logger.warning(
            "Dropped website chat metadata of %s bytes (limit %d); the message is kept without it.",
            size if size is not None else "unserialisable",
            MAX_METADATA_BYTES,
        )
        return {}
    if isinstance(metadata, str):
        try:
            metadata = json.loads(metadata)
        except ValueError:
            return {}
    if not isinstance(metadata, Mapping):
        return {}
    return {key: metadata[key] for key in METADATA_KEYS if _usable_value(metadata.get(key))}


def _serialized_size(metadata: Any) -> Optional[int]:
    if isinstance(metadata, str):
        return len(metadata.encode("utf-8", "replace"))
    try:
        return len(json.dumps(metadata, ensure_ascii=False, default=str).encode("utf-8", "replace"))
    except (TypeError, ValueError):  # circular or otherwise unserialisable: not from a browser
        return None


def _usable_value(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    if isinstance(value, str):
        return 0 < len(value) <= MAX_METADATA_VALUE_CHARS
    return isinstance(value, (int, float))


@dataclass(frozen=True)
class WebChatSettings:
    """The website channel's settings, from the environment."""

    allowed_origins: FrozenSet[str]

    @classmethod
    def from_env(cls, environ: Optional[Mapping[str, str]] = None) -> WebChatSettings:
        """Read WEB_ALLOWED_ORIGINS and WEB_PORT from `.env` / the environment (the real environment wins)."""
        web_port = bot_settings.env("WEB_PORT", DEFAULT_WEB_PORT, environ) or DEFAULT_WEB_PORT
        configured = bot_settings.env("WEB_ALLOWED_ORIGINS", "", environ)
        return cls(parse_allowed_origins(configured, web_port))
