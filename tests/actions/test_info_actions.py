"""Hotline, evidence, account closure, legal rights and the wallet form."""

from __future__ import annotations

import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.info_actions import (
    ActionAnswerAccountClosure,
    ActionAnswerLegalRights,
    ActionGiveEvidence,
    ActionGiveHotline,
)
from actions.knowledge.store import KnowledgeStore
from actions.letter_actions import ValidateComplaintLetterForm
from actions.wallet_form import ActionAskNamedWallet, ActionAskWallet
from tests.conftest import ROOT, make_tracker, user_event


async def say(action, tracker) -> CollectingDispatcher:
    dispatcher = CollectingDispatcher()
    await action.run(dispatcher, tracker, {})
    return dispatcher


def text_of(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


async def test_hotline_for_a_known_wallet(action_env: str) -> None:
    dispatcher = await say(ActionGiveHotline(), make_tracker("ask_hotline", "只要电话", slots={"wallet": "jd_wallet"}))
    assert "400-606-5500" in text_of(dispatcher)
    assert "95188" not in text_of(dispatcher)


async def test_hotline_without_a_wallet_lists_all_four(action_env: str) -> None:
    dispatcher = await say(ActionGiveHotline(), make_tracker("ask_hotline", "客服电话多少"))
    for hotline in ("95188", "95017", "400-606-5500", "400-666-8800"):
        assert hotline in text_of(dispatcher)


async def test_evidence_follows_the_problem_reported_earlier(action_env: str, store: KnowledgeStore) -> None:
    history = [user_event("report_fund_security", "被盗刷了")]
    dispatcher = await say(ActionGiveEvidence(), make_tracker("ask_evidence", "要准备什么证据", history=history))
    expected = store.evidence_checklist("fund_security", None)
    assert all(item.text in text_of(dispatcher) for item in expected)


async def test_account_closure_says_withdraw_the_balance_first(action_env: str) -> None:
    dispatcher = await say(ActionAnswerAccountClosure(), make_tracker("ask_account_closure", "怎么注销支付宝"))
    first_item = text_of(dispatcher).split("1. ", 1)[1]
    assert "余额" in first_item.split("\n")[0]


async def test_legal_rights_mentions_the_law_and_the_disclaimer(action_env: str, store: KnowledgeStore) -> None:
    dispatcher = await say(ActionAnswerLegalRights(), make_tracker("ask_legal_rights", "我有什么权利"))
    assert "消费者权益保护法" in text_of(dispatcher)
    assert store.notice("legal_disclaimer") in text_of(dispatcher)


async def test_ask_wallet_offers_one_button_per_wallet(action_env: str) -> None:
    dispatcher = await say(ActionAskWallet(), make_tracker("report_topup_failure", "充值失败"))
    buttons = dispatcher.messages[-1]["buttons"]
    assert [b["title"] for b in buttons] == ["支付宝", "微信支付", "京东钱包", "Apple Pay"]
    assert buttons[0]["payload"] == '/inform{"wallet":"alipay"}'


async def test_ask_wallet_for_fund_security_gives_first_aid_before_the_question(action_env: str) -> None:
    dispatcher = await say(ActionAskWallet(), make_tracker("report_fund_security", "钱被盗了"))
    assert "马上" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[-1].get("buttons")


async def test_the_letter_form_accepts_wallet_aliases_and_rejects_unknown_names(action_env: str) -> None:
    form = ValidateComplaintLetterForm()
    tracker = make_tracker("inform")
    dispatcher = CollectingDispatcher()
    assert await form.validate_wallet("京东", dispatcher, tracker, {}) == {"wallet": "jd_wallet"}
    assert await form.validate_wallet("Apple Pay", dispatcher, tracker, {}) == {"wallet": "apple_pay"}
    assert await form.validate_wallet(["零钱", "微信"], dispatcher, tracker, {}) == {"wallet": "wechat_pay"}
    assert await form.validate_wallet("花呗", dispatcher, tracker, {}) == {"wallet": "alipay"}
    assert dispatcher.messages == []
    assert await form.validate_wallet("银联", dispatcher, tracker, {}) == {"wallet": None}
    assert dispatcher.messages[0]["response"] == "utter_wallet_not_recognised"
    assert dispatcher.messages[0]["names"] == "支付宝、微信支付、京东钱包、Apple Pay"


async def test_the_wallet_forms_question_has_the_same_buttons(action_env: str) -> None:
    dispatcher = await say(ActionAskNamedWallet(), make_tracker("report_topup_failure", "充值失败"))
    assert dispatcher.messages[-1]["response"] == "utter_ask_wallet"
    assert [b["title"] for b in dispatcher.messages[-1]["buttons"]] == ["支付宝", "微信支付", "京东钱包", "Apple Pay"]


def test_any_wallet_named_answers_the_wallet_form_without_a_validation_call() -> None:
    """Naming 云闪付 must end the wallet question (else the user is asked "which of these four"
    forever), and the form must not call the action server to learn that (issue 15)."""
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert domain["forms"]["wallet_form"]["required_slots"] == ["named_wallet"]
    mapped = {m["entity"] for m in domain["slots"]["named_wallet"]["mappings"] if m["type"] == "from_entity"}
    assert mapped == {"wallet", "other_wallet"}
    assert "validate_wallet_form" not in domain["actions"]
