"""Reading one WeChat push safely: which part of the body to trust, and refusing replayed signatures.

The URL signature covers token, timestamp and nonce, never the body; only safe mode's
`msg_signature` covers the message. So with an EncodingAESKey set only the signed <Encrypt> part is
read, and a (timestamp, nonce) pair seen before with another message is a replay.
"""

from __future__ import annotations

import logging
from typing import Any

from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels import wechat_protocol as protocol
from bot.channels.wechat_dedupe import NonceMemory, NonceVerdict
from bot.channels.wechat_http import text_response

logger = logging.getLogger(__name__)


class EncryptionNotConfigured(Exception):
    """A safe-mode body arrived but decryption is not configured."""


class PlaintextRefused(Exception):
    """A push not covered by msg_signature arrived while an EncodingAESKey is set."""


class InboundReader:
    """Parses (and decrypts) pushes; warns once when compatible mode arrives without decryption."""

    def __init__(self, cipher: protocol.MessageCipher | None) -> None:
        self._cipher = cipher
        self._warned_plain_compat = False

    def read(self, request: Request, body: bytes) -> tuple[protocol.InboundMessage, bool]:
        """Parse (and decrypt) the body; returns the message and whether to encrypt the reply.

        The URL signature covers token, timestamp and nonce but never the body. With an
        EncodingAESKey set, only the <Encrypt> part is read, and only under a valid `msg_signature`,
        which covers it: a plaintext body is refused, and the plaintext fields compatible mode sends
        beside <Encrypt> are ignored (they are signed by nothing). Without the key the body is read
        as plaintext (明文模式, for local testing).
        """
        fields = protocol.parse_fields(protocol.guard_body(body))
        if self._cipher is None:
            return self._plaintext(request, fields), False
        if "Encrypt" not in fields:
            raise PlaintextRefused("a plaintext push")
        signature = request.args.get("msg_signature", "")
        if not signature:
            raise PlaintextRefused("an encrypted push without msg_signature")
        inner = self._cipher.decrypt(
            protocol.encrypted_part(fields),
            signature,
            request.args.get("timestamp", ""),
            request.args.get("nonce", ""),
        )
        inner_fields = protocol.parse_fields(protocol.guard_body(inner.encode("utf-8")))
        return protocol.message_from_fields(inner_fields), True

    def _plaintext(self, request: Request, fields: dict[str, Any]) -> protocol.InboundMessage:
        """The message of a plaintext or compatible-mode body when no EncodingAESKey is set."""
        if request.args.get("encrypt_type", "raw").lower() != "aes":
            return protocol.message_from_fields(fields)
        if "MsgType" not in fields:
            raise EncryptionNotConfigured
        # Compatible mode still carries the plaintext fields.
        if not self._warned_plain_compat:
            self._warned_plain_compat = True
            logger.warning(
                "WeChat sends encrypted messages (compatible mode) but decryption is "
                "off; answering in plaintext. Fix: set WECHAT_ENCODING_AES_KEY and "
                "WECHAT_APP_ID, or switch the account to plaintext mode."
            )
        return protocol.message_from_fields(fields)


class ReplayGuard:
    """Refuses a request whose signed timestamp and nonce were already used by another message."""

    def __init__(self, nonces: NonceMemory) -> None:
        self.nonces = nonces

    def refusal(self, request: Request, message: protocol.InboundMessage, answered: bool) -> HTTPResponse | None:
        """403 (or 503 when the memory is full) if this request's timestamp and nonce were used before."""
        verdict = self.nonces.check(
            request.args.get("timestamp", ""), request.args.get("nonce", ""), message.fingerprint
        )
        if verdict is NonceVerdict.NEW:
            return None
        # The same message under the same signature is WeChat retrying; the retry cache answers it.
        if verdict is NonceVerdict.RETRY and answered:
            return None
        if verdict is NonceVerdict.FULL:
            logger.error(
                "Refused a WeChat push from %s: %d signed requests are remembered against replays, the "
                "limit. Fix: look for a flood of signed requests in the proxy log; if the traffic is "
                "real, lower timestamp_window_seconds in credentials.yml.",
                request.ip,
                len(self.nonces),
            )
            return text_response("busy", 503)
        logger.warning(
            "Refused a WeChat push from %s as a replay: its signed timestamp and nonce were already used%s. "
            "Someone reuses a signature seen elsewhere. Fix: keep query strings out of proxy logs and "
            "use 安全模式 (WECHAT_ENCODING_AES_KEY), where the body is signed too.",
            request.ip,
            " by another message" if verdict is NonceVerdict.REPLAY else ", and that message is no longer remembered",
        )
        return text_response("forbidden", 403)
