"""End to end over POST /webhooks/rest/webhook, with both servers running."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest

from tests.conftest import RunningServers, real_answer

pytestmark = pytest.mark.e2e


def joined(messages: list) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def sender() -> str:
    return f"e2e-{uuid.uuid4().hex}"


def test_alipay_topup_failure_gets_hotline_and_evidence(servers: RunningServers) -> None:
    reply = joined(servers.talk(sender(), "我用支付宝充值失败了"))
    assert "95188" in real_answer(reply)
    assert "证据清单" in reply and re.search(r"^1\. ", reply, re.M)
    assert "第一步" in reply


def test_three_complaints_about_support_give_three_different_steps(servers: RunningServers) -> None:
    user = sender()
    servers.talk(user, "用支付宝充值失败了")
    steps = []
    for _ in range(3):
        reply = joined(servers.talk(user, "客服还是不处理"))
        step = re.search(r"🪜 (第 \d+ 步)[^：]*：(.+)", reply)
        assert step, reply
        steps.append(step.group(2))
    assert len(set(steps)) == 3, steps


def test_unknown_wallet_is_asked_with_buttons_then_answered(servers: RunningServers) -> None:
    user = sender()
    ask = servers.talk(user, "充值扣了钱没到账")
    buttons = [b for m in ask for b in m.get("buttons", [])]
    assert [b["title"] for b in buttons] == ["支付宝", "微信支付", "京东钱包", "Apple Pay"]
    jd = next(b for b in buttons if b["title"] == "京东钱包")
    assert "400-606-5500" in real_answer(joined(servers.talk(user, jd["payload"])))


def test_wallet_typed_as_free_text_works(servers: RunningServers) -> None:
    user = sender()
    servers.talk(user, "我微信里的钱被人盗刷了")
    reply = joined(servers.talk(user, "不对，是京东的"))
    assert "400-606-5500" in real_answer(reply)


def test_fund_security_puts_urgent_steps_first(servers: RunningServers) -> None:
    messages = servers.talk(sender(), "我的微信零钱被盗刷了")
    assert "马上" in messages[0]["text"]
    assert "95017" in real_answer(joined(messages))


def test_out_of_scope_says_what_the_assistant_does(servers: RunningServers) -> None:
    reply = joined(servers.talk(sender(), "帮我订一张去上海的机票"))
    assert "充值" in reply and "盗刷" in reply


def test_changed_hotline_is_answered_after_an_import_without_retraining(
    breakable_servers: RunningServers, tmp_path: Path
) -> None:
    servers = breakable_servers
    import yaml

    from actions.knowledge.store import import_seed, make_engine
    from assistant_core.seed import load_seed
    from tests.conftest import SEED_PATH

    data = yaml.safe_load(SEED_PATH.read_text(encoding="utf-8"))
    data["platforms"][2]["hotline"] = "400-000-1234"
    edited = tmp_path / "seed.yml"
    edited.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    engine = make_engine(servers.env["KNOWLEDGE_DB_URL"])
    try:
        import_seed(engine, load_seed(edited), "edited")
        assert "400-000-1234" in joined(servers.talk(sender(), "只要京东的客服电话"))
    finally:
        import_seed(engine, load_seed(SEED_PATH), "original")


def test_changing_the_subject_while_the_wallet_is_asked_still_gets_an_answer(servers: RunningServers) -> None:
    user = sender()
    assert any(m.get("buttons") for m in servers.talk(user, "充值扣了钱没到账"))
    switched = servers.talk(user, "我的账户被冻结了，里面还有钱")
    assert switched and "抱歉" not in joined(switched)
    assert "400-606-5500" in real_answer(joined(servers.talk(user, "京东")))
