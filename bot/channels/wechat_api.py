"""Customer-service message client for a WeChat official account (asynchronous replies).

Used when an answer is not ready within WeChat's passive-reply deadline, or
does not fit in one passive reply. It runs on aiohttp, so it never blocks the
Sanic event loop. The access_token is cached until shortly before it expires,
refreshed by one caller at a time, and refreshed once more when WeChat says
it is invalid or expired.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import aiohttp

logger = logging.getLogger(__name__)

DEFAULT_API_BASE_URL = "https://api.weixin.qq.com"
TOKEN_PATH = "/cgi-bin/token"
SEND_PATH = "/cgi-bin/message/custom/send"
# Refresh this long before WeChat's expires_in (old and new tokens overlap for 5 minutes).
TOKEN_SAFETY_MARGIN_SECONDS = 300.0
TOKEN_REJECTED = frozenset({40001, 40014, 42001})
REQUEST_TIMEOUT_SECONDS = 10.0

# errcode -> what it means and what the operator should do about it.
_ERROR_ADVICE: Mapping[int, str] = {
    -1: "WeChat is busy. Fix: nothing on our side; the message was dropped, the user can ask again.",
    40001: "access_token invalid. Fix: check WECHAT_APP_SECRET, and that no other system "
    "fetches tokens for this AppID (each fetch invalidates the previous token).",
    40003: "OpenID is not a follower of this account. Fix: check WECHAT_APP_ID matches the "
    "account the webhook is configured on.",
    40013: "AppID invalid. Fix: set WECHAT_APP_ID to the AppID shown in 公众号后台 → 设置与开发 → 基本配置.",
    40125: "AppSecret invalid. Fix: reset it in 公众号后台 → 基本配置 and update WECHAT_APP_SECRET.",
    40164: "this server's IP is not on the account's IP whitelist. Fix: add the server's public "
    "IP in 公众号后台 → 设置与开发 → 基本配置 → IP白名单.",
    41001: "access_token missing. Fix: check WECHAT_API_BASE_URL points at the WeChat API.",
    42001: "access_token expired. Fix: none needed unless this repeats (then check the clock).",
    43004: "the user has unsubscribed. Fix: nothing to do; the answer cannot be delivered.",
    45002: "message too long. Fix: report a bug (replies are split below 2048 bytes).",
    45015: "the user has not written within 48 hours (or unsubscribed), so WeChat refuses "
    "customer-service messages. Fix: nothing to do; the answer cannot be delivered.",
    45047: "customer-service message quota for this user is used up. Fix: reply more concisely "
    "or within the passive-reply budget.",
    48001: "this account has no customer-service message permission. Fix: use a verified "
    "service account (check 公众号后台 → 接口权限 → 客服消息).",
    50002: "the account is restricted. Fix: check the account status in 公众号后台.",
}


class WeChatApiError(Exception):
    """WeChat answered with a non-zero errcode (or not at all)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        """Keep the code WeChat returned; -2 means we got no usable answer."""
        super().__init__(f"errcode {errcode}: {errmsg}")
        self.errcode = errcode
        self.errmsg = errmsg


def advice_for(errcode: int) -> str:
    """Operator-facing cause and fix for a WeChat errcode."""
    return _ERROR_ADVICE.get(
        errcode,
        "unknown error. Fix: look the errcode up in the WeChat 全局返回码 documentation.",
    )


@dataclass(frozen=True)
class _CachedToken:
    """An access_token and the monotonic time after which we stop using it."""

    value: str
    refresh_after: float


