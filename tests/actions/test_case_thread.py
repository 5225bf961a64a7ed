"""Keeping the thread of an open case: unclear messages, several steps done at once, questions inside a case."""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from rasa_sdk.executor import CollectingDispatcher

from actions.case_actions import ActionRecordEarlierComplaint
from actions.info_actions import ActionAnswerLegalRights, ActionGiveHotline
from actions.knowledge.store import KnowledgeStore
from actions.question_actions import ActionAnswerSecretQuestion
from actions.unclear_actions import ActionHandleUnclear
from tests.conftest import make_tracker, progress_slot, taken_items, user_event

RESTART = "utter_ask_which_problem"


def alipay_top_up_case(**extra: Any) -> Dict[str, Any]:
    """An open case: Alipay, top-up failure, the first step given."""
    return {
        "wallet": "alipay",
        "problem": "topup_failure",
        "case_progress": progress_slot("alipay:topup_failure:platform_support"),
        **extra,
    }


async def unclear(
    text: str, slots: Optional[Dict[str, Any]] = None, entities: Optional[List[Dict[str, Any]]] = None
) -> tuple[CollectingDispatcher, List[Dict[str, Any]]]:
    history = [user_event("report_topup_failure", "支付宝充值扣了钱没到账")] if slots else []
    tracker = make_tracker("nlu_fallback", text, slots=slots, entities=entities, history=history)
    dispatcher = CollectingDispatcher()
    events = await ActionHandleUnclear().run(dispatcher, tracker, {})
    return dispatcher, events


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("response") or "" for m in dispatcher.messages]


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


async def test_outside_a_case_the_three_problem_buttons_stay(action_env: str) -> None:
    dispatcher, _ = await unclear("嗯……那个")
    assert responses(dispatcher) == [RESTART]


async def test_inside_a_case_the_question_is_about_this_case_with_its_buttons(action_env: str) -> None:
    dispatcher, _ = await unclear("emmm 咋整啊这个", alipay_top_up_case())
    assert RESTART not in responses(dispatcher)
    [asked] = [m for m in dispatcher.messages if m.get("response") == "utter_case_unclear"]
    assert asked["case"] == "支付宝 · 充值失败"


async def test_thanks_and_goodbye_in_any_language_are_answered_inside_a_case(action_env: str) -> None:
    for text, response in (("thx bro", "utter_you_are_welcome"), ("ok bye", "utter_goodbye"), ("886", "utter_goodbye")):
        dispatcher, _ = await unclear(text, alipay_top_up_case())
        assert responses(dispatcher) == [response], text


async def test_a_pasted_code_gets_the_warning_first(action_env: str, store: KnowledgeStore) -> None:
    dispatcher, _ = await unclear("验证码是******你看下", alipay_top_up_case())
    assert dispatcher.messages[0].get("text") == store.notice("fraud_warning")
    assert RESTART not in responses(dispatcher)


async def test_a_pasted_password_gets_the_warning_first(action_env: str, store: KnowledgeStore) -> None:
    dispatcher, _ = await unclear("支付密码***要不要给你", alipay_top_up_case())
    assert dispatcher.messages[0].get("text") == store.notice("fraud_warning")


async def test_a_pasted_card_number_gets_the_never_share_notice_first(action_env: str, store: KnowledgeStore) -> None:
    dispatcher, _ = await unclear("卡6222***********0128 就这张", alipay_top_up_case())
    assert dispatcher.messages[0].get("text") == store.notice("never_share_secrets")
    assert "utter_case_unclear" in responses(dispatcher)  # and the case goes on


async def test_steps_said_done_are_recorded_and_the_next_step_given(action_env: str) -> None:
    dispatcher, events = await unclear("主管那边也已经找过了，没用", alipay_top_up_case())
    assert "记下了" in texts(dispatcher) and "找上级或投诉部门" in texts(dispatcher)
    progress = next(e["value"] for e in events if e.get("name") == "case_progress")
    assert [t["step"] for t in taken_items(progress)] == ["supervisor"]
    assert RESTART not in responses(dispatcher)


async def test_a_wallet_named_switches_the_case(action_env: str) -> None:
    wechat = [{"entity": "wallet", "value": "wechat_pay", "start": 3, "end": 5}]
    # Rasa's slot mapping has already put the named wallet in the slot when the action runs.
    dispatcher, _ = await unclear("不对是wx的", alipay_top_up_case(wallet="wechat_pay"), entities=wechat)
    assert "95017" in texts(dispatcher) and RESTART not in responses(dispatcher)


async def test_several_steps_said_done_in_one_message_all_count_as_taken(action_env: str) -> None:
    tracker = make_tracker(
        "report_already_complained",
        "客服打了，主管也找了，12315也投诉了，都没用",
        slots=alipay_top_up_case(),
        history=[user_event("report_topup_failure", "支付宝充值扣了钱没到账")],
    )
    dispatcher = CollectingDispatcher()
    events = await ActionRecordEarlierComplaint().run(dispatcher, tracker, {})
    progress = next(e["value"] for e in events if e.get("name") == "case_progress")
    assert sorted(t["step"] for t in taken_items(progress)) == ["platform_support", "regulator_12315", "supervisor"]
    assert "12363" in texts(dispatcher)  # the next step is the first neither taken nor given


async def test_suing_asked_inside_a_case_gets_its_legal_route_with_the_note(
    action_env: str, store: KnowledgeStore
) -> None:
    tracker = make_tracker("ask_legal_rights", "这种情况我能起诉吗", slots=alipay_top_up_case())
    dispatcher = CollectingDispatcher()
    await ActionAnswerLegalRights().run(dispatcher, tracker, {})
    assert "📌 走法律途径" in texts(dispatcher) and "12348" in texts(dispatcher)
    assert store.notice("legal_disclaimer") in texts(dispatcher)
    # Outside a case: the consumer-rights points, as before.
    dispatcher = CollectingDispatcher()
    await ActionAnswerLegalRights().run(dispatcher, make_tracker("ask_legal_rights", "我能起诉吗"), {})
    assert "走法律途径" not in texts(dispatcher) and "消费者权益保护法" in texts(dispatcher)


async def test_the_number_of_a_wallet_without_facts_is_never_another_wallets_list(action_env: str) -> None:
    unionpay = [{"entity": "other_wallet", "value": "云闪付", "start": 0, "end": 3}]
    tracker = make_tracker("ask_hotline", "云闪付客服电话多少", slots=alipay_top_up_case(), entities=unionpay)
    dispatcher = CollectingDispatcher()
    await ActionGiveHotline().run(dispatcher, tracker, {})
    assert responses(dispatcher)[0] == "utter_no_verified_facts" and dispatcher.messages[0]["wallet"] == "云闪付"
    assert "95188" not in texts(dispatcher) and "95017" not in texts(dispatcher)


async def test_asked_whether_to_change_the_password_the_answer_is_yes_and_where(
    action_env: str, store: KnowledgeStore
) -> None:
    tracker = make_tracker("ask_share_secret", "要不要改一下支付密码", slots=alipay_top_up_case())
    dispatcher = CollectingDispatcher()
    await ActionAnswerSecretQuestion().run(dispatcher, tracker, {})
    assert [m.get("text") for m in dispatcher.messages] == [
        store.notice("change_password"),
        store.notice("never_share_secrets"),
    ]
    dispatcher = CollectingDispatcher()
    await ActionAnswerSecretQuestion().run(dispatcher, make_tracker("ask_share_secret", "验证码要发给你吗"), {})
    assert [m.get("text") for m in dispatcher.messages] == [store.notice("never_share_secrets")]
