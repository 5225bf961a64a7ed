"""What the knowledge tells a user in trouble: the bank first for cards, no waiting for fraud victims,
the never-share-codes notice, 12363's hours, and answers that fit one WeChat passive reply."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.info_actions import ActionGiveHotline
from actions.knowledge.store import KnowledgeStore
from actions.problem_actions import ActionAnswerProblem, ActionGiveNextEscalationStep
from bot.channels.wechat_protocol import PASSIVE_REPLY_MAX_BYTES, render_bot_messages
from tests.conftest import make_tracker, user_event

WALLETS = ("alipay", "wechat_pay", "jd_wallet", "apple_pay")
REPORTS = ("report_topup_failure", "report_fund_security", "report_support_unresponsive")


async def answer(intent: str, text: str = "", slots: Optional[Dict[str, Any]] = None) -> List[str]:
    dispatcher = CollectingDispatcher()
    events = await ActionAnswerProblem().run(dispatcher, make_tracker(intent, text, slots=slots), {})
    texts = [m.get("text") or "" for m in dispatcher.messages]
    return [*texts, *[str(e.get("value")) for e in events if e.get("name") == "case_progress"]]


async def walk_the_ladder(wallet: str, problem: str, steps: int) -> List[str]:
    """Each 'still not solved' after the first answer: the texts of every step given."""
    progress: Dict[str, Any] = {}
    replies = []
    for _ in range(steps):
        dispatcher = CollectingDispatcher()
        slots = {"wallet": wallet, "problem": problem, "case_progress": progress}
        events = await ActionGiveNextEscalationStep().run(dispatcher, make_tracker("ask_next_step", slots=slots), {})
        replies.append("\n".join(m.get("text") or "" for m in dispatcher.messages))
        progress = next((e["value"] for e in events if e.get("name") == "case_progress"), progress)
    return replies


@pytest.mark.parametrize("intent", REPORTS)
@pytest.mark.parametrize("wallet", [None, *WALLETS])
async def test_every_report_answer_fits_one_wechat_passive_reply(
    action_env: str, intent: str, wallet: Optional[str]
) -> None:
    dispatcher = CollectingDispatcher()
    tracker = make_tracker(intent, "出问题了", slots={"wallet": wallet} if wallet else {})
    await ActionAnswerProblem().run(dispatcher, tracker, {})
    reply, _ = render_bot_messages(dispatcher.messages)
    assert "第一步" in reply, "a real answer, with the first step"
    assert len(reply.encode("utf-8")) <= PASSIVE_REPLY_MAX_BYTES, f"{len(reply.encode('utf-8'))} bytes"


async def test_apple_pay_card_fraud_goes_to_the_issuing_bank_first(action_env: str) -> None:
    urgent, contact, _evidence, first_step, *_ = await answer(
        "report_fund_security", "Apple Pay 绑的卡被盗刷了", {"wallet": "apple_pay"}
    )
    assert urgent.splitlines()[1].startswith("1. ") and "发卡银行" in urgent.splitlines()[1]
    assert "钱包客服冻结账户" not in urgent  # Apple has no wallet account to freeze
    assert contact == "📞 Apple 中国区电话，银行卡扣款请找发卡银行：400-666-8800"
    assert "第一步：马上找发卡银行冻结银行卡" in first_step and "找谁：发卡银行的官方客服电话" in first_step
    assert "400-666-8800" not in first_step and "冻结账户" not in first_step


async def test_an_apple_pay_top_up_starts_at_the_bank_and_the_merchant_never_at_apple(action_env: str) -> None:
    _checks, contact, _evidence, first_step, *_ = await answer(
        "report_topup_failure", "用Apple Pay充话费扣了钱没到账", {"wallet": "apple_pay"}
    )
    assert "Apple Pay客服" not in contact and "Apple 中国区电话，银行卡扣款请找发卡银行" in contact
    assert "第一步：找发卡银行和收款商户" in first_step and "400-666-8800" not in first_step


async def test_an_apple_pay_lost_phone_gets_lost_mode_removing_the_cards_and_the_bank(action_env: str) -> None:
    urgent, *_ = await answer("report_fund_security", "iPhone丢了，Apple Pay绑着银行卡", {"wallet": "apple_pay"})
    assert "丢失模式" in urgent and "account.apple.com" in urgent and "发卡银行" in urgent
    # Other wallets are not told about Apple's Lost Mode.
    alipay_urgent, *_ = await answer("report_fund_security", "手机丢了，支付宝怕被盗刷", {"wallet": "alipay"})
    assert "丢失模式" not in alipay_urgent and "钱包客服冻结账户" in alipay_urgent


async def test_apple_pay_first_aid_follows_the_wallet_question(action_env: str) -> None:
    """Wallet asked after the report: the general first aid came with the question, Apple's own follows."""
    history = [user_event("report_fund_security", "手机丢了，钱被盗刷了")]
    tracker = make_tracker("inform", "Apple Pay", slots={"wallet": "apple_pay"}, history=history)
    dispatcher = CollectingDispatcher()
    await ActionAnswerProblem().run(dispatcher, tracker, {})
    first = dispatcher.messages[0].get("text") or ""
    assert first.startswith("📱 用 Apple Pay 的话，还要马上做：") and "丢失模式" in first


