"""The WeChat channel's settings (secrets from the environment, timings from credentials.yml),
its start-up report, and the fixed texts it sends for non-text messages."""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from rasa.shared.exceptions import RasaException

from assistant_core import settings as bot_settings
from assistant_core.apology import wallet_names
from bot.channel_copy import channel_text
from bot.channels import wechat_protocol as protocol
from bot.channels.wechat_api import DEFAULT_API_BASE_URL

logger = logging.getLogger(__name__)

WECHAT_DEADLINE_SECONDS = 5.0
DEFAULT_REPLY_BUDGET_SECONDS = 4.0
DEFAULT_TIMESTAMP_WINDOW_SECONDS = 300.0
# How long the numbered options of a reply stay typeable.
BUTTON_MEMORY_SECONDS = 3600.0
BUTTON_MEMORY_USERS = 10_000

# WeChat's 令牌(Token) field takes 3–32 letters and digits; anything shorter than its maximum is
# easier to guess, and the token is all that stands between a plaintext-mode webhook and forgery.
TOKEN_LENGTH = 32
TOKEN_COMMAND = (
    'python -c "import secrets, string; '
    "print(''.join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32)))\""
)
_TOKEN_CHARACTERS = re.compile(r"[A-Za-z0-9]+")
# Words people put in tokens; five letters or more, so that a token from TOKEN_COMMAND holds one by
# chance about once in 200 000 draws (measured).
_TOKEN_WORDS = (
    "wechat", "weixin", "token", "passw", "secret", "changeme", "example", "admin", "qwert", "asdfg",
    "hello", "welcome", "default", "local", "wallet", "robot",
)  # fmt: skip
_MIN_DISTINCT_CHARACTERS = 10
_MAX_RUN = 5  # "abcdef", "654321" or "aaaaaa" (six in a row) mark a typed token


@dataclass(frozen=True)
class WeChatSettings:
    """Everything the channel needs; secrets come from the environment, timings from credentials."""

    token: str = ""
    app_id: str = ""
    app_secret: str = ""
    encoding_aes_key: str = ""
    api_base_url: str = DEFAULT_API_BASE_URL
    reply_budget_seconds: float = DEFAULT_REPLY_BUDGET_SECONDS
    timestamp_window_seconds: float = DEFAULT_TIMESTAMP_WINDOW_SECONDS

    @classmethod
    def from_env(
        cls,
        environ: Mapping[str, str] | None = None,
        reply_budget_seconds: float = DEFAULT_REPLY_BUDGET_SECONDS,
        timestamp_window_seconds: float = DEFAULT_TIMESTAMP_WINDOW_SECONDS,
    ) -> WeChatSettings:
        """Read WECHAT_* from `.env` / the environment (the real environment wins)."""
        return cls(
            token=bot_settings.env("WECHAT_TOKEN", "", environ),
            app_id=bot_settings.env("WECHAT_APP_ID", "", environ),
            app_secret=bot_settings.env("WECHAT_APP_SECRET", "", environ),
            encoding_aes_key=bot_settings.env("WECHAT_ENCODING_AES_KEY", "", environ),
            api_base_url=bot_settings.env("WECHAT_API_BASE_URL", "", environ) or DEFAULT_API_BASE_URL,
            reply_budget_seconds=reply_budget_seconds,
            timestamp_window_seconds=timestamp_window_seconds,
        )

    @property
    def enabled(self) -> bool:
        """The channel answers only when a token is configured."""
        return bool(self.token)

    @property
    def encryption_enabled(self) -> bool:
        """Safe/compatible mode needs the EncodingAESKey and the AppID."""
        return bool(self.encoding_aes_key and self.app_id)

    @property
    def api_enabled(self) -> bool:
        """The customer-service API needs the AppID and AppSecret."""
        return bool(self.app_id and self.app_secret)

    def problems(self) -> list[str]:
        """Settings that cannot work together, each naming the key to fix."""
        found: list[str] = []
        if not 0 < self.reply_budget_seconds < WECHAT_DEADLINE_SECONDS:
            found.append(
                "reply_budget_seconds (credentials.yml) must be above 0 and below WeChat's "
                f"{WECHAT_DEADLINE_SECONDS:.0f} s deadline; 4.0 is a good value."
            )
        if self.timestamp_window_seconds <= 0:
            found.append("timestamp_window_seconds (credentials.yml) must be positive; 300 is a good value.")
        if not self.enabled:
            return found
        weakness = token_weakness(self.token)
        if weakness:
            found.append(
                f"WECHAT_TOKEN is refused ({weakness}): whoever guesses the token can post as any follower. "
                f"Fix: generate one with {TOKEN_COMMAND}, put it in .env as WECHAT_TOKEN and in "
                "公众号后台 → 设置与开发 → 基本配置 → 服务器配置 → 令牌(Token)."
            )
        if self.encoding_aes_key and not protocol.valid_aes_key(self.encoding_aes_key):
            found.append(
                "WECHAT_ENCODING_AES_KEY must be the 43-character EncodingAESKey from "
                "公众号后台 → 设置与开发 → 基本配置 → 服务器配置."
            )
        if self.encoding_aes_key and not self.app_id:
            found.append(
                "WECHAT_ENCODING_AES_KEY is set but WECHAT_APP_ID is not: encrypted mode needs both; set WECHAT_APP_ID."
            )
        if self.app_secret and not self.app_id:
            found.append(
                "WECHAT_APP_SECRET is set but WECHAT_APP_ID is not: "
                "the customer-service API needs both; set WECHAT_APP_ID."
            )
        if not self.api_base_url.startswith(("https://", "http://")):
            found.append("WECHAT_API_BASE_URL must start with https:// (default https://api.weixin.qq.com).")
        return found


