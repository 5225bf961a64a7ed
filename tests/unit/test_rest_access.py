"""Who the REST channel answers: pure checks of bot.channels.rest_access."""

from __future__ import annotations

import pytest

from bot.channels.rest_access import bearer_token, is_loopback, refusal


@pytest.mark.parametrize("address", ["127.0.0.1", "127.8.9.10", "::1", "::ffff:127.0.0.1"])
def test_loopback_addresses_are_this_machine(address: str) -> None:
    assert is_loopback(address)


@pytest.mark.parametrize("address", ["10.0.0.5", "192.168.1.20", "203.0.113.9", "::ffff:10.0.0.5", "", None, "x"])
def test_other_addresses_are_not(address: str | None) -> None:
    assert not is_loopback(address)


def test_without_a_token_only_direct_local_callers_are_answered() -> None:
    assert refusal("", "127.0.0.1", {}) is None
    remote = refusal("", "192.168.1.20", {})
    assert remote is not None and remote.status == 403
    proxied = refusal("", "127.0.0.1", {"x-forwarded-for": "203.0.113.9"})
    assert proxied is not None and proxied.status == 403


def test_with_a_token_every_caller_needs_it_wherever_it_is() -> None:
    assert refusal("tok", "203.0.113.9", {"authorization": "Bearer tok"}) is None
    for headers in ({}, {"authorization": "Bearer other"}, {"authorization": "Basic tok"}, {"authorization": "tok"}):
        refused = refusal("tok", "127.0.0.1", headers)
        assert refused is not None and refused.status == 401


def test_bearer_token_is_read_from_the_header() -> None:
    assert bearer_token("Bearer abc") == "abc"
    assert bearer_token("bearer  abc ") == "abc"
    assert bearer_token("Bearer") is None and bearer_token(None) is None


@pytest.mark.parametrize(
    ("header", "value"),
    [
        ("Via", "1.1 tunnel"),
        ("X-Forwarded-For", "203.0.113.9"),
        ("X-Forwarded-Proto", "https"),
        ("X-Forwarded-Host", "bot.example.com"),
        ("X-Forwarded-Port", "443"),
        ("Forwarded", "for=203.0.113.9;proto=https"),
        ("X-Real-IP", "203.0.113.9"),
        ("CF-Connecting-IP", "203.0.113.9"),
        ("True-Client-IP", "203.0.113.9"),
        ("X-Client-IP", "203.0.113.9"),
        ("x-forwarded-proto", ""),  # present but empty: a proxy still added it
    ],
)
def test_any_proxy_header_makes_a_local_connection_a_proxied_one(header: str, value: str) -> None:
    refused = refusal("", "127.0.0.1", {"Host": "127.0.0.1:5005", header: value})
    assert refused is not None and refused.status == 403 and "proxied" in refused.reason


def test_a_bare_local_request_with_ordinary_headers_still_passes() -> None:
    headers = {"Host": "127.0.0.1:5005", "Content-Type": "application/json", "User-Agent": "curl/8.5", "Accept": "*/*"}
    assert refusal("", "127.0.0.1", headers) is None
    assert refusal("", "::1", headers) is None
