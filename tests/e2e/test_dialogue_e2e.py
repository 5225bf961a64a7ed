"""The dialogue users need inside a case, over the REST channel on the real servers (issue 12):
direct questions, demands, corrections, wallets without verified facts, steps already taken,
wrong numbers."""

from __future__ import annotations

import re
import uuid

import pytest

from assistant_core.seed import load_seed
from tests.conftest import SEED_PATH, RunningServers, real_answer

pytestmark = pytest.mark.e2e
HOTLINES = ("95188", "95017", "400-606-5500", "400-666-8800")
STEP = re.compile(r"🪜 (?:第一步|第 \d+ 步（共 \d+ 步）)：(.+)")


def joined(messages: list) -> str:
    return real_answer("\n".join(m.get("text", "") for m in messages))


def user() -> str:
    return f"dialogue-{uuid.uuid4().hex}"


def notice(key: str) -> str:
    return next(n.text for n in load_seed(SEED_PATH).notices if n.key == key)


def test_should_i_report_gets_a_direct_yes_with_110_inside_a_fraud_case(servers: RunningServers) -> None:
    me = user()
    servers.talk(me, "我的微信零钱被盗刷了")
    reply = joined(servers.talk(me, "需不需要报案"))
    assert reply.startswith("需要") and "110 / 96110" in reply
    assert "证据清单" not in reply  # a direct answer, not the case's answer again


def test_may_i_send_my_code_is_never_this_assistant_included(servers: RunningServers) -> None:
    me = user()
    servers.talk(me, "支付宝账户被盗了")
    reply = joined(servers.talk(me, "客服让我报验证码，能给吗"))
    assert notice("never_share_secrets") in reply


def test_a_demand_is_acknowledged_and_the_letter_carries_it(servers: RunningServers) -> None:
    me = user()
    servers.talk(me, "昨天用京东钱包充话费200元扣了钱没到账")
    reply = joined(servers.talk(me, "只想把钱退回来"))
    assert "记下了你的诉求：退还相关款项" in reply and "哪种问题" not in reply
    letter = joined(servers.talk(me, "帮我写投诉信"))
    assert "【我的诉求】\n1. 退还相关款项" in letter


def test_a_wallet_correction_switches_the_case_to_the_right_wallet(servers: RunningServers) -> None:
    me = user()
    assert "95188" in joined(servers.talk(me, "支付宝充值扣款了没到账"))
    reply = joined(servers.talk(me, "不是支付宝，是京东的"))
    assert "400-606-5500" in reply and "95188" not in reply
    assert "好的，需要的时候随时找我" not in reply  # not taken for a "no"


def test_a_wallet_without_verified_facts_gets_a_plain_answer_and_no_loop(servers: RunningServers) -> None:
    me = user()
    reply = joined(servers.talk(me, "云闪付充话费扣了钱没到账"))
    assert "我这里还没有云闪付核实过的电话和办法" in reply
    assert notice("other_wallet_route") in reply and "证据清单" in reply
    assert not any(hotline in reply for hotline in HOTLINES)
    # Asked for the wallet, the user names one without facts: answered, not asked again.
    other = user()
    servers.talk(other, "充话费扣了钱一直没到账")
    answer = joined(servers.talk(other, "是数字人民币"))
    assert "数字人民币" in answer and "请问是哪个钱包" not in answer


def test_a_step_already_taken_is_not_offered_again(servers: RunningServers) -> None:
    me = user()
    first = joined(servers.talk(me, "支付宝账户里的钱被人盗刷了"))
    assert STEP.search(first)
    recorded = joined(servers.talk(me, "派出所已经去过了"))
    assert "「报警」" in recorded
    steps = [m.group(1) for m in STEP.finditer(recorded)]
    assert steps and steps[-1] != "报警"
    for _ in range(3):
        later = joined(servers.talk(me, "还是不行"))
        assert "报警" not in [m.group(1) for m in STEP.finditer(later)], later


def test_a_wrong_hotline_offered_by_the_user_is_corrected(servers: RunningServers) -> None:
    reply = joined(servers.talk(user(), "支付宝客服电话是95100吗"))
    assert "⚠️ 你说的 95100 不是支付宝的客服电话。\n📞 支付宝客服电话：95188（" in reply, reply
    assert "核实过" not in reply and "别拨" not in reply  # the seed's number comes from the article


def test_a_victim_who_already_called_their_bank_is_not_told_the_number_is_wrong(servers: RunningServers) -> None:
    reply = joined(servers.talk(user(), "银行卡被盗刷了，我已经打95588冻结了卡"))
    assert reply.strip(), "no answer at all"
    assert not re.search(r"不是[^。\n]{0,12}客服电话", reply), reply
    assert "别拨" not in reply and "⚠️ 你说的" not in reply


def test_an_unclear_message_inside_a_case_keeps_the_case_and_never_restarts(servers: RunningServers) -> None:
    me = user()
    assert "95188" in joined(servers.talk(me, "支付宝充值扣了钱没到账"))
    replies = servers.talk(me, "/nlu_fallback")  # what the NLU says when it is unsure
    reply = joined(replies)
    assert "你的「支付宝 · 充值失败」问题" in reply and "我没太明白" not in reply, reply
    titles = [b["title"] for m in replies for b in m.get("buttons", [])]
    assert titles == ["还是没解决，下一步", "已经解决了", "帮我写投诉信", "换个问题"]
    nxt = joined(servers.talk(me, "/ask_next_step"))
    assert "第 2 步" in nxt, nxt
