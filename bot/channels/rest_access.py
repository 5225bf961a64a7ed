"""Who may call the REST channel: integrations with REST_API_TOKEN, else only this machine.

Pure functions, tested without a server; `bot.channels.rest` applies them to every
request of its blueprint.
"""

from __future__ import annotations

import hmac
import ipaddress
from dataclasses import dataclass
from typing import Mapping, Optional

# Headers a reverse proxy, tunnel or CDN adds: a request carrying any of them (even empty) came
# from elsewhere, even if the proxy itself connects from 127.0.0.1. Some add only Via or
# X-Forwarded-Proto, so every X-Forwarded-* header counts.
PROXY_HEADERS = (
    "forwarded",
    "via",
    "x-real-ip",
    "cf-connecting-ip",
    "true-client-ip",
    "x-client-ip",
    "x-cluster-client-ip",
    "x-original-forwarded-for",
    "fastly-client-ip",
)
PROXY_HEADER_PREFIXES = ("x-forwarded-",)


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


def is_proxied(headers: Mapping[str, str]) -> bool:
    """True when any proxy header is present, whatever its value or letter case."""
    names = {name.lower() for name in headers}
    return any(name in PROXY_HEADERS or name.startswith(PROXY_HEADER_PREFIXES) for name in names)


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
    if is_proxied(headers):
        return Refusal(403, "the REST channel is not for proxied callers unless REST_API_TOKEN is set")
    return None
