"""Simulated WeChat server: talk to the running bot through its 公众号 webhook from a terminal.

    make wechat-sim               type a message, Enter sends it, Ctrl-D quits; safe (encrypted)
                                  mode when WECHAT_ENCODING_AES_KEY is set, plaintext mode otherwise
    make wechat-sim MODE=compat   compatible mode (MODE=plain: plaintext, refused by a server with a key)
    make wechat-sim BENCH=200     webhook latency of 200 messages (p50/p95/max, count over 5 s)

Each line becomes the XML WeChat would push (text message, increasing MsgId; a
subscribe event first), signed with WECHAT_TOKEN and, in safe/compat mode,
encrypted with WECHAT_ENCODING_AES_KEY for WECHAT_APP_ID, exactly like WeChat.
The reply is verified (and decrypted) before it is printed.

It also runs a fake customer-service API, so answers the bot sends later
(slow or long ones) are printed too. Start the Rasa server with
WECHAT_API_BASE_URL pointing at it (the address is printed at start-up).
Settings come from the environment, then .env (the real environment wins).
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import secrets
import statistics
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant_core import settings  # noqa: E402  (needs ROOT on sys.path)
from assistant_core.apology import service_unavailable_text  # noqa: E402
from bot.channels import wechat_protocol as protocol  # noqa: E402

WEBHOOK_PATH = "/webhooks/wechat/webhook"
DEFAULT_API_PORT = 5088
WECHAT_DEADLINE_SECONDS = 5.0
ACCOUNT_ID = "gh_wechatsim0001"
MODES = ("plain", "safe", "compat")

# What people type to the account: several wallets, problems, follow-ups and small talk.
BENCH_TEXTS: tuple[str, ...] = (
    "我用支付宝充值失败了",
    "支付宝充值扣了钱但是余额没到账",
    "微信零钱被盗刷了怎么办",
    "我的微信支付好像被人盗用了，少了两千块",
    "京东钱包充值失败，钱扣了",
    "Apple Pay 付款扣了两次钱",
    "客服一直不处理我的投诉",
    "客服还是不处理",
    "打了好几次客服电话都没人管",
    "充值扣了钱没到账",
    "是京东的",
    "不对，是支付宝",
    "微信",
    "支付宝的客服电话是多少",
    "只要京东的客服电话",
    "我该准备哪些证据",
    "钱被盗刷了，要不要报警",
    "昨天晚上收到扣款短信，但我没有消费",
    "你好",
    "谢谢你",
    "帮我订一张去上海的机票",
    "银行卡往支付宝充值一直显示处理中",
    "京东白条自动扣款我不认可，找谁投诉",
    "微信转账给商家，对方不发货也联系不上",
    "云闪付充值失败",
    "投诉了一个星期没有结果，下一步怎么办",
    "可以向人民银行投诉吗",
    "平台说要七个工作日，太久了",
    "你能做什么",
    "我的账户被冻结了，里面还有钱",
)


@dataclass(frozen=True)
class SimSettings:
    """What the simulated WeChat server signs and encrypts with."""

    token: str
    aes_key: str
    app_id: str
    app_secret: str
    webhook_url: str

    @classmethod
    def from_env(cls, url: str | None) -> SimSettings:
        """WECHAT_* and RASA_PORT from the environment, then .env."""
        port = settings.env("RASA_PORT", "5005") or "5005"
        return cls(
            token=settings.env("WECHAT_TOKEN"),
            aes_key=settings.env("WECHAT_ENCODING_AES_KEY"),
            app_id=settings.env("WECHAT_APP_ID"),
            app_secret=settings.env("WECHAT_APP_SECRET"),
            webhook_url=url or f"http://127.0.0.1:{port}{WEBHOOK_PATH}",
        )

    def default_mode(self) -> str:
        """Safe mode when the key is set (the channel then refuses plaintext), plaintext otherwise."""
        return "safe" if self.aes_key and self.app_id else "plain"

    def problem(self, mode: str) -> str | None:
        """Why this mode cannot run with these settings, naming the key to set."""
        if not self.token:
            return "WECHAT_TOKEN is not set: put the same value in .env as the Rasa server uses."
        if mode != "plain" and not (protocol.valid_aes_key(self.aes_key) and self.app_id):
            return (
                f"--mode {mode} needs WECHAT_ENCODING_AES_KEY (43 letters and digits) and WECHAT_APP_ID, "
                "the same values as the Rasa server."
            )
        return None


# --- fake customer-service API (what api.weixin.qq.com would receive) ------------------------------


@dataclass
class FakeCustomerServiceApi:
    """Serves /cgi-bin/token and /cgi-bin/message/custom/send on loopback, like WeChat."""

    app_id: str
    app_secret: str
    on_message: Callable[[str, str], None]
    on_problem: Callable[[str], None]
    port: int = DEFAULT_API_PORT
    access_token: str = field(default_factory=lambda: "SIM_TOKEN_" + secrets.token_hex(8))
    last_activity: float = 0.0
    _server: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        """What WECHAT_API_BASE_URL of the Rasa server must be."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        """Listen on 127.0.0.1:port in a background thread (port 0 picks a free one)."""
        api = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _answer(self, payload: dict[str, Any]) -> None:
                body = json.dumps(payload, ensure_ascii=False).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                if url.path != "/cgi-bin/token":
                    self._answer({"errcode": 40001, "errmsg": "invalid path"})
                    return
                self._answer(api.issue_token(query))

            def do_POST(self) -> None:
                url = urlsplit(self.path)
                query = {k: v[0] for k, v in parse_qs(url.query).items()}
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if url.path != "/cgi-bin/message/custom/send":
                    self._answer({"errcode": 40001, "errmsg": "invalid path"})
                    return
                self._answer(api.receive(query, raw))

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._server.daemon_threads = True
        self.port = int(self._server.server_address[1])
        threading.Thread(target=self._server.serve_forever, name="fake-wechat-api", daemon=True).start()

    def stop(self) -> None:
        """Stop listening."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def issue_token(self, query: dict[str, str]) -> dict[str, Any]:
        """The /cgi-bin/token answer: a token for our AppID/AppSecret, WeChat's errcode otherwise."""
        if query.get("appid") != self.app_id:
            self.on_problem("the Rasa server asked for a token with another WECHAT_APP_ID (errcode 40013).")
            return {"errcode": 40013, "errmsg": "invalid appid"}
        if query.get("secret") != self.app_secret:
            self.on_problem("the Rasa server uses another WECHAT_APP_SECRET (errcode 40125).")
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        return {"access_token": self.access_token, "expires_in": 7200}

    def receive(self, query: dict[str, str], raw: bytes) -> dict[str, Any]:
        """The /cgi-bin/message/custom/send answer; hands each text to `on_message`."""
        self.last_activity = time.monotonic()
        if query.get("access_token") != self.access_token:
            return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid or not latest"}
        try:
            message = json.loads(raw.decode("utf-8"))
            openid, text = str(message["touser"]), str(message["text"]["content"])
        except (UnicodeDecodeError, ValueError, KeyError, TypeError):
            self.on_problem(f"the Rasa server sent a customer-service message WeChat would refuse: {raw[:200]!r}")
            return {"errcode": 44002, "errmsg": "empty post data"}
        self.on_message(openid, text)
        return {"errcode": 0, "errmsg": "ok"}


