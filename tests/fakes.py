"""The test suite's one fake WeChat customer-service API and one fake agent; nothing leaves 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Awaitable, Callable, Dict, List, Optional, Set

from aiohttp import web
from aiohttp.test_utils import TestServer

if TYPE_CHECKING:
    from rasa.core.channels.channel import UserMessage


class FakeWeChatApi:
    """api.weixin.qq.com on loopback: `/cgi-bin/token` and `/cgi-bin/message/custom/send`.

    It checks grant_type, appid and secret, and the access_token of every send, answering with
    WeChat's errcodes; it records what is sent. Tokens are TOKEN1, TOKEN2, …: a new one invalidates
    the old, unless `keep_old_tokens` (for several servers sharing one fake). Failures on demand:
    `token_delay` (seconds), `token_errcode`, `send_errcodes` (one used up per send with a valid
    token; 0 accepts), and emptying `valid_tokens` revokes them.

    Start it in the test's event loop (`await start()`, `await close()`), or for servers in other
    processes in a thread with its own loop (`start_in_thread()`); either returns the base URL.
    """

    def __init__(self, app_id: str, app_secret: str, *, keep_old_tokens: bool = False, expires_in: int = 7200):
        self.app_id, self.app_secret = app_id, app_secret
        self.keep_old_tokens = keep_old_tokens
        self.expires_in = expires_in
        self.token_delay = 0.0
        self.token_errcode = 0
        self.send_errcodes: List[int] = []
        self.token_calls = 0
        self.valid_tokens: Set[str] = set()
        self.sent: List[Dict[str, Any]] = []
        self.raw_bodies: List[bytes] = []
        self.base_url = ""
        self._lock = threading.Lock()  # the test reads while a thread-run fake records
        self._server: Optional[TestServer] = None

    async def start(self) -> str:
        app = web.Application()
        app.router.add_get("/cgi-bin/token", self._token)
        app.router.add_post("/cgi-bin/message/custom/send", self._send)
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server(shutdown_timeout=0.5)
        self.base_url = f"http://127.0.0.1:{self._server.port}"
        return self.base_url

    async def close(self) -> None:
        if self._server is not None:
            await self._server.close()

    def start_in_thread(self) -> str:
        """Serve from a daemon thread running its own event loop, for the life of the test process."""
        loop = asyncio.new_event_loop()
        threading.Thread(target=loop.run_forever, name="fake-wechat-api", daemon=True).start()
        return asyncio.run_coroutine_threadsafe(self.start(), loop).result(timeout=30)

    def texts_to(self, openid: str) -> List[str]:
        """Texts sent so far to `openid`, in order."""
        with self._lock:
            return [m["text"]["content"] for m in self.sent if m.get("touser") == openid]

    @staticmethod
    def _error(errcode: int, errmsg: str) -> web.Response:
        return web.json_response({"errcode": errcode, "errmsg": errmsg})

    async def _token(self, request: web.Request) -> web.Response:
        query = request.query
        if query.get("grant_type") != "client_credential":
            return self._error(40002, "invalid grant_type")
        if query.get("appid") != self.app_id:
            return self._error(40013, "invalid appid")
        if query.get("secret") != self.app_secret:
            return self._error(40125, "invalid appsecret")
        await asyncio.sleep(self.token_delay)
        if self.token_errcode:
            return self._error(self.token_errcode, "invalid ip 1.2.3.4")
        with self._lock:
            self.token_calls += 1
            token = f"TOKEN{self.token_calls}"
            self.valid_tokens = {*self.valid_tokens, token} if self.keep_old_tokens else {token}
        return web.json_response({"access_token": token, "expires_in": self.expires_in})

    async def _send(self, request: web.Request) -> web.Response:
        with self._lock:
            if request.query.get("access_token") not in self.valid_tokens:
                return self._error(40001, "invalid credential")
            errcode = self.send_errcodes.pop(0) if self.send_errcodes else 0
        if errcode:
            return self._error(errcode, "refused")
        raw = await request.read()
        with self._lock:
            self.raw_bodies.append(raw)
            self.sent.append(json.loads(raw))
        return web.json_response({"errcode": 0, "errmsg": "ok"})


Script = Callable[["UserMessage"], Awaitable[None]]


async def echo(message: UserMessage) -> None:
    """The simplest assistant: says back what it got."""
    await message.output_channel.send_text_message(message.sender_id, f"收到：{message.text}")


async def silent(message: UserMessage) -> None:
    """An assistant that says nothing, as Rasa does when a custom action failed."""


@dataclass
class FakeAgent:
    """Stands in for Rasa's app.ctx.agent; a channel reaches it through Rasa's own register() handler.

    Every message is recorded in `received`; then it waits `delay` seconds, raises `error` if set,
    or else runs `script`, which answers through the message's output channel.
    """

    script: Script = echo
    delay: float = 0.0
    error: Optional[Exception] = None
    received: List[UserMessage] = field(default_factory=list)

    async def handle_message(self, message: UserMessage) -> None:
        self.received.append(message)
        if self.delay:
            await asyncio.sleep(self.delay)
        if self.error:
            raise self.error
        await self.script(message)
