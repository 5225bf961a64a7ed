"""Reading Telegram updates, checking the webhook secret and building inline keyboards."""

from __future__ import annotations

from typing import Any, Dict

from bot.channels import telegram_protocol as protocol
from bot.channels.telegram_protocol import Kind

CHAT = {"id": 4242, "type": "private", "first_name": "小王"}


def message_update(update_id: int = 1, **message: Any) -> Dict[str, Any]:
    return {"update_id": update_id, "message": {"message_id": 7, "date": 1700000000, "chat": CHAT, **message}}


def test_text_message_goes_to_the_assistant() -> None:
    incoming = protocol.parse_update(message_update(text="  我的微信零钱被盗刷了 "))
    assert incoming == protocol.Incoming(Kind.TEXT, 1, 4242, "我的微信零钱被盗刷了", "4242-7")


def test_start_and_help_commands_become_the_greeting() -> None:
    for command in ("/start", "/start@WalletHelpBot", "/help", "/START payload"):
        assert protocol.parse_update(message_update(text=command)).text == protocol.GREET_PAYLOAD


def test_stickers_photos_and_voice_are_unsupported_not_errors() -> None:
    for content in (
        {"sticker": {"file_id": "s", "width": 512, "height": 512}},
        {"photo": [{"file_id": "p", "width": 90, "height": 90}], "caption": "截图"},
        {"voice": {"file_id": "v", "duration": 3}},
        {"location": {"latitude": 31.2, "longitude": 121.5}},
    ):
        assert protocol.parse_update(message_update(**content)).kind is Kind.UNSUPPORTED


def test_edits_and_other_update_types_are_ignored() -> None:
    edited = {"update_id": 3, "edited_message": {"message_id": 7, "date": 1, "chat": CHAT, "text": "改了"}}
    assert protocol.parse_update(edited).kind is Kind.IGNORED
    for update in ({"update_id": 4, "my_chat_member": {}}, {"update_id": 5, "channel_post": {}}, {}, {"message": 3}):
        assert protocol.parse_update(update).kind is Kind.IGNORED
    assert protocol.parse_update(message_update(text="   ")).kind is Kind.IGNORED


def test_button_press_carries_the_payload_and_the_query_id() -> None:
    update = {
        "update_id": 9,
        "callback_query": {
            "id": "cbq-1",
            "from": {"id": 4242, "is_bot": False, "first_name": "小王"},
            "message": {"message_id": 8, "date": 1, "chat": CHAT, "text": "是哪个钱包？"},
            "data": '/inform{"wallet":"wechat_pay"}',
        },
    }
    incoming = protocol.parse_update(update)
    assert (incoming.kind, incoming.chat_id, incoming.text, incoming.callback_query_id) == (
        Kind.BUTTON,
        4242,
        '/inform{"wallet":"wechat_pay"}',
        "cbq-1",
    )


def test_button_press_without_data_is_still_answered() -> None:
    update = {"update_id": 10, "callback_query": {"id": "cbq-2", "from": {"id": 4242}, "game_short_name": "g"}}
    incoming = protocol.parse_update(update)
    assert (incoming.kind, incoming.callback_query_id) == (Kind.IGNORED, "cbq-2")


def test_secret_header_must_match_exactly() -> None:
    assert protocol.secret_matches("s3cret-Value_1", "s3cret-Value_1")
    for received in ("s3cret-value_1", "s3cret-Value_1 ", "", None):
        assert not protocol.secret_matches(received, "s3cret-Value_1")
    assert not protocol.secret_matches("", "")


def test_token_and_secret_formats() -> None:
    assert protocol.valid_bot_token("123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw")
    assert not protocol.valid_bot_token("not-a-token")
    assert protocol.valid_secret_token("abc_DEF-123")
    assert not protocol.valid_secret_token("has space") and not protocol.valid_secret_token("x" * 257)


def test_buttons_become_an_inline_keyboard_two_per_row() -> None:
    buttons = [
        {"title": "支付宝", "payload": '/inform{"wallet":"alipay"}'},
        {"title": "微信支付", "payload": '/inform{"wallet":"wechat_pay"}'},
        {"title": "京东钱包", "payload": '/inform{"wallet":"jd_wallet"}'},
    ]
    assert protocol.inline_keyboard(buttons) == {
        "inline_keyboard": [
            [
                {"text": "支付宝", "callback_data": '/inform{"wallet":"alipay"}'},
                {"text": "微信支付", "callback_data": '/inform{"wallet":"wechat_pay"}'},
            ],
            [{"text": "京东钱包", "callback_data": '/inform{"wallet":"jd_wallet"}'}],
        ]
    }


def test_payload_over_64_bytes_falls_back_to_the_title() -> None:
    long_payload = "/inform" + '{"wallet":"alipay","note":"' + "x" * 80 + '"}'
    assert protocol.callback_data({"title": "支付宝", "payload": long_payload}) == "支付宝"


def test_long_text_is_split_at_line_breaks_under_telegrams_limit() -> None:
    text = "\n".join(f"{i}. " + "字" * 100 for i in range(100))
    pieces = protocol.split_text(text)
    assert len(pieces) > 1 and all(len(p) <= protocol.MAX_TELEGRAM_TEXT for p in pieces)
    assert "\n".join(pieces) == text
