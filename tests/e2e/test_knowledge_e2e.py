"""What the knowledge tells users, over the running servers: the bank first for card fraud, no waiting
for fraud victims, the never-share-codes notice, a neutral 花呗 letter, and one WeChat reply per answer."""

from __future__ import annotations

import json
import uuid
from typing import Any, Dict, List

import pytest

from bot.channels import wechat_protocol as protocol
from tests.conftest import FakeWeChatApi, RunningServers
from tests.e2e.test_wechat_e2e import new_openid, say

pytestmark = pytest.mark.e2e

WALLETS = ("alipay", "wechat_pay", "jd_wallet", "apple_pay")
REPORTS = ("report_topup_failure", "report_fund_security", "report_support_unresponsive")


def joined(messages: List[Dict[str, Any]]) -> str:
    return "\n".join(m.get("text", "") for m in messages)


def test_apple_pay_card_fraud_sends_the_user_to_the_bank_before_anything_else(servers: RunningServers) -> None:
    reply = joined(servers.talk(f"e2e-kn-{uuid.uuid4().hex}", "我Apple Pay绑的银行卡被盗刷了"))
    assert "抱歉" not in reply
    first_aid = reply.split("\n")[1]
    assert first_aid.startswith("1. ") and "发卡银行" in first_aid
    assert "第一步：马上找发卡银行冻结银行卡" in reply
    assert reply.index("发卡银行") < reply.index("400-666-8800")


def test_a_fraud_victim_reaches_110_and_the_regulator_without_being_told_to_wait(servers: RunningServers) -> None:
    user = f"e2e-kn-{uuid.uuid4().hex}"
    replies = [joined(servers.talk(user, "我的支付宝被骗了5000块"))]
    replies += [joined(servers.talk(user, "还是不行")) for _ in range(3)]
    assert "第 2 步（共 5 步）：报警" in replies[1] and "110" in replies[1]
    assert "找谁：12363" in replies[3] and "工作日" in replies[3]
    assert not any("助手的建议" in reply for reply in replies)


def test_a_user_asked_for_a_code_hears_never_to_share_it(servers: RunningServers) -> None:
    reply = joined(servers.talk(f"e2e-kn-{uuid.uuid4().hex}", "微信充值没到账，有个客服打电话让我报验证码"))
    assert "验证码和密码不要告诉任何人" in reply


def test_a_huabei_letter_names_no_company_we_could_not_verify(servers: RunningServers) -> None:
    user = f"e2e-kn-{uuid.uuid4().hex}"
    first = servers.talk(user, "花呗乱扣了我300块，客服一直不处理")
    # Charged without reason and ignored by support: two problems the bot may ask about with buttons;
    # the user then picks the support one, as on a phone.
    buttons = [b["payload"] for m in first for b in m.get("buttons", [])]
    support = [p for p in buttons if p.startswith("/report_support_unresponsive")]
    if support:
        servers.talk(user, support[0])
    for _ in range(2):
        servers.talk(user, "还是不行")
    messages = servers.talk(user, "帮我写投诉信")
    for answer in ("昨天", "退款"):
        if any(m.get("text", "").startswith("关于") for m in messages):
            break
        messages = servers.talk(user, answer)
    letter = next(m["text"] for m in messages if m.get("text", "").startswith("关于"))
    assert "花呗的运营公司（全称请照用户协议填写）" in letter
    assert "支付宝（中国）网络技术有限公司" not in letter


def test_an_apple_pay_top_up_names_the_bank_and_never_an_apple_pay_hotline(servers: RunningServers) -> None:
    reply = joined(servers.talk(f"e2e-kn-{uuid.uuid4().hex}", "用Apple Pay充话费，银行卡扣了钱没到账"))
    assert "第一步：找发卡银行和收款商户" in reply, reply
    assert "Apple Pay客服电话" not in reply and "Apple 中国区电话，银行卡扣款请找发卡银行" in reply


def test_an_apple_pay_lost_phone_gets_lost_mode_removing_the_cards_and_the_bank(servers: RunningServers) -> None:
    reply = joined(servers.talk(f"e2e-kn-{uuid.uuid4().hex}", "iPhone丢了，里面Apple Pay绑着银行卡，怕被盗刷"))
    assert "丢失模式" in reply and "account.apple.com" in reply, reply
    assert "第一步：马上找发卡银行冻结银行卡" in reply and "钱包客服冻结账户" not in reply


def test_a_huabei_case_climbs_to_the_consumer_finance_regulator_and_its_letter_goes_there(
    servers: RunningServers,
) -> None:
    user = f"e2e-kn-{uuid.uuid4().hex}"
    first = servers.talk(user, "花呗乱扣了我300块，客服一直不处理")
    support = [
        b["payload"]
        for m in first
        for b in m.get("buttons", [])
        if b["payload"].startswith("/report_support_unresponsive")
    ]
    if support:  # two problems within the ambiguity threshold: the user picks the support one
        servers.talk(user, support[0])
    replies = [joined(servers.talk(user, "还是不行")) for _ in range(3)]
    assert "找谁：12378" in replies[2] and "12363" not in "\n".join(replies), replies
    messages = servers.talk(user, "帮我写投诉信")
    for answer in ("昨天", "退款"):
        if any(m.get("text", "").startswith("关于") for m in messages):
            break
        messages = servers.talk(user, answer)
    cover = joined(messages[:1])
    letter = next(m["text"] for m in messages if m.get("text", "").startswith("关于"))
    assert "国家金融监督管理总局（12378）" in cover and "12363" not in letter
    assert "花呗的经营机构（全称请照借款合同或用户协议填写）" in letter


@pytest.mark.parametrize("intent", REPORTS)
def test_every_report_answer_arrives_whole_in_one_wechat_passive_reply(
    servers: RunningServers, fake_wechat_api: FakeWeChatApi, intent: str
) -> None:
    for wallet in WALLETS:
        openid = new_openid()
        passive, _ = say(servers, openid, f"/{intent}{json.dumps({'wallet': wallet})}")
        assert "第一步" in passive and "抱歉" not in passive, (wallet, passive[:80])
        assert len(passive.encode("utf-8")) <= protocol.PASSIVE_REPLY_MAX_BYTES
        assert fake_wechat_api.texts_to(openid) == [], "nothing left over for the customer-service API"