# --- the simulated WeChat push ------------------------------------------------------------------------


@dataclass(frozen=True)
class Reply:
    """What the bot answered to one push, as WeChat would show it."""

    status: int
    seconds: float
    text: str = ""  # empty: `success`, the answer (if any) comes through the API
    problem: str = ""


class SimulatedWeChat:
    """Builds, signs, encrypts and posts pushes like WeChat; verifies the replies."""

    def __init__(self, config: SimSettings, mode: str, http: requests.Session | None = None) -> None:
        """`mode` is plain, safe or compat (the 公众号's 消息加解密方式)."""
        self.config = config
        self.mode = mode
        self.http = http or requests.Session()
        self._cipher = protocol.MessageCipher(config.token, config.aes_key, config.app_id) if mode != "plain" else None
        # Increasing and unique across runs, so the channel's retry memory never mistakes a new message for a retry.
        self._msg_ids = itertools.count(time.time_ns() // 1000)

    def text_message(self, openid: str, content: str) -> str:
        """A text message push."""
        return (
            f"<xml><ToUserName>{protocol.cdata(ACCOUNT_ID)}</ToUserName>"
            f"<FromUserName>{protocol.cdata(openid)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[text]]></MsgType>"
            f"<Content>{protocol.cdata(content)}</Content><MsgId>{next(self._msg_ids)}</MsgId></xml>"
        )

    @staticmethod
    def subscribe_event(openid: str) -> str:
        """The push WeChat sends when someone follows the account."""
        return (
            f"<xml><ToUserName>{protocol.cdata(ACCOUNT_ID)}</ToUserName>"
            f"<FromUserName>{protocol.cdata(openid)}</FromUserName>"
            f"<CreateTime>{int(time.time())}</CreateTime><MsgType><![CDATA[event]]></MsgType>"
            "<Event><![CDATA[subscribe]]></Event><EventKey><![CDATA[]]></EventKey></xml>"
        )

    def request(self, inner_xml: str, openid: str) -> tuple[str, dict[str, str]]:
        """Body and query string WeChat would send for this push in our mode."""
        timestamp, nonce = str(int(time.time())), str(secrets.randbelow(10**9))
        params = {
            "signature": protocol.url_signature(self.config.token, timestamp, nonce),
            "timestamp": timestamp,
            "nonce": nonce,
            "openid": openid,
        }
        if self._cipher is None:
            return inner_xml, params
        envelope = protocol.parse_fields(self._cipher.encrypt(inner_xml, timestamp, nonce))
        encrypted = f"<Encrypt>{protocol.cdata(envelope['Encrypt'])}</Encrypt></xml>"
        if self.mode == "compat":  # the plaintext fields travel next to the encrypted copy
            body = inner_xml[: -len("</xml>")] + encrypted
        else:
            body = f"<xml><ToUserName>{protocol.cdata(ACCOUNT_ID)}</ToUserName>" + encrypted
        params.update(encrypt_type="aes", msg_signature=envelope["MsgSignature"])
        return body, params

    def push(self, inner_xml: str, openid: str) -> Reply:
        """POST one push and verify the passive reply."""
        body, params = self.request(inner_xml, openid)
        started = time.perf_counter()
        try:
            response = self.http.post(
                self.config.webhook_url,
                params=params,
                data=body.encode("utf-8"),
                headers={"Content-Type": "text/xml"},
                timeout=30,
            )
            content = response.content
        except requests.RequestException as exc:
            problem = f"no answer from {self.config.webhook_url} ({type(exc).__name__}): is the Rasa server running?"
            return Reply(0, time.perf_counter() - started, problem=problem)
        seconds = time.perf_counter() - started
        if response.status_code != 200:
            return Reply(response.status_code, seconds, problem=_status_advice(response.status_code, content))
        try:
            text = self._read_reply(content.decode("utf-8"), openid)
        except (UnicodeDecodeError, protocol.ProtocolError, KeyError) as exc:
            return Reply(200, seconds, problem=f"WeChat would reject this reply ({exc}): {content[:300]!r}")
        return Reply(200, seconds, text)

    def _read_reply(self, body: str, openid: str) -> str:
        """The user-visible text of a passive reply; raises if WeChat would not accept it."""
        if body.strip() in ("", protocol.SUCCESS):
            return ""
        fields = protocol.parse_fields(protocol.guard_body(body.encode("utf-8")))
        if self._cipher is not None:
            if "Encrypt" not in fields:
                raise protocol.MalformedMessage("plaintext reply to an encrypted push")
            inner = self._cipher.decrypt(
                protocol.encrypted_part(fields), fields["MsgSignature"], fields["TimeStamp"], fields["Nonce"]
            )
            fields = protocol.parse_fields(protocol.guard_body(inner.encode("utf-8")))
        elif "Encrypt" in fields:
            raise protocol.MalformedMessage("encrypted reply to a plaintext push")
        addressed = (fields.get("ToUserName"), fields.get("FromUserName"), fields.get("MsgType"))
        if addressed != (openid, ACCOUNT_ID, "text"):
            raise protocol.MalformedMessage("ToUserName/FromUserName/MsgType do not answer this push")
        return str(fields.get("Content") or "")


def _status_advice(status: int, content: bytes) -> str:
    """A one-line reason for a refused push, with the fix."""
    advice = {
        403: "refused: WECHAT_TOKEN (and in safe/compat mode WECHAT_ENCODING_AES_KEY, WECHAT_APP_ID) "
        "must equal the Rasa server's and the clocks must agree; a server with WECHAT_ENCODING_AES_KEY "
        "refuses --mode plain",
        404: "no WeChat channel at this URL: is credentials.yml mounting bot.channels.wechat.WeChatInput?",
        503: "the channel is off or cannot decrypt: start the Rasa server with WECHAT_TOKEN "
        "(and for safe/compat mode WECHAT_ENCODING_AES_KEY and WECHAT_APP_ID) set",
    }.get(status, "unexpected answer")
    return f"HTTP {status} ({advice}): {content[:200].decode('utf-8', 'replace')}"


# --- terminal front-ends -----------------------------------------------------------------------------

_print_lock = threading.Lock()


def say(line: str = "") -> None:
    """Print from any thread without interleaving lines."""
    with _print_lock:
        print(line, flush=True)


def show(who: str, text: str) -> None:
    """Print a bot message, continuation lines indented under the speaker."""
    first, *rest = text.splitlines() or [""]
    say(f"{who}{first}")
    for line in rest:
        say(" " * 4 + line)


def show_reply(reply: Reply) -> None:
    """Print a passive reply, or why there is none."""
    if reply.problem:
        say(f"!! {reply.problem}")
    elif reply.text:
        show("助手：", reply.text)
        if reply.seconds > WECHAT_DEADLINE_SECONDS:
            say(f"!! the reply took {reply.seconds:.1f} s: WeChat would have given up after 5 s.")
    else:
        say(f"   (passive reply `success` after {reply.seconds:.1f} s: the answer comes through the API)")


def wait_for_quiet(api: FakeCustomerServiceApi, quiet_seconds: float = 2.0, max_seconds: float = 10.0) -> None:
    """Give answers still on their way through the API a moment to arrive."""
    deadline = time.monotonic() + max_seconds
    while time.monotonic() < deadline and time.monotonic() - max(api.last_activity, 0.0) < quiet_seconds:
        time.sleep(0.1)


def converse(sim: SimulatedWeChat, api: FakeCustomerServiceApi, openid: str) -> int:
    """Read lines from stdin and send each as a text message; 0 on EOF."""
    show_reply(sim.push(sim.subscribe_event(openid), openid))
    interactive = sys.stdin.isatty()
    sent_any = False
    while True:
        try:
            line = input("你：" if interactive else "")
        except (EOFError, KeyboardInterrupt):
            break
        if not line.strip():
            continue
        if not interactive:
            say(f"你：{line}")
        show_reply(sim.push(sim.text_message(openid, line), openid))
        sent_any = True
    if sent_any:
        api.last_activity = max(api.last_activity, time.monotonic())
        wait_for_quiet(api)
    say()
    return 0


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1)."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def bench(sim: SimulatedWeChat, count: int, senders: int) -> int:
    """Send `count` messages one after another; print latency figures; 1 if any failed or took over 5 s."""
    run = secrets.token_hex(3)
    openids = [f"oSimBench{run}_{i:03d}" for i in range(max(1, min(senders, count)))]
    latencies: list[float] = []
    problems: list[str] = []
    deferred = apologies = 0
    apology = protocol.split_text(service_unavailable_text())[0]
    say(f"Sending {count} {sim.mode} messages from {len(openids)} users to {sim.config.webhook_url} ...")
    for i in range(count):
        openid = openids[i % len(openids)]
        reply = sim.push(sim.text_message(openid, BENCH_TEXTS[i % len(BENCH_TEXTS)]), openid)
        latencies.append(reply.seconds)
        if reply.problem:
            problems.append(reply.problem)
        elif not reply.text:
            deferred += 1
        elif reply.text == apology:
            apologies += 1
        if (i + 1) % 50 == 0:
            say(f"  {i + 1}/{count}")
    slow = sum(1 for s in latencies if s > WECHAT_DEADLINE_SECONDS)
    say(
        f"webhook latency over {count} messages: p50 {percentile(latencies, 0.50) * 1000:.0f} ms, "
        f"p95 {percentile(latencies, 0.95) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms, "
        f"mean {statistics.fmean(latencies) * 1000:.0f} ms"
    )
    say(f"over 5 s: {slow}; answered `success` (answer sent via the API): {deferred}; failed: {len(problems)}")
    if apologies:
        say(
            f"!! {apologies} replies were the outage apology: Rasa gave no answer to them "
            "(action server down, or a dialogue turn without a bot message; see the Rasa server's log)."
        )
    for problem in sorted(set(problems))[:5]:
        say(f"!! {problem}")
    return 1 if slow or problems else 0