class CustomerServiceClient:
    """Sends text through `/cgi-bin/message/custom/send` for one official account."""

    def __init__(
        self,
        app_id: str,
        app_secret: str,
        base_url: str = DEFAULT_API_BASE_URL,
        timeout_seconds: float = REQUEST_TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Configure the client; no connection is made until the first call."""
        self._app_id = app_id
        self._app_secret = app_secret
        self._base_url = base_url.rstrip("/")
        self._timeout = aiohttp.ClientTimeout(total=timeout_seconds)
        self._clock = clock
        self._token: _CachedToken | None = None
        self._refresh_lock = asyncio.Lock()
        self._session: aiohttp.ClientSession | None = None

    def _http(self) -> aiohttp.ClientSession:
        """The shared HTTP session, created inside the running loop on first use."""
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self._session

    async def close(self) -> None:
        """Close the HTTP session (server shutdown)."""
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def _call(
        self, method: str, path: str, params: Mapping[str, str], body: bytes | None = None
    ) -> dict[str, Any]:
        """One API call; returns the JSON object or raises WeChatApiError."""
        url = self._base_url + path
        headers = {"Content-Type": "application/json; charset=utf-8"} if body else None
        try:
            async with self._http().request(method, url, params=dict(params), data=body, headers=headers) as response:
                raw = await response.read()
                status = response.status
        except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
            raise WeChatApiError(-2, f"cannot reach {self._base_url}: {type(exc).__name__}") from exc
        try:
            payload = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise WeChatApiError(-2, f"HTTP {status}, answer is not JSON") from exc
        if not isinstance(payload, dict):
            raise WeChatApiError(-2, f"HTTP {status}, answer is not a JSON object")
        errcode = payload.get("errcode", 0)
        if errcode:
            raise WeChatApiError(int(errcode), str(payload.get("errmsg", "")))
        return payload

    async def _fetch_token(self) -> _CachedToken:
        """Ask `/cgi-bin/token` for a fresh access_token."""
        payload = await self._call(
            "GET",
            TOKEN_PATH,
            {"grant_type": "client_credential", "appid": self._app_id, "secret": self._app_secret},
        )
        token = payload.get("access_token")
        if not isinstance(token, str) or not token:
            raise WeChatApiError(-2, "token answer has no access_token")
        try:
            expires_in = float(payload.get("expires_in", 7200))
        except (TypeError, ValueError):
            expires_in = 7200.0
        lifetime = max(expires_in - TOKEN_SAFETY_MARGIN_SECONDS, expires_in / 2)
        return _CachedToken(token, self._clock() + lifetime)

    async def access_token(self, rejected: str | None = None) -> str:
        """A usable access_token; `rejected` is one WeChat just refused, to be replaced."""
        cached = self._token
        if cached and cached.value != rejected and self._clock() < cached.refresh_after:
            return cached.value
        async with self._refresh_lock:
            # Another caller may have refreshed while we waited for the lock.
            cached = self._token
            if cached and cached.value != rejected and self._clock() < cached.refresh_after:
                return cached.value
            self._token = await self._fetch_token()
            return self._token.value

    async def send_text_or_raise(self, openid: str, text: str) -> None:
        """Send one text message; raises WeChatApiError on failure."""
        body = json.dumps(
            {"touser": openid, "msgtype": "text", "text": {"content": text}},
            ensure_ascii=False,  # WeChat shows \\uXXXX escapes literally in some clients
        ).encode("utf-8")
        token = await self.access_token()
        try:
            await self._call("POST", SEND_PATH, {"access_token": token}, body)
        except WeChatApiError as exc:
            if exc.errcode not in TOKEN_REJECTED:
                raise
            token = await self.access_token(rejected=token)
            await self._call("POST", SEND_PATH, {"access_token": token}, body)

    async def send_text(self, openid: str, text: str) -> bool:
        """Send one text message; on failure log cause and fix and return False."""
        try:
            await self.send_text_or_raise(openid, text)
        except WeChatApiError as exc:
            if exc.errcode == -2:
                logger.error(
                    "WeChat customer-service message not sent: %s. Fix: check that this "
                    "server can reach WECHAT_API_BASE_URL (%s) (outbound network, proxy, DNS).",
                    exc.errmsg,
                    self._base_url,
                )
            else:
                logger.error(
                    "WeChat customer-service message not sent (errcode %s, %s): %s",
                    exc.errcode,
                    exc.errmsg,
                    advice_for(exc.errcode),
                )
            return False
        return True
