"""The case file and the complaint letter over POST /webhooks/rest/webhook, with both servers running."""

from __future__ import annotations

import uuid
from typing import Any, Dict, List

import pytest
import requests

from actions import case_stats
from actions.case_store import CaseStore
from actions.knowledge.store import make_engine
from assistant_core.settings import Settings
from tests.conftest import RunningServers, real_answer

pytestmark = pytest.mark.e2e

NOW = "2026-11-25T14:30:00+08:00"  # the message time the NLU resolves 昨天 / 上周 against
ORDER_ID = "2024112422001400001234"


def talk(servers: RunningServers, sender: str, message: str) -> List[Dict[str, Any]]:
    """One turn, with the message time in the metadata (as a channel may send it)."""
    response = requests.post(
        f"{servers.rasa_url}/webhooks/rest/webhook",
        json={"sender": sender, "message": message, "metadata": {"now": NOW}},
        timeout=60,
    )
    response.raise_for_status()
    return list(response.json())


def joined(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def letter_of(messages: List[Dict[str, Any]]) -> str:
    return next(m["text"] for m in messages if m.get("text", "").startswith("关于"))


def test_from_the_first_message_to_a_finished_letter(servers: RunningServers) -> None:
    user = f"e2e-letter-{uuid.uuid4().hex}"
    first = joined(talk(servers, user, f"我昨天晚上用支付宝给手机充了500元话费，订单号{ORDER_ID}，扣了钱一直没到账"))
    assert "95188" in real_answer(first)
    ask = talk(servers, user, "帮我写投诉信")
    assert "怎么解决" in joined(ask), "amount, time and order were said already: only the demand is asked"
    assert [b["title"] for m in ask for b in m.get("buttons", [])][:2] == ["退款", "解冻账户"]
    messages = talk(servers, user, "退款，还要查明原因")
    cover, letter = joined(messages[:1]), letter_of(messages)
    assert "支付宝（中国）网络技术有限公司客户投诉部门" in cover
    for fact in (
        "2026年11月24日",
        "500.00元",
        ORDER_ID,
        "1. 退还相关款项",
        "2. 查明原因",
        "【附件：证据清单】",
        "交易号",
    ):
        assert fact in letter, fact
    rest = joined(messages)
    assert "不构成法律意见" in rest and "还是不行" in rest
    cases = CaseStore(make_engine(Settings.from_env(servers.env).cases_db_url))
    case = cases.get(f"rest:{user}", "alipay", "topup_failure")  # the conversation's channel-qualified id
    assert case is not None and case.letter_template == "platform_desk" and case.order_id == ORDER_ID


def test_an_earlier_complaint_moves_the_ladder_and_the_letter_goes_up_with_it(servers: RunningServers) -> None:
    user = f"e2e-letter-{uuid.uuid4().hex}"
    talk(servers, user, "微信零钱充值失败了，扣了两千五")
    reply = joined(talk(servers, user, "我上周已经投诉了，工单号T20241118007"))
    assert "记下了" in reply and "T20241118007" in reply and "第 2 步" in reply
    reply = joined(talk(servers, user, "还是不行"))
    assert "12315" in reply
    ask = joined(talk(servers, user, "帮我写投诉信"))
    assert "什么时候" in ask
    assert "怎么解决" in joined(talk(servers, user, "记不清了"))
    messages = talk(servers, user, "赔偿损失")
    letter = letter_of(messages)
    assert "尊敬的市场监督管理部门（全国12315平台）" in letter and "被投诉方：财付通支付科技有限公司" in letter
    assert "通讯地址：________" in letter  # 12315 refuses a complaint without the complainant's address
    cover = joined(messages[:1])
    assert "通讯地址" in cover and "三年" in cover
    assert "2,500.00元" in letter and "T20241118007" in letter and "（待补充）" in letter
    assert "联系平台客服（微信支付 95017）：2026年11月18日，工单号 T20241118007" in letter


def test_a_deceived_transfer_letter_never_says_the_payment_was_unauthorised(servers: RunningServers) -> None:
    user = f"e2e-letter-{uuid.uuid4().hex}"
    story = "我被冒充客服的骗子骗了，在微信上自己转了3000块给他"
    talk(servers, user, story)
    messages = talk(servers, user, "帮我写投诉信")
    for answer in ("昨天", "退款"):
        if any(m.get("text", "").startswith("关于") for m in messages):
            break
        messages = talk(servers, user, answer)
    letter = letter_of(messages)
    assert "未经我本人授权" not in letter and "受骗后通过微信支付向对方转账或付款" in letter
    assert f"（我的原话）「{story}」" in letter


def test_stats_export_counts_the_conversations_cases(servers: RunningServers, tmp_path) -> None:
    test_from_the_first_message_to_a_finished_letter(servers)
    cases = CaseStore(make_engine(Settings.from_env(servers.env).cases_db_url))
    csv_path, png_path, total = case_stats.export(cases, tmp_path)
    assert total >= 1 and png_path.exists()
    assert "topup_failure,alipay,platform_support" in csv_path.read_text(encoding="utf-8")
