"""The chat widget in a real browser: headless Debian Chromium driven by Playwright.

The demo page is served by web/serve.py on its own origin (WEB_PORT of the shared
servers) and the widget talks to the real Rasa server on another port, as on a
real site. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from typing import Iterator, List
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import ROOT, RunningServers, start_process, stop_process, wait_until_healthy

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ARTIFACTS = ROOT / "test-artifacts"
WIDGET_BUNDLE = ROOT / "web" / "dist" / "wallet-chat.js"
ANSWER_TIMEOUT_MS = 60_000


@pytest.fixture(scope="module")
def demo_url(servers: RunningServers) -> Iterator[str]:
    """web/serve.py on the shared servers' WEB_PORT, pointing the widget at their Rasa server."""
    if not WIDGET_BUNDLE.exists():
        pytest.fail(f"{WIDGET_BUNDLE} is missing: run `make web` (make test does it first).")
    port = servers.env["WEB_PORT"]
    args = [sys.executable, "web/serve.py", "--port", port, "--rasa-url", servers.rasa_url]
    process = start_process("web", args, servers.env, servers.workdir)
    try:
        wait_until_healthy(f"http://127.0.0.1:{port}/healthz", process, servers.workdir / "web.log", 30)
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: run `make browser` (make test does it first).")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser profile (empty localStorage) at a phone-friendly desktop size."""
    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN")
    page = context.new_page()
    yield page
    context.close()


def hosts_contacted(page: Page) -> List[str]:
    hosts: List[str] = []
    page.on("request", lambda request: hosts.append(urlsplit(request.url).hostname or request.url))
    return hosts


def send(page: Page, text: str) -> None:
    page.locator(".wc-input").fill(text)
    page.locator(".wc-input").press("Enter")


def bot_text(page: Page) -> str:
    return "\n".join(page.locator(".wc-bot").all_inner_texts())


def test_widget_answers_survives_a_reload_and_continues(page: Page, demo_url: str, servers: RunningServers) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    hosts = hosts_contacted(page)
    page.goto(demo_url)
    expect(page.locator("h1")).to_have_text("帮助中心")

    page.locator(".wc-launcher").click()
    send(page, "我的微信零钱被盗刷了")
    expect(page.locator(".wc-user").last).to_have_text("我的微信零钱被盗刷了")
    expect(page.locator(".wc-typing")).to_be_visible()

    # The message names the wallet (微信零钱): the answer comes at once, with no "which wallet?" chips.
    expect(page.locator("a[href='tel:95017']").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    expect(page.locator(".wc-chip", has_text="微信支付")).to_have_count(0)

    # Urgent steps first, as a real numbered list, with hotlines as tel: links.
    urgent = page.locator(".wc-bot", has_text="请马上做这几件事").first
    expect(urgent.locator("ol > li").first).to_be_visible()
    assert urgent.locator("ol > li").count() >= 3
    for number in ("110", "96110"):
        expect(urgent.locator(f"a[href='tel:{number}']")).to_have_text(number)
    expect(page.locator(".wc-typing")).to_be_hidden(timeout=10_000)
    page.screenshot(path=str(ARTIFACTS / "widget-answer.png"))

    session_id = page.evaluate("localStorage.getItem('wallet-chat:session')")
    assert re.fullmatch(r"[0-9a-f]{32}", session_id)
    bubbles_before = page.locator(".wc-msg").count()

    page.reload()
    expect(page.locator(".wc-panel")).to_be_visible()
    expect(page.locator(".wc-msg")).to_have_count(bubbles_before)
    expect(page.locator(".wc-user").first).to_have_text("我的微信零钱被盗刷了")
    expect(page.locator("a[href='tel:95017']").first).to_be_visible()
    assert page.evaluate("localStorage.getItem('wallet-chat:session')") == session_id

    # The server still knows the conversation: the follow-up gets the ladder's next step.
    send(page, "还是不行")
    expect(page.locator(".wc-msg").nth(bubbles_before + 1)).to_contain_text("第 2 步", timeout=ANSWER_TIMEOUT_MS)
    page.screenshot(path=str(ARTIFACTS / "widget-after-reload.png"))

    assert set(hosts) <= {"127.0.0.1", "localhost"}, f"the page fetched from elsewhere: {sorted(set(hosts))}"


def test_wallet_buttons_are_chips_and_bot_or_user_markup_is_shown_as_text(page: Page, demo_url: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.goto(demo_url)
    page.locator(".wc-launcher").click()

    send(page, "我的钱被盗刷了")
    chips = page.locator(".wc-chip:enabled")
    expect(chips).to_have_count(4, timeout=ANSWER_TIMEOUT_MS)
    assert chips.all_inner_texts() == ["支付宝", "微信支付", "京东钱包", "Apple Pay"]
    page.locator(".wc-chip", has_text="微信支付").click()
    expect(page.locator(".wc-user").last).to_have_text("微信支付")
    expect(page.locator("a[href='tel:95017']").first).to_be_visible(timeout=ANSWER_TIMEOUT_MS)
    # The wallet chips are spent; the only live chip is the answer's own offer to come back.
    expect(page.locator(".wc-chip:enabled")).to_have_text(["到时提醒我"], timeout=ANSWER_TIMEOUT_MS)
    page.screenshot(path=str(ARTIFACTS / "widget-buttons.png"))

    hostile = '<img src=x onerror="window.__pwned=1"><b>粗体</b>'
    send(page, hostile)
    expect(page.locator(".wc-user").last).to_have_text(hostile)
    assert page.locator(".wc-log img, .wc-log b").count() == 0
    assert page.evaluate("window.__pwned === undefined")