def _api_port(requested: int | None) -> int:
    """--api-port, else the port of a loopback WECHAT_API_BASE_URL, else the default."""
    if requested is not None:
        return requested
    configured = urlsplit(settings.env("WECHAT_API_BASE_URL"))
    if configured.hostname in ("127.0.0.1", "localhost") and configured.port:
        return configured.port
    return DEFAULT_API_PORT


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `make wechat-sim`."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--mode",
        choices=MODES,
        help="消息加解密方式: plain (明文), compat, safe (default: safe when WECHAT_ENCODING_AES_KEY is set)",
    )
    parser.add_argument("--bench", type=int, metavar="N", help="send N messages and print latency figures")
    parser.add_argument("--senders", type=int, default=50, help="distinct users in --bench (default 50)")
    parser.add_argument("--url", help=f"webhook URL (default http://127.0.0.1:$RASA_PORT{WEBHOOK_PATH})")
    parser.add_argument(
        "--api-port", type=int, help=f"port of the fake customer-service API (default {DEFAULT_API_PORT})"
    )
    parser.add_argument("--openid", help="the simulated user's OpenID (default: a new one each run)")
    args = parser.parse_args(argv)

    config = SimSettings.from_env(args.url)
    args.mode = args.mode or config.default_mode()
    problem = config.problem(args.mode)
    if problem:
        print(f"wechat-sim: {problem}", file=sys.stderr)
        return 2
    sim = SimulatedWeChat(config, args.mode)
    openid = args.openid or f"oSim{secrets.token_hex(6)}"
    quiet = args.bench is not None
    api = FakeCustomerServiceApi(
        config.app_id,
        config.app_secret,
        on_message=lambda to, text: None if quiet else show(f"助手（客服消息 → {to}）：", text),
        on_problem=lambda text: say(f"!! fake customer-service API: {text}"),
        port=_api_port(args.api_port),
    )
    try:
        api.start()
    except OSError as exc:
        print(f"wechat-sim: cannot listen on 127.0.0.1:{api.port} ({exc}); pick another --api-port.", file=sys.stderr)
        return 2
    say(f"WeChat simulator ({args.mode} mode) → {config.webhook_url}")
    if settings.env("WECHAT_API_BASE_URL").rstrip("/") != api.base_url:
        say(
            f"Fake customer-service API on {api.base_url}: start the Rasa server with "
            f"WECHAT_API_BASE_URL={api.base_url} (and the same WECHAT_APP_ID/WECHAT_APP_SECRET) "
            "to see answers sent later."
        )
    else:
        say(f"Fake customer-service API on {api.base_url} (WECHAT_API_BASE_URL).")
    try:
        if args.bench is not None:
            return bench(sim, max(1, args.bench), args.senders)
        say(f"You are {openid}. Type a message and press Enter; Ctrl-D quits.\n")
        return converse(sim, api, openid)
    finally:
        api.stop()


if __name__ == "__main__":
    sys.exit(main())
