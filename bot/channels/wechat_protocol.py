"""Pure WeChat official-account protocol helpers: signatures, parsing, replies, crypto.

Nothing here knows about Sanic or Rasa; every function is testable on its own.
wechatpy is used where it is sound (the AES cipher) and replaced where it is
not: it compares signatures with `!=`, writes `]]>` into CDATA unescaped and
draws its random bytes from `random`.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import xmltodict
from wechatpy.crypto import PrpCrypto, WeChatCrypto
from wechatpy.exceptions import InvalidAppIdException

from assistant_core import text as text_helpers

MAX_BODY_BYTES = 64 * 1024
PASSIVE_REPLY_MAX_BYTES = 2048
SUCCESS = "success"

_FORBIDDEN_MARKUP = re.compile(r"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_AES_KEY = re.compile(r"[A-Za-z0-9]{43}")
_DIGITS = re.compile(r"[0-9]+")
# Everything XML 1.0 does not allow in a document (C0 controls but tab/LF/CR,
# lone surrogates, U+FFFE and U+FFFF).
_XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
# Where a long reply may be cut, best first.


class ProtocolError(ValueError):
    """Base class for requests we refuse."""


class BodyTooLarge(ProtocolError):
    """The request body is over `MAX_BODY_BYTES`."""


class ForbiddenMarkup(ProtocolError):
    """The body carries a DOCTYPE or an entity declaration."""


class MalformedMessage(ProtocolError):
    """The body is not a WeChat message we can read."""


class ForgedMessage(ProtocolError):
    """The encrypted part is not signed with our token or not addressed to our AppID."""


class UndecryptableMessage(ProtocolError):
    """The encrypted part is signed correctly but cannot be decrypted."""


@dataclass(frozen=True)
class InboundMessage:
    """One message or event pushed by WeChat, reduced to what the channel uses."""

    msg_type: str
    openid: str
    account_id: str
    create_time: int
    msg_id: str | None = None
    content: str = ""
    recognition: str = ""
    event: str = ""
    event_key: str = ""

    @property
    def dedupe_key(self) -> str:
        """FromUserName + MsgId for messages (MsgId alone would hand a second sender reusing it the
        first sender's cached reply); FromUserName + CreateTime + event name for events (two events
        of one second stay apart; a retry repeats the same event, so it still matches)."""
        if self.msg_id:
            return f"msg:{self.openid}:{self.msg_id}"
        return f"evt:{self.openid}:{self.create_time}:{self.event}"

    @property
    def fingerprint(self) -> bytes:
        """SHA-256 of every field the channel reads, over the parsed (in safe mode, decrypted)
        message: equal for a retry, even one WeChat encrypted afresh; different for any other body."""
        return hashlib.sha256(repr(self).encode("utf-8")).digest()


# --- signatures -------------------------------------------------------------


def _sha1_of_sorted(*parts: str) -> str:
    """SHA-1 hex of the parts sorted as bytes and concatenated (WeChat's signing rule)."""
    return hashlib.sha1(b"".join(sorted(p.encode("utf-8") for p in parts))).hexdigest()


def _same(expected: str, given: str) -> bool:
    """Constant-time string comparison that tolerates any input."""
    return hmac.compare_digest(expected.encode("utf-8"), given.encode("utf-8"))


def url_signature(token: str, timestamp: str, nonce: str) -> str:
    """The `signature` query parameter WeChat computes for a request."""
    return _sha1_of_sorted(token, timestamp, nonce)


def check_url_signature(token: str, signature: str, timestamp: str, nonce: str) -> bool:
    """True if `signature` was made with our token."""
    return bool(token) and _same(url_signature(token, timestamp, nonce), signature)


def message_signature(token: str, timestamp: str, nonce: str, encrypted: str) -> str:
    """The `msg_signature` WeChat computes over an encrypted message."""
    return _sha1_of_sorted(token, timestamp, nonce, encrypted)


def check_message_signature(token: str, signature: str, timestamp: str, nonce: str, encrypted: str) -> bool:
    """True if `msg_signature` covers this encrypted payload and was made with our token."""
    return bool(token) and _same(message_signature(token, timestamp, nonce, encrypted), signature)


def timestamp_is_fresh(timestamp: str, now: float, window_seconds: float) -> bool:
    """True if `timestamp` (Unix seconds) is within `window_seconds` of `now`."""
    if not _DIGITS.fullmatch(timestamp or "") or len(timestamp) > 12:
        return False
    return abs(now - int(timestamp)) <= window_seconds


# --- inbound parsing -----------------------------------------------------------


def guard_body(body: bytes) -> str:
    """Decode a request body, refusing oversize bodies and DTDs before any parser sees them."""
    if len(body) > MAX_BODY_BYTES:
        raise BodyTooLarge(f"body is {len(body)} bytes, limit {MAX_BODY_BYTES}")
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise MalformedMessage("body is not UTF-8") from exc
    if _FORBIDDEN_MARKUP.search(text):
        raise ForbiddenMarkup("DOCTYPE or ENTITY declaration in body")
    return text


def parse_fields(xml_text: str) -> dict[str, Any]:
    """Children of the `<xml>` root as a dict; raises MalformedMessage on anything else."""
    if _FORBIDDEN_MARKUP.search(xml_text):
        raise ForbiddenMarkup("DOCTYPE or ENTITY declaration in body")
    try:
        document = xmltodict.parse(xml_text, disable_entities=True)
    except Exception as exc:  # expat and xmltodict raise several unrelated types
        raise MalformedMessage(f"not well-formed XML: {exc}") from exc
    root = document.get("xml") if isinstance(document, dict) else None
    if not isinstance(root, dict):
        raise MalformedMessage("root element is not <xml> with children")
    return dict(root)


def _text_field(fields: Mapping[str, Any], name: str, required: bool = False) -> str:
    """One leaf field as text; nested, repeated or attributed fields are malformed."""
    value = fields.get(name)
    if value is None:
        if required:
            raise MalformedMessage(f"missing <{name}>")
        return ""
    if not isinstance(value, str):
        raise MalformedMessage(f"<{name}> is not a plain text field")
    if required and not value.strip():
        raise MalformedMessage(f"empty <{name}>")
    return value


def message_from_fields(fields: Mapping[str, Any]) -> InboundMessage:
    """Build an InboundMessage from parsed fields, validating the ones we rely on."""
    create_time = _text_field(fields, "CreateTime", required=True).strip()
    if not _DIGITS.fullmatch(create_time):
        raise MalformedMessage("<CreateTime> is not an integer")
    msg_id = _text_field(fields, "MsgId").strip()
    if msg_id and not _DIGITS.fullmatch(msg_id):
        raise MalformedMessage("<MsgId> is not an integer")
    return InboundMessage(
        msg_type=_text_field(fields, "MsgType", required=True).strip().lower(),
        openid=_text_field(fields, "FromUserName", required=True).strip(),
        account_id=_text_field(fields, "ToUserName", required=True).strip(),
        create_time=int(create_time),
        msg_id=msg_id or None,
        content=_text_field(fields, "Content"),
        recognition=_text_field(fields, "Recognition"),
        event=_text_field(fields, "Event").strip().lower(),
        event_key=_text_field(fields, "EventKey"),
    )


def parse_message(xml_text: str) -> InboundMessage:
    """Parse a plaintext WeChat message body."""
    return message_from_fields(parse_fields(xml_text))


def encrypted_part(fields: Mapping[str, Any]) -> str:
    """The `<Encrypt>` payload of a safe/compatible-mode body."""
    return _text_field(fields, "Encrypt", required=True).strip()


# --- reply rendering -----------------------------------------------------------


def xml_safe(text: str) -> str:
    """Drop characters XML 1.0 cannot carry (control characters, lone surrogates)."""
    return _XML_INVALID.sub("", text)


def cdata(text: str) -> str:
    """A CDATA section holding exactly `text`, even if it contains `]]>`."""
    return "<![CDATA[" + xml_safe(text).replace("]]>", "]]]]><![CDATA[>") + "]]>"


def render_text_reply(openid: str, account_id: str, text: str, create_time: int) -> str:
    """Passive text reply XML (sender and receiver swapped from the inbound message)."""
    return (
        "<xml>"
        f"<ToUserName>{cdata(openid)}</ToUserName>"
        f"<FromUserName>{cdata(account_id)}</FromUserName>"
        f"<CreateTime>{int(create_time)}</CreateTime>"
        "<MsgType><![CDATA[text]]></MsgType>"
        f"<Content>{cdata(text)}</Content>"
        "</xml>"
    )


def split_text(text: str, limit_bytes: int = PASSIVE_REPLY_MAX_BYTES) -> list[str]:
    """XML-safe text in chunks of at most `limit_bytes` UTF-8 bytes, preferring paragraph breaks."""
    return text_helpers.split_text(xml_safe(text), limit_bytes, size=text_helpers.utf8_size)


def render_buttons(buttons: Sequence[Mapping[str, Any]], first_number: int = 1) -> tuple[str, dict[str, str]]:
    """Numbered options ("回复 1 选择支付宝") and the number → payload map they define."""
    lines: list[str] = []
    options: dict[str, str] = {}
    number = first_number
    for button in buttons:
        title = str(button.get("title") or button.get("payload") or "").strip()
        payload = str(button.get("payload") or title).strip()
        if not title:
            continue
        lines.append(f"回复 {number} 选择{title}")
        options[str(number)] = payload
        number += 1
    return "\n".join(lines), options


def render_bot_messages(
    messages: Sequence[Mapping[str, Any]],
) -> tuple[str, dict[str, str]]:
    """Rasa's collected messages as one text, plus the number → payload map for its buttons."""
    parts: list[str] = []
    options: dict[str, str] = {}
    for message in messages:
        lines: list[str] = []
        text = message.get("text")
        if text:
            lines.append(str(text).strip())
        custom = message.get("custom")
        if isinstance(custom, Mapping) and custom.get("text"):
            lines.append(str(custom["text"]).strip())
        for key in ("image", "attachment"):
            if isinstance(message.get(key), str) and message[key].strip():
                lines.append(message[key].strip())
        buttons = message.get("buttons")
        if buttons:
            rendered, shown = render_buttons(buttons, first_number=len(options) + 1)
            if rendered:
                lines.append(rendered)
                options.update(shown)
        block = "\n".join(line for line in lines if line)
        if block:
            parts.append(block)
    return "\n\n".join(parts), options


def button_payload(typed: str, options: Mapping[str, str]) -> str | None:
    """The payload of the option the user typed ("1", "１", " 2 "), or None."""
    number = unicodedata.normalize("NFKC", typed or "").strip()
    if not _DIGITS.fullmatch(number):
        return None
    return options.get(str(int(number)))


# --- encryption ----------------------------------------------------------------


def make_nonce() -> str:
    """A fresh nonce for an encrypted reply, from a cryptographic source."""
    return str(secrets.randbelow(10**10))


def _random_prefix() -> str:
    """The 16 random bytes WeChat's message format puts before each plaintext."""
    return secrets.token_hex(8)


class _SecurePrpCrypto(PrpCrypto):  # type: ignore[misc,unused-ignore]  # wechatpy is untyped
    """wechatpy's cipher, with its `random.sample` prefix replaced by `secrets`."""

    def get_random_string(self) -> str:
        """16 characters from a cryptographic source."""
        return _random_prefix()


class _SecureWeChatCrypto(WeChatCrypto):  # type: ignore[misc,unused-ignore]  # wechatpy is untyped
    """WeChatCrypto that encrypts with `_SecurePrpCrypto`."""

    def encrypt_message(self, msg: str, nonce: str, timestamp: str | None = None) -> str:
        """Encrypted reply XML (Encrypt, MsgSignature, TimeStamp, Nonce)."""
        return str(self._encrypt_message(msg, nonce, timestamp, _SecurePrpCrypto))


def valid_aes_key(encoding_aes_key: str) -> bool:
    """True if the EncodingAESKey has WeChat's shape (43 letters and digits)."""
    return bool(_AES_KEY.fullmatch(encoding_aes_key or ""))


class MessageCipher:
    """Safe/compatible-mode decryption and encryption for one official account."""

    def __init__(self, token: str, encoding_aes_key: str, app_id: str) -> None:
        """Derive the AES key; raises ValueError on a malformed EncodingAESKey."""
        if not valid_aes_key(encoding_aes_key):
            raise ValueError("EncodingAESKey must be 43 letters and digits")
        self._token = token
        self._crypto = _SecureWeChatCrypto(token, encoding_aes_key, app_id)

    def decrypt(self, encrypted: str, signature: str, timestamp: str, nonce: str) -> str:
        """Check `msg_signature` in constant time, then decrypt to the inner XML."""
        if not check_message_signature(self._token, signature, timestamp, nonce, encrypted):
            raise ForgedMessage("msg_signature does not match")
        try:
            return str(self._crypto.decrypt_message({"Encrypt": encrypted}, signature, timestamp, nonce))
        except InvalidAppIdException as exc:
            raise ForgedMessage("message is addressed to another AppID") from exc
        except Exception as exc:  # bad base64, padding, length or AppID all surface differently
            raise UndecryptableMessage(f"cannot decrypt: {type(exc).__name__}") from exc

    def encrypt(self, reply_xml: str, timestamp: str, nonce: str) -> str:
        """Encrypted reply envelope for `reply_xml`."""
        return self._crypto.encrypt_message(reply_xml, nonce, timestamp)