def _longest_run(token: str) -> int:
    """Length of the longest stretch of repeated or consecutive characters ("aaa", "abc", "321")."""
    longest = run = min(len(token), 1)
    step = None
    for previous, current in itertools.pairwise(token):
        difference = ord(current) - ord(previous)
        if difference not in (-1, 0, 1):
            run, step = 1, None
            continue
        run = run + 1 if difference == step else 2
        step = difference
        longest = max(longest, run)
    return longest


def token_weakness(token: str) -> str | None:
    """Why `token` is too weak to sign WeChat's requests, or None for a random 32-character one."""
    if len(token) > TOKEN_LENGTH:
        return f"it has {len(token)} characters, but WeChat's Token field takes at most {TOKEN_LENGTH}"
    if len(token) < TOKEN_LENGTH:
        return f"it has {len(token)} characters; use {TOKEN_LENGTH} random letters and digits, WeChat's maximum"
    if not _TOKEN_CHARACTERS.fullmatch(token):
        return "WeChat's Token field takes letters and digits only"
    kinds = sum(any(test(c) for c in token) for test in (str.islower, str.isupper, str.isdigit))
    if kinds < 2:
        return "it has only one kind of character (only lowercase, only capitals or only digits)"
    if len(set(token)) < _MIN_DISTINCT_CHARACTERS:
        return f"it repeats a few characters ({len(set(token))} different ones)"
    lowered = token.lower()
    word = next((w for w in _TOKEN_WORDS if w in lowered), None)
    if word:
        return f"it contains the word {word!r}"
    if _longest_run(token) > _MAX_RUN:
        return "it contains a typed sequence such as 'abcdef' or '123456'"
    return None


def credential_seconds(credentials: Mapping[str, Any], key: str, default: float) -> float:
    """A numeric credentials entry, failing start-up with the key's name if it is not a number."""
    value = credentials.get(key)
    if value is None:
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise RasaException(
            f"WeChat channel: {key} in credentials.yml must be a number of seconds, got {value!r}."
        ) from None


def log_modes(settings: WeChatSettings) -> None:
    """Tell the operator at start-up what works and which key turns on the rest."""
    if not settings.enabled:
        logger.error(
            "WeChat channel is mounted at /webhooks/wechat/webhook but WECHAT_TOKEN is not set, "
            "so it answers 503. Fix: set WECHAT_TOKEN in .env to the Token from "
            "公众号后台 → 设置与开发 → 基本配置 → 服务器配置."
        )
        return
    encryption = (
        "safe and compatible mode, only encrypted pushes signed with msg_signature (plaintext pushes get 403)"
        if settings.encryption_enabled
        else "plaintext mode, for local testing only (for production set WECHAT_ENCODING_AES_KEY and "
        "WECHAT_APP_ID and choose 安全模式)"
    )
    api = (
        "on"
        if settings.api_enabled
        else "off, so answers slower than the reply budget are lost (set WECHAT_APP_ID and WECHAT_APP_SECRET)"
    )
    logger.info(
        "WeChat channel on: %s; customer-service API %s; reply budget %.1f s.",
        encryption,
        api,
        settings.reply_budget_seconds,
    )


def welcome_text() -> str:
    """The subscribe greeting, naming the wallets the seed has verified facts for."""
    names = wallet_names()
    wallets = f"支持{'、'.join(names)}。" if names else "支持常见的数字钱包。"
    return channel_text("utter_wechat_welcome", wallets=wallets)