@pytest.mark.parametrize("wallet", WALLETS)
async def test_every_fund_security_first_aid_says_to_call_the_bank(action_env: str, wallet: str) -> None:
    urgent, *_ = await answer("report_fund_security", "钱被盗刷了", {"wallet": wallet})
    assert "请马上做这几件事" in urgent and "发卡银行" in urgent


@pytest.mark.parametrize("wallet", WALLETS)
async def test_a_fraud_victim_is_never_asked_to_wait_before_110_or_the_regulator(
    action_env: str, store: KnowledgeStore, wallet: str
) -> None:
    ladder = store.escalation_ladder("fund_security", wallet)
    replies = await walk_the_ladder(wallet, "fund_security", len(ladder))
    assert "110" in replies[1], "the police come second, straight after freezing"
    regulator = next(i for i, step in enumerate(ladder) if step.contact in ("12363", "12378"))
    assert regulator <= 3
    for reply in replies:
        assert "助手的建议" not in reply and "天" not in reply, reply
    assert "不用等" in replies[2]


async def test_other_ladders_say_their_waits_are_the_assistants_suggestion(action_env: str) -> None:
    replies = await walk_the_ladder("alipay", "topup_failure", 4)
    assert "💡 助手的建议：可以先给对方约 7 天时间；这不是官方时限" in replies[0]
    assert all("一般等" not in reply for reply in replies)


async def test_12363_says_it_answers_on_working_days_and_apple_pay_gets_12378(action_env: str) -> None:
    alipay = await walk_the_ladder("alipay", "fund_security", 4)
    assert "找谁：12363" in alipay[3] and "工作日" in alipay[3]
    apple = await walk_the_ladder("apple_pay", "fund_security", 4)
    assert "找谁：12378" in apple[3] and "国家金融监督管理总局" in apple[3]


async def test_the_never_share_codes_notice(action_env: str, store: KnowledgeStore) -> None:
    notice = store.notice("fraud_warning")
    assert "验证码" in notice
    assert notice in "\n".join(await answer("report_fund_security", "微信零钱被盗刷了", {"wallet": "wechat_pay"}))
    mentions = await answer("report_topup_failure", "充话费没到账，客服让我报一下短信验证码", {"wallet": "alipay"})
    assert notice in "\n".join(mentions)
    plain = await answer("report_topup_failure", "充话费没到账", {"wallet": "alipay"})
    assert notice not in "\n".join(plain)
    # Any knowledge answer, not only a report: a hotline question that mentions a code.
    dispatcher = CollectingDispatcher()
    tracker = make_tracker("ask_hotline", "支付宝客服电话多少？对方要我的验证码", slots={"wallet": "alipay"})
    await ActionGiveHotline().run(dispatcher, tracker, {})
    hotline_answer = "\n".join(m.get("text") or "" for m in dispatcher.messages)
    assert "95188" in hotline_answer and notice in hotline_answer


async def test_fund_security_warns_about_money_recovery_scams(action_env: str, store: KnowledgeStore) -> None:
    texts = await answer("report_fund_security", "被骗了", {"wallet": "alipay"})
    assert store.notice("recovery_scam_warning") in texts[-2] and "追回损失" in texts[-2]
