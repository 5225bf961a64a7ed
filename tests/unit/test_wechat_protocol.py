"""Pure WeChat protocol helpers: signatures, parsing, hostile replies, splitting, buttons, crypto."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from hypothesis import given
from hypothesis import strategies as st
from wechatpy.exceptions import InvalidSignatureException
from wechatpy.utils import check_signature

from bot.channels import wechat_protocol as p

# Known vector from wechatpy's own test suite (tests/test_crypto.py): same cipher and signing rule.
VECTOR_TOKEN = "123456"
VECTOR_AES_KEY = "kWxPEV2UEDyxWpmPdKC3F4dgPDmOvfKX1HGnEUDS1aR"
VECTOR_APP_ID = "wx49f0ab532d5d035a"
VECTOR_TIMESTAMP = "1411525903"
VECTOR_NONCE = "461056294"
VECTOR_ENCRYPT = (
    "RgqEoJj5A4EMYlLvWO1F86ioRjZfaex/gePD0gOXTxpsq5Yj4GNglrBb8I2BAJVODGajiFnXBu7mCPatfjsu6IHCrsTyeDXzF6Bv283dGymz"
    "xh6ydJRvZsryDyZbLTE7rhnus50qGPMfp2wASFlzEgMW9z1ef/RD8XzaFYgm7iTdaXpXaG4+BiYyolBug/gYNx410cvkKR2/nPwBiT+P4hIi"
    "OAQqGp/TywZBtDh1yCF2KOd0gpiMZ5jSw3e29mTvmUHzkVQiMS6td7vXUaWOMZnYZlF3So2SjHnwh4jYFxdgpkHHqIrH/54SNdshoQgWYEvc"
    "cTKe7FS709/5t6NMxuGhcUGAPOQipvWTT4dShyqio7mlsl5noTrb++x6En749zCpQVhDpbV6GDnTbcX2e8K9QaNWHp91eBdCRxthuL0="
)
VECTOR_MSG_SIGNATURE = "74d92dfeb87ba7c714f89d98870ae5eb62dff26d"
VECTOR_REPLY = """<xml>
<MsgType><![CDATA[text]]></MsgType>
<Content><![CDATA[test]]></Content>
<FromUserName><![CDATA[wx49f0ab532d5d035a]]></FromUserName>
<ToUserName><![CDATA[messense]]></ToUserName>
<AgentID>1</AgentID>
<CreateTime>1411525903</CreateTime>
</xml>"""
VECTOR_REPLY_ENCRYPT = (
    "9s4gMv99m88kKTh/H8IdkOiMg6bisoy3ypwy9H4hvSPe9nsGaqyw5hhSjdYbcrKk+j3nba4HMOTzHrluLBYqxgNcBqGsL8GqxlhZgURnAtOb"
    "vesEl5nZ+uBE8bviY0LWke8Zy9V/QYKxNV2FqllNXcfmstttyIkMKCCmVbCFM2JTF5wY0nFhHZSjPUL2Q1qvSUCUld+/WIXrx0oyKQmpB6o8"
    "NRrrNrsDf03oxI1p9FxUgMnwKKZeOA/uu+2IEvEBtb7muXsVbwbgX05UPPJvFurDXafG0RQyPR+mf1nDnAtQmmNOuiR5MIkdQ39xn1vWwi1O"
    "5oazPoQJz0nTYjxxEE8kv3kFxtAGVRe3ypD3WeK2XeFYFMNMpatF9XiKzHo3"
)
VECTOR_REPLY_SIGNATURE = "407518b7649e86ef23978113f92d27afa9296533"

OPENID = "oUser_openid_123"
ACCOUNT = "gh_0123456789ab"


def inbound(msg_type: str, extra: str = "", msg_id: str | None = "6912345678901234567") -> str:
    """A WeChat push body of the given type."""
    msg_id_xml = f"<MsgId>{msg_id}</MsgId>" if msg_id else ""
    return (
        f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName>"
        f"<FromUserName><![CDATA[{OPENID}]]></FromUserName>"
        f"<CreateTime>1732500000</CreateTime><MsgType><![CDATA[{msg_type}]]></MsgType>"
        f"{extra}{msg_id_xml}</xml>"
    )


def reply_content(xml_text: str) -> dict[str, str]:
    """Parse a reply with the standard library (an independent parser) into tag -> text."""
    root = ET.fromstring(xml_text)
    assert root.tag == "xml"
    return {child.tag: child.text or "" for child in root}


# --- signatures ------------------------------------------------------------------


def test_url_signature_is_accepted_by_wechatpys_own_check() -> None:
    signature = p.url_signature("mytoken", "1732500000", "998877")
    check_signature("mytoken", signature, "1732500000", "998877")  # raises if different
    assert p.check_url_signature("mytoken", signature, "1732500000", "998877")


def test_url_signature_refuses_forgeries_without_raising() -> None:
    good = p.url_signature("mytoken", "1732500000", "998877")
    assert not p.check_url_signature("othertoken", good, "1732500000", "998877")
    assert not p.check_url_signature("mytoken", good, "1732500001", "998877")
    assert not p.check_url_signature("mytoken", "", "1732500000", "998877")
    assert not p.check_url_signature("mytoken", "签名", "1732500000", "998877")
    assert not p.check_url_signature("", p.url_signature("", "1", "2"), "1", "2")
    with pytest.raises(InvalidSignatureException):
        check_signature("mytoken", "0" * 40, "1732500000", "998877")


def test_message_signature_matches_known_vector() -> None:
    assert p.message_signature(VECTOR_TOKEN, VECTOR_TIMESTAMP, VECTOR_NONCE, VECTOR_ENCRYPT) == VECTOR_MSG_SIGNATURE
    assert p.check_message_signature(VECTOR_TOKEN, VECTOR_MSG_SIGNATURE, VECTOR_TIMESTAMP, VECTOR_NONCE, VECTOR_ENCRYPT)
    assert not p.check_message_signature(
        VECTOR_TOKEN, VECTOR_MSG_SIGNATURE, VECTOR_TIMESTAMP, "461056295", VECTOR_ENCRYPT
    )


@pytest.mark.parametrize(
    ("timestamp", "fresh"),
    [("1000", True), ("1299", True), ("701", True), ("1301", False), ("600", False), ("", False), ("12a", False)],
)
def test_timestamp_window(timestamp: str, fresh: bool) -> None:
    assert p.timestamp_is_fresh(timestamp, now=1000.0, window_seconds=300) is fresh


# --- body guards and parsing -----------------------------------------------------

BILLION_LAUGHS = (
    '<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
    '<!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]>'
    "<xml><Content>&lol2;</Content></xml>"
)
XXE = '<!doctype xml [<!entity xxe SYSTEM "file:///etc/passwd">]><xml><Content>&xxe;</Content></xml>'


@pytest.mark.parametrize("body", [BILLION_LAUGHS, XXE, "<xml><!ENTITY x 'y'></xml>", "<!  DocType x><xml/>"])
def test_dtd_and_entities_are_refused_before_parsing(body: str) -> None:
    with pytest.raises(p.ForbiddenMarkup):
        p.guard_body(body.encode())
    with pytest.raises(p.ForbiddenMarkup):
        p.parse_fields(body)


def test_oversize_and_non_utf8_bodies_are_refused() -> None:
    with pytest.raises(p.BodyTooLarge):
        p.guard_body(b"<xml>" + b"a" * p.MAX_BODY_BYTES + b"</xml>")
    with pytest.raises(p.MalformedMessage):
        p.guard_body("<xml>支付宝</xml>".encode("gbk"))
    assert p.guard_body(inbound("text").encode()).startswith("<xml>")


def test_text_message_is_parsed() -> None:
    message = p.parse_message(inbound("text", "<Content><![CDATA[支付宝充值失败 <急>]]></Content>"))
    assert message == p.InboundMessage(
        msg_type="text",
        openid=OPENID,
        account_id=ACCOUNT,
        create_time=1732500000,
        msg_id="6912345678901234567",
        content="支付宝充值失败 <急>",
    )
    assert message.dedupe_key == f"msg:{OPENID}:6912345678901234567"


def test_messages_are_keyed_by_sender_and_msgid_and_fingerprinted_by_content() -> None:
    body = inbound("text", "<Content><![CDATA[充值失败]]></Content>")
    message = p.parse_message(body)
    other_sender = p.parse_message(body.replace(OPENID, "oSomeoneElse"))
    assert other_sender.msg_id == message.msg_id and other_sender.dedupe_key != message.dedupe_key
    assert p.parse_message(body).fingerprint == message.fingerprint  # a retry
    for changed in (body.replace("充值失败", "被盗刷"), body.replace(OPENID, "oSomeoneElse"), inbound("text")):
        assert p.parse_message(changed).fingerprint != message.fingerprint


def test_voice_message_with_and_without_recognition() -> None:
    voice = "<MediaId><![CDATA[media]]></MediaId><Format><![CDATA[amr]]></Format>"
    recognised = p.parse_message(inbound("voice", voice + "<Recognition><![CDATA[钱被盗刷了]]></Recognition>"))
    assert (recognised.msg_type, recognised.recognition) == ("voice", "钱被盗刷了")
    assert p.parse_message(inbound("voice", voice)).recognition == ""


@pytest.mark.parametrize(
    ("msg_type", "extra"),
    [
        ("image", "<PicUrl><![CDATA[http://x/y.jpg]]></PicUrl><MediaId><![CDATA[m]]></MediaId>"),
        ("video", "<MediaId><![CDATA[m]]></MediaId><ThumbMediaId><![CDATA[t]]></ThumbMediaId>"),
        ("shortvideo", "<MediaId><![CDATA[m]]></MediaId><ThumbMediaId><![CDATA[t]]></ThumbMediaId>"),
        ("location", "<Location_X>23.1</Location_X><Location_Y>113.3</Location_Y><Label><![CDATA[广州]]></Label>"),
        ("link", "<Title><![CDATA[t]]></Title><Description><![CDATA[d]]></Description><Url><![CDATA[u]]></Url>"),
    ],
)
def test_media_messages_are_parsed_with_their_type(msg_type: str, extra: str) -> None:
    message = p.parse_message(inbound(msg_type, extra))
    assert (message.msg_type, message.openid, message.content) == (msg_type, OPENID, "")


def test_events_are_parsed_and_keyed_by_user_and_time() -> None:
    subscribe = p.parse_message(
        inbound("event", "<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[qrscene_42]]></EventKey>", None)
    )
    assert (subscribe.msg_type, subscribe.event, subscribe.event_key) == ("event", "subscribe", "qrscene_42")
    assert subscribe.msg_id is None
    assert subscribe.dedupe_key == f"evt:{OPENID}:1732500000:subscribe"
    unsubscribe = p.parse_message(inbound("event", "<Event><![CDATA[unsubscribe]]></Event>", None))
    assert unsubscribe.event == "unsubscribe"
    click = p.parse_message(
        inbound("event", "<Event><![CDATA[CLICK]]></Event><EventKey><![CDATA[MENU_1]]></EventKey>", None)
    )
    assert (click.event, click.event_key) == ("click", "MENU_1")


@pytest.mark.parametrize(
    "body",
    [
        "not xml at all",
        "<xml><ToUserName>a</ToUserName>",
        "<root><MsgType>text</MsgType></root>",
        "<xml>just text</xml>",
        inbound("text").replace(f"<FromUserName><![CDATA[{OPENID}]]></FromUserName>", ""),
        inbound("text").replace("1732500000", "yesterday"),
        inbound("text", msg_id="12ab"),
        inbound("text", "<Content><b>nested</b></Content>"),
        inbound("text", "<Content>a</Content><Content>b</Content>"),
        inbound("text").replace("<MsgType><![CDATA[text]]></MsgType>", "<MsgType/>"),
    ],
)
def test_malformed_messages_are_refused(body: str) -> None:
    with pytest.raises(p.MalformedMessage):
        p.parse_message(body)


def test_encrypted_part_is_read_from_safe_mode_body() -> None:
    body = f"<xml><ToUserName><![CDATA[{ACCOUNT}]]></ToUserName><Encrypt><![CDATA[abc+/=]]></Encrypt></xml>"
    assert p.encrypted_part(p.parse_fields(body)) == "abc+/="
    with pytest.raises(p.MalformedMessage):
        p.encrypted_part(p.parse_fields(inbound("text")))


# --- reply rendering ---------------------------------------------------------------

HOSTILE = [
    "]]>",
    "结尾]]></Content><MsgType>news</MsgType><Content><![CDATA[注入",
    "a < b && c > d <script>alert(1)</script>",
    "退款 💰🙏 表情 👨‍👩‍👧",
    "控制\x00字符\x07和\x1b[31m颜色\x0b\x0c",
    "]]]]>>]]>]]>",
    "",
]


@pytest.mark.parametrize("text", HOSTILE)
def test_reply_with_hostile_text_stays_well_formed_and_says_the_same(text: str) -> None:
    fields = reply_content(p.render_text_reply(OPENID, ACCOUNT, text, 1732500001))
    assert set(fields) == {"ToUserName", "FromUserName", "CreateTime", "MsgType", "Content"}
    assert fields["MsgType"] == "text"
    assert fields["ToUserName"] == OPENID and fields["FromUserName"] == ACCOUNT
    assert fields["Content"] == p.xml_safe(text)


def test_control_characters_are_dropped_but_newlines_kept() -> None:
    assert p.xml_safe("a\x00b\tc\nd\re\x1f\ud800f\ufffe") == "ab\tc\nd\ref"


@given(st.text())
def test_any_text_survives_the_reply_round_trip(text: str) -> None:
    fields = reply_content(p.render_text_reply(OPENID, ACCOUNT, text, 1))
    assert fields["Content"] == p.xml_safe(text).replace("\r\n", "\n").replace("\r", "\n")


# --- splitting long replies ------------------------------------------------------------


def test_three_thousand_characters_are_split_under_the_passive_limit() -> None:
    text = "支付宝充值失败的处理步骤。" * 230  # 2,990 characters, ~9 KB
    chunks = p.split_text(text)
    assert len(chunks) > 1
    assert all(len(c.encode("utf-8")) <= p.PASSIVE_REPLY_MAX_BYTES for c in chunks)
    assert "".join(chunks) == text
    assert all(c.endswith("。") for c in chunks)  # cut at sentence ends, never mid-word


def test_split_prefers_paragraph_breaks() -> None:
    paragraphs = ["第一段：" + "甲" * 400, "第二段：" + "乙" * 400, "第三段：" + "丙" * 400]
    chunks = p.split_text("\n\n".join(paragraphs))
    assert chunks == paragraphs
    assert all(len(c.encode("utf-8")) <= 2048 for c in chunks)
    assert not any(c.startswith("\n") or c.endswith("\n") for c in chunks)


def test_short_text_is_one_chunk_and_emoji_are_never_cut() -> None:
    assert p.split_text("  你好  ") == ["你好"]
    assert p.split_text("") == []
    emoji = "💰" * 1000  # 4 bytes each, no break characters at all
    chunks = p.split_text(emoji)
    assert "".join(chunks) == emoji
    assert all(len(c.encode()) <= 2048 for c in chunks)


@given(st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=3000))
def test_split_keeps_every_visible_character(text: str) -> None:
    chunks = p.split_text(text, limit_bytes=300)
    assert all(0 < len(c.encode("utf-8")) <= 300 for c in chunks)
    assert "".join("".join(chunks).split()) == "".join(p.xml_safe(text).split())


# --- buttons -----------------------------------------------------------------------------


def test_buttons_become_numbered_options_and_numbers_map_back() -> None:
    messages = [
        {
            "recipient_id": "u",
            "text": "请问是哪个钱包？",
            "buttons": [
                {"title": "支付宝", "payload": '/choose_platform{"platform":"alipay"}'},
                {"title": "微信支付", "payload": '/choose_platform{"platform":"wechat_pay"}'},
            ],
        },
        {"recipient_id": "u", "text": "或者：", "buttons": [{"title": "都不是", "payload": "/deny"}]},
    ]
    text, options = p.render_bot_messages(messages)
    assert text == "请问是哪个钱包？\n回复 1 选择支付宝\n回复 2 选择微信支付\n\n或者：\n回复 3 选择都不是"
    assert p.button_payload("1", options) == '/choose_platform{"platform":"alipay"}'
    assert p.button_payload(" ２ ", options) == '/choose_platform{"platform":"wechat_pay"}'  # full-width digit
    assert p.button_payload("03", options) == "/deny"
    assert p.button_payload("4", options) is None
    assert p.button_payload("1个", options) is None
    assert p.button_payload("1", {}) is None


def test_bot_messages_without_buttons_join_as_paragraphs() -> None:
    text, options = p.render_bot_messages(
        [{"text": "第一句"}, {"image": "https://example.invalid/a.png"}, {"custom": {"text": "自定义"}}, {}]
    )
    assert text == "第一句\n\nhttps://example.invalid/a.png\n\n自定义"
    assert options == {}


# --- encryption ----------------------------------------------------------------------------


def vector_cipher() -> p.MessageCipher:
    return p.MessageCipher(VECTOR_TOKEN, VECTOR_AES_KEY, VECTOR_APP_ID)


def test_decrypts_known_vector() -> None:
    inner = vector_cipher().decrypt(VECTOR_ENCRYPT, VECTOR_MSG_SIGNATURE, VECTOR_TIMESTAMP, VECTOR_NONCE)
    fields = p.parse_fields(inner)
    assert (fields["Content"], fields["FromUserName"]) == ("test", "messense")


def test_encrypts_known_vector(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(p, "_random_prefix", lambda: "1234567890123456")
    envelope = reply_content(vector_cipher().encrypt(VECTOR_REPLY, VECTOR_TIMESTAMP, VECTOR_NONCE))
    assert envelope == {
        "Encrypt": VECTOR_REPLY_ENCRYPT,
        "MsgSignature": VECTOR_REPLY_SIGNATURE,
        "TimeStamp": VECTOR_TIMESTAMP,
        "Nonce": VECTOR_NONCE,
    }


def test_encrypt_then_decrypt_round_trip_uses_fresh_randomness() -> None:
    cipher = vector_cipher()
    reply = p.render_text_reply(OPENID, ACCOUNT, "您好]]>👋", 1)
    first = reply_content(cipher.encrypt(reply, "1732500000", "nonce1"))
    second = reply_content(cipher.encrypt(reply, "1732500000", "nonce1"))
    assert first["Encrypt"] != second["Encrypt"]  # random prefix differs
    decrypted = cipher.decrypt(first["Encrypt"], first["MsgSignature"], "1732500000", "nonce1")
    assert reply_content(decrypted)["Content"] == "您好]]>👋"


def test_forged_or_foreign_encrypted_messages_are_refused() -> None:
    cipher = vector_cipher()
    with pytest.raises(p.ForgedMessage):
        cipher.decrypt(VECTOR_ENCRYPT, "0" * 40, VECTOR_TIMESTAMP, VECTOR_NONCE)
    other_app = p.MessageCipher(VECTOR_TOKEN, VECTOR_AES_KEY, "wx_other_app")
    with pytest.raises(p.ForgedMessage):
        other_app.decrypt(VECTOR_ENCRYPT, VECTOR_MSG_SIGNATURE, VECTOR_TIMESTAMP, VECTOR_NONCE)
    garbage = "bm90IGNpcGhlcnRleHQ="
    signature = p.message_signature(VECTOR_TOKEN, VECTOR_TIMESTAMP, VECTOR_NONCE, garbage)
    with pytest.raises(p.UndecryptableMessage):
        cipher.decrypt(garbage, signature, VECTOR_TIMESTAMP, VECTOR_NONCE)


def test_malformed_aes_key_is_refused() -> None:
    assert p.valid_aes_key(VECTOR_AES_KEY)
    assert not p.valid_aes_key(VECTOR_AES_KEY[:-1])
    assert not p.valid_aes_key(VECTOR_AES_KEY[:-1] + "=")
    with pytest.raises(ValueError, match="43"):
        p.MessageCipher("t", "short", "wx")


def test_nonces_are_fresh_digits() -> None:
    nonces = {p.make_nonce() for _ in range(50)}
    assert len(nonces) > 45 and all(n.isdigit() for n in nonces)
