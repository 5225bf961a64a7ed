"""Who may call the REST channel: integrations with REST_API_TOKEN, else only this machine.

Pure functions, tested without a server; `bot.channels.rest` applies them to every
request of its blueprint.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from typing import Mapping, Optional

# Headers a reverse proxy adds: a request carrying one came from elsewhere, even if the
# proxy itself connects from 127.0.0.1.
PROXY_HEADERS = ("forwarded", "x-forwarded-for", "x-real-ip")


@dataclass(frozen=True)
class Refusal:
    """Why a REST call is refused: HTTP status and the body sent back."""

    status: int
    reason: str


def is_loopback(address: Optional[str]) -> bool:
    """True for 127.0.0.0/8, ::1 and IPv4-mapped loopback (::ffff:127.0.0.1)."""
    try:
        ip = ipaddress.ip_address((address or "").strip("[]"))
    except ValueError:
        return False
    mapped = getattr(ip, "ipv4_mapped", None)
    return bool(ip.is_loopback or (mapped is not None and mapped.is_loopback))


def bearer_token(authorization: Optional[str]) -> Optional[str]:
    """The token of an `Authorization: Bearer <token>` header, or None."""
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


def refusal(token: str, peer_address: Optional[str], headers: Mapping[str, str]) -> Optional[Refusal]:
    """None when the call may go on; otherwise why not.

    With a token configured every call must carry it; without one only direct
    connections from this machine are answered.
    """
    if token:
        given = bearer_token(headers.get("authorization"))
        if given is None or not hmac.compare_digest(given.encode("utf-8"), token.encode("utf-8")):
            return Refusal(401, "missing or wrong bearer token (Authorization: Bearer <REST_API_TOKEN>)")
        return None
    if not is_loopback(peer_address):
        return Refusal(403, "the REST channel answers only this machine unless REST_API_TOKEN is set")
    if any(headers.get(name) for name in PROXY_HEADERS):
        return Refusal(403, "the REST channel is not for proxied callers unless REST_API_TOKEN is set")
    return None
