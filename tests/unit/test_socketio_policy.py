"""What the website chat channel accepts: origins, session ids, payload shapes."""

from __future__ import annotations

import secrets

import pytest

from bot.channels import socketio_policy as policy


def test_demo_page_origins_are_always_allowed_and_configured_ones_are_normalised() -> None:
    allowed = policy.parse_allowed_origins(" https://Help.Example.com/ , http://shop.example.cn:8443,", "9090")
    assert allowed == {
        "http://localhost:9090",
        "http://127.0.0.1:9090",
        "https://help.example.com",
        "http://shop.example.cn:8443",
    }


@pytest.mark.parametrize("entry", ["*", "help.example.com", "https://help.example.com/chat", "ftp://x.example"])
def test_unsafe_or_malformed_allowed_origins_are_ignored(entry: str) -> None:
    assert policy.parse_allowed_origins(entry, "8080") == {"http://localhost:8080", "http://127.0.0.1:8080"}


def test_origin_check_matches_what_browsers_send() -> None:
    allowed = policy.parse_allowed_origins("https://help.example.com", "8080")
    assert policy.origin_allowed("https://help.example.com", allowed)
    assert policy.origin_allowed("https://help.example.com:443", allowed)
    assert policy.origin_allowed("http://localhost:8080", allowed)
    for origin in ("http://help.example.com", "https://evil.example", "http://localhost:8081", "null", "", None):
        assert not policy.origin_allowed(origin, allowed), origin


def test_settings_read_web_port_and_allowed_origins_from_the_environment() -> None:
    settings = policy.WebChatSettings.from_env({"WEB_PORT": "8181", "WEB_ALLOWED_ORIGINS": "https://a.example"})
    assert settings.allowed_origins == {"http://localhost:8181", "http://127.0.0.1:8181", "https://a.example"}
    assert policy.WebChatSettings.from_env({}).allowed_origins == {"http://localhost:8080", "http://127.0.0.1:8080"}


def test_random_session_ids_are_accepted() -> None:
    assert policy.is_unguessable_session_id(secrets.token_hex(16))
    assert policy.is_unguessable_session_id(secrets.token_urlsafe(16))  # 22 characters
    assert policy.is_unguessable_session_id(policy.new_session_id())
    assert len(policy.new_session_id()) == 32


@pytest.mark.parametrize(
    "session_id",
    [
        "abc",
        "user-1",
        secrets.token_hex(15),  # 120 bits
        secrets.token_urlsafe(16)[:21],  # 126 bits
        "a" * 40,
        "0" * 32,
        "ab" * 20,
        secrets.token_hex(16) + "/..",
        secrets.token_hex(80),  # longer than any real id
        12345678901234567890123456789012,
        None,
    ],
)
def test_short_patterned_or_odd_session_ids_are_refused(session_id: object) -> None:
    assert not policy.is_unguessable_session_id(session_id)


def test_message_text_is_the_message_field_when_it_is_a_string() -> None:
    assert policy.message_text({"message": "我的微信零钱被盗刷了"}) == "我的微信零钱被盗刷了"
    assert policy.message_text({"message": ""}) == ""  # the guard answers empty text with a notice
    for data in ({"message": 42}, {"message": None}, {}, "text", None, ["message"]):
        assert policy.message_text(data) is None


def test_metadata_is_a_dict_or_nothing() -> None:
    now = "2026-12-08T09:00:00+08:00"
    assert policy.message_metadata({"metadata": {"now": now}}, "metadata") == {"now": now}
    assert policy.message_metadata({"metadata": f'{{"now": "{now}"}}'}, "metadata") == {"now": now}
    # Only what the bot reads passes; anything else never reaches the tracker.
    assert policy.message_metadata({"metadata": {"now": now, "page": "help"}}, "metadata") == {"now": now}
    for bad in ("{not json", "[1, 2]", 3, ["a"]):
        assert policy.message_metadata({"metadata": bad}, "metadata") == {}
