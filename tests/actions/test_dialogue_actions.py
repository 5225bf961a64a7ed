"""The dialogue users need inside a case: direct answers, demands, corrections, unknown wallets,
steps already taken and wrong numbers, on rasa_sdk trackers against the seeded store."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk.executor import CollectingDispatcher

from actions.case_actions import ActionRecordEarlierComplaint
from actions.info_actions import ActionGiveHotline
from actions.knowledge.store import KnowledgeStore
from actions.problem_actions import ActionAnswerProblem, ActionGiveNextEscalationStep
from actions.question_actions import ActionAnswerPoliceQuestion, ActionAnswerSecretQuestion, ActionRecordDemand
from tests.conftest import given_markers, make_tracker, progress_slot, taken_items, user_event

HOTLINES = ("95188", "95017", "400-606-5500", "400-666-8800")


async def run(action: Any, tracker: Any) -> tuple[CollectingDispatcher, List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher, events


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def responses(dispatcher: CollectingDispatcher) -> List[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def slot(events: List[Dict[str, Any]], name: str) -> Any:
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == name]
    assert values, f"{name} not set in {events}"
    return values[-1]


# --- direct questions -------------------------------------------------------------------------


async def test_should_i_report_in_a_fraud_case_is_yes_with_110_and_the_step_counts_as_given(
    action_env: str,
) -> None:
    slots = {"wallet": "wechat_pay", "problem": "fund_security"}
    slots["case_progress"] = progress_slot("wechat_pay:fund_security:platform_support")
    history = [user_event("report_fund_security", "微信零钱被盗刷了")]
    dispatcher, events = await run(
        ActionAnswerPoliceQuestion(), make_tracker("ask_report_police", "需不需要报案", slots=slots, history=history)
    )
    assert responses(dispatcher) == ["utter_police_yes"]
    assert "110 / 96110" in texts(dispatcher) and "报警回执" in texts(dispatcher)
    assert "wechat_pay:fund_security:police" in given_markers(slot(events, "case_progress"))
    # The ladder then moves past the police step.
    slots["case_progress"] = slot(events, "case_progress")
    following, _ = await run(ActionGiveNextEscalationStep(), make_tracker("ask_next_step", "还是不行", slots=slots))
    assert "找上级或投诉部门" in texts(following) and "🪜 第 2 步" not in texts(following)


async def test_should_i_report_a_topup_failure_says_when_police_is_the_way(
    action_env: str, store: KnowledgeStore
) -> None:
    history = [user_event("report_topup_failure", "支付宝充值没到账")]
    tracker = make_tracker("ask_report_police", "要报警吗", slots={"wallet": "alipay"}, history=history)
    dispatcher, events = await run(ActionAnswerPoliceQuestion(), tracker)
    assert store.notice("police_if_defrauded") in texts(dispatcher)
    assert "110 / 96110" in texts(dispatcher) and responses(dispatcher) == []
    assert events == []


async def test_may_i_send_my_code_is_never_to_anyone_this_assistant_included(
    action_env: str, store: KnowledgeStore
) -> None:
    dispatcher, _ = await run(ActionAnswerSecretQuestion(), make_tracker("ask_share_secret", "验证码要发给你吗"))
    answer = texts(dispatcher)
    assert answer == store.notice("never_share_secrets")
    assert "也不要发给我" in answer


async def test_a_demand_is_acknowledged_in_the_letters_words_and_kept(action_env: str) -> None:
    entities = [{"entity": "demand", "value": "refund"}, {"entity": "demand", "value": "compensation"}]
    tracker = make_tracker("state_demand", "只想把钱退回来，还要赔偿", slots={"wallet": "alipay"}, entities=entities)
    dispatcher, events = await run(ActionRecordDemand(), tracker)
    assert responses(dispatcher) == ["utter_demand_recorded"]
    assert dispatcher.messages[0]["demands"] == "退还相关款项；赔偿由此给我造成的损失"
    assert slot(events, "demand") == ["refund", "compensation"]


async def test_a_demand_not_understood_is_asked_with_the_buttons(action_env: str) -> None:
    dispatcher, events = await run(ActionRecordDemand(), make_tracker("state_demand", "我要个说法"))
    assert responses(dispatcher) == ["utter_ask_demand"] and events == []


# --- wallets ----------------------------------------------------------------------------------


async def test_a_wallet_correction_answers_for_the_corrected_wallet(action_env: str) -> None:
    slots = {
        "wallet": "jd_wallet",
        "problem": "topup_failure",
        "case_progress": progress_slot("alipay:topup_failure:platform_support"),
    }
    # As the NLU gives it: the wallet taken back first, with its role, then the one meant.
    entities = [{"entity": "wallet", "value": "alipay", "role": "negated"}, {"entity": "wallet", "value": "jd_wallet"}]
    tracker = make_tracker("inform", "不是支付宝，是京东的", slots=slots, entities=entities)
    dispatcher, events = await run(ActionAnswerProblem(), tracker)
    assert "400-606-5500" in texts(dispatcher) and "95188" not in texts(dispatcher)
    assert "jd_wallet:topup_failure:platform_support" in given_markers(slot(events, "case_progress"))


async def test_a_wallet_without_verified_facts_is_said_plainly_with_what_holds_for_any_wallet(
    action_env: str, store: KnowledgeStore
) -> None:
    entities = [{"entity": "other_wallet", "value": "云闪付"}]
    slots = {"other_wallet": "云闪付"}
    tracker = make_tracker("report_fund_security", "云闪付被盗刷了", entities=entities, slots=slots)
    dispatcher, events = await run(ActionAnswerProblem(), tracker)
    answer = texts(dispatcher)
    no_facts = [m for m in dispatcher.messages if m.get("response") == "utter_no_verified_facts"]
    assert no_facts and no_facts[0]["wallet"] == "云闪付"
    assert store.notice("other_wallet_route") in answer
    assert not any(hotline in answer for hotline in HOTLINES)  # no number the seed can't source for it
    assert "110" in answer and "证据清单" in answer and "钱包平台的官方客服" in answer
    assert slot(events, "wallet") is None


async def test_naming_a_seeded_wallet_after_an_unknown_one_clears_it(action_env: str) -> None:
    slots = {"other_wallet": "云闪付", "wallet": "alipay", "problem": "topup_failure"}
    tracker = make_tracker("inform", "支付宝", slots=slots, entities=[{"entity": "wallet", "value": "alipay"}])
    dispatcher, events = await run(ActionAnswerProblem(), tracker)
    assert "95188" in texts(dispatcher) and slot(events, "other_wallet") is None


# --- steps already taken, wrong numbers -------------------------------------------------------


def alipay_fraud_case_at_platform_support() -> Dict[str, Any]:
    """Slots of an Alipay fund-security case whose first step (the platform's support) was given."""
    return {
        "wallet": "alipay",
        "problem": "fund_security",
        "case_progress": progress_slot("alipay:fund_security:platform_support"),
    }


async def test_a_step_said_done_in_the_report_is_never_offered(action_env: str) -> None:
    slots = {"wallet": "wechat_pay"}
    tracker = make_tracker("report_fund_security", "微信零钱被盗刷了，已经报警了", slots=slots)
    first, events = await run(ActionAnswerProblem(), tracker)
    assert "🪜 第一步：马上冻结账户和银行卡" in texts(first)  # first aid still comes first
    progress = slot(events, "case_progress")
    assert [t["step"] for t in taken_items(progress)] == ["police"]
    slots.update(problem="fund_security", case_progress=progress)
    following, _ = await run(ActionGiveNextEscalationStep(), make_tracker("ask_next_step", "还是不行", slots=slots))
    assert "🪜 第 3 步（共 5 步）：找上级或投诉部门" in texts(following)


async def test_a_step_said_done_in_a_what_next_question_is_skipped(action_env: str) -> None:
    slots = alipay_fraud_case_at_platform_support()
    tracker = make_tracker("ask_next_step", "派出所已经去过了，接下来呢", slots=slots)
    dispatcher, events = await run(ActionGiveNextEscalationStep(), tracker)
    assert "找上级或投诉部门" in texts(dispatcher) and "🪜 第 2 步" not in texts(dispatcher)
    assert [t["step"] for t in taken_items(slot(events, "case_progress"))] == ["police"]


async def test_a_question_about_a_step_is_not_taken_for_having_done_it(action_env: str) -> None:
    tracker = make_tracker("report_fund_security", "微信被盗刷了，要不要报警", slots={"wallet": "wechat_pay"})
    _, events = await run(ActionAnswerProblem(), tracker)
    assert taken_items(slot(events, "case_progress")) == []


async def test_the_police_station_visited_counts_as_the_police_step_taken(action_env: str) -> None:
    slots = alipay_fraud_case_at_platform_support()
    tracker = make_tracker("report_already_complained", "派出所已经去过了", slots=slots)
    dispatcher, events = await run(ActionRecordEarlierComplaint(), tracker)
    assert "「报警」" in texts(dispatcher) and "找上级或投诉部门" in texts(dispatcher)
    assert [t["step"] for t in taken_items(slot(events, "case_progress"))] == ["police"]


async def test_a_wrong_hotline_offered_by_the_user_is_corrected_with_the_verified_one(action_env: str) -> None:
    tracker = make_tracker("ask_hotline", "支付宝客服电话是95100吗", slots={"wallet": "alipay"})
    dispatcher, _ = await run(ActionGiveHotline(), tracker)
    wrong = [m for m in dispatcher.messages if m.get("response") == "utter_wrong_number"]
    assert wrong and wrong[0]["number"] == "95100" and "95188" in wrong[0]["right"]


async def test_the_verified_hotline_offered_by_the_user_is_not_flagged(action_env: str) -> None:
    tracker = make_tracker("ask_hotline", "支付宝客服是95188吗", slots={"wallet": "alipay"})
    dispatcher, _ = await run(ActionGiveHotline(), tracker)
    assert "utter_wrong_number" not in responses(dispatcher)
