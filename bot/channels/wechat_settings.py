"""The WeChat channel's settings (secrets from the environment, timings from credentials.yml),
its start-up report, and the fixed texts it sends for non-text messages."""

from __future__ import annotations

import logging
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
        "plaintext, compatible and safe mode"
        if settings.encryption_enabled
        else "plaintext mode only (for compatible/safe mode set WECHAT_ENCODING_AES_KEY and WECHAT_APP_ID)"
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
