"""scripts/shell.py (make shell) against a tiny REST channel stand-in on loopback."""

from __future__ import annotations

import io
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Dict, Iterator, List

import pytest

from scripts.shell import main, render, resolve
from tests.conftest import free_port

BUTTONS = [{"title": "支付宝", "payload": '/inform_wallet{"wallet":"alipay"}'}, {"title": "微信支付", "payload": "/wx"}]


class FakeRest:
    """Answers /webhooks/health/ and /webhooks/rest/webhook like the Rasa server; records each POST."""

    def __init__(self, health_status: int = 200, rest_status: int = 200) -> None:
        self.posts: List[Dict[str, Any]] = []
        self.auth: List[str] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *_: Any) -> None:
                pass

            def _json(self, status: int, body: Any) -> None:
                data = json.dumps(body, ensure_ascii=False).encode("utf-8")
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                state = "ok" if health_status == 200 else "degraded"
                self._json(health_status, {"status": state, "action_server": "ok"})

            def do_POST(self) -> None:
                fake.auth.append(self.headers.get("Authorization", ""))
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])).decode("utf-8"))
                fake.posts.append(body)
                if rest_status != 200:
                    self._json(rest_status, {"error": "missing or wrong bearer token"})
                elif body["message"] == "充值失败":
                    self._json(200, [{"recipient_id": body["sender"], "text": "哪个钱包？", "buttons": BUTTONS}])
                else:
                    self._json(200, [{"recipient_id": body["sender"], "text": f"收到：{body['message']}\n第二行"}])

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "FakeRest":
        self.thread.start()
        return self

    def __exit__(self, *_: Any) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def rest(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeRest]:
    monkeypatch.delenv("REST_API_TOKEN", raising=False)
    with FakeRest() as fake:
        yield fake


def test_a_conversation_posts_each_line_as_one_sender_and_a_number_picks_a_button(rest: FakeRest) -> None:
    out = io.StringIO()
    assert main(["--url", rest.url], lines=["充值失败", "1", "", "你好", "/quit", "never sent"], out=out) == 0
    assert [p["message"] for p in rest.posts] == ["充值失败", BUTTONS[0]["payload"], "你好"]
    senders = {p["sender"] for p in rest.posts}
    assert len(senders) == 1 and next(iter(senders)).startswith("shell-")
    assert rest.auth == ["", "", ""]
    printed = out.getvalue().splitlines()
    assert (
        printed[0]
        == f"Talking to {rest.url} as rest:{rest.posts[0]['sender']}. A number picks a button; Ctrl-D or /quit ends."
    )
    assert printed[1:] == [
        "助手 > 哪个钱包？",
        "       1. 支付宝",
        "       2. 微信支付",
        f"助手 > 收到：{BUTTONS[0]['payload']}",
        "       第二行",
        "助手 > 收到：你好",
        "       第二行",
    ]


def test_the_rest_token_is_sent_as_a_bearer_token(rest: FakeRest, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REST_API_TOKEN", "s3cret")
    assert main(["--url", rest.url, "--sender", "shell-fixed"], lines=["你好"], out=io.StringIO()) == 0
    assert rest.auth == ["Bearer s3cret"] and rest.posts == [{"sender": "shell-fixed", "message": "你好"}]


def test_a_refused_message_says_why_and_the_shell_goes_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REST_API_TOKEN", raising=False)
    out = io.StringIO()
    with FakeRest(rest_status=401) as fake:
        assert main(["--url", fake.url], lines=["一", "二"], out=out) == 0
    assert len(fake.posts) == 2
    assert out.getvalue().count("The REST channel refused the message: HTTP 401: ") == 2
    assert "Fix: set REST_API_TOKEN as the server has it." in out.getvalue()


def test_a_degraded_server_is_reported_before_talking(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REST_API_TOKEN", raising=False)
    out = io.StringIO()
    with FakeRest(health_status=503) as fake:
        assert main(["--url", fake.url], lines=[], out=out) == 0
    assert out.getvalue().startswith("The assistant is up but degraded (")
    assert "answers may be the outage apology" in out.getvalue()


def test_without_a_running_server_it_says_to_run_make_run_first() -> None:
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    out = io.StringIO()
    assert main(["--url", url], lines=["你好"], out=out) == 1
    assert (
        out.getvalue()
        == f"Nothing answers at {url}: start the assistant with `make run` (in another terminal) first.\n"
    )


def test_rendering_numbers_buttons_across_a_reply_and_shows_images() -> None:
    lines, buttons = render(
        [
            {"text": "第一条", "buttons": BUTTONS[:1]},
            {"image": "https://example.invalid/a.png"},
            {"text": "第二条", "buttons": BUTTONS[1:]},
        ]
    )
    assert lines == [
        "助手 > 第一条",
        "       1. 支付宝",
        "助手 > [图片] https://example.invalid/a.png",
        "助手 > 第二条",
        "       2. 微信支付",
    ]
    assert buttons == BUTTONS
    assert render([]) == (["助手 > (no reply)"], [])


def test_only_a_number_of_a_shown_button_is_replaced_by_its_payload() -> None:
    assert resolve("2", BUTTONS) == "/wx"
    assert resolve("3", BUTTONS) == "3" and resolve("0", BUTTONS) == "0" and resolve("2", []) == "2"
    assert resolve("支付宝", BUTTONS) == "支付宝"


def test_a_server_that_goes_away_mid_conversation_ends_the_shell_with_the_fix(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("REST_API_TOKEN", raising=False)
    fake = FakeRest().__enter__()

    def typed() -> Iterator[str]:
        fake.__exit__()  # the server stops after the start-up check
        yield "你好"

    out = io.StringIO()
    assert main(["--url", fake.url], lines=typed(), out=out) == 1
    assert out.getvalue().splitlines()[-1].startswith(f"The assistant stopped answering at {fake.url} (")
    assert out.getvalue().endswith("Fix: see `make run`'s terminal.\n")
