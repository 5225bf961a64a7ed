"""The dialogue users need inside a case: direct answers, demands, corrections, unknown wallets,
steps already taken and wrong numbers, on rasa_sdk trackers against the seeded store."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, cast

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.base import KnowledgeAction
from actions.case_actions import ActionRecordEarlierComplaint
from actions.info_actions import ActionGiveHotline
from actions.knowledge.store import KnowledgeStore, import_seed, make_engine, seed_fingerprint
from actions.problem_actions import ActionAnswerProblem, ActionGiveNextEscalationStep
from actions.question_actions import ActionAnswerPoliceQuestion, ActionAnswerSecretQuestion, ActionRecordDemand
from assistant_core.seed import load_seed
from tests.conftest import ROOT, given_markers, make_tracker, progress_slot, taken_items, user_event, write_seed

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


WRONG_NUMBER = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]["utter_wrong_number"]


def wrong_number_warnings(dispatcher: CollectingDispatcher) -> List[str]:
    """The wrong-number warnings as the user reads them: domain.yml's text filled with the action's values."""
    return [
        WRONG_NUMBER[0]["text"].format(**m) for m in dispatcher.messages if m.get("response") == "utter_wrong_number"
    ]


async def test_a_wrong_hotline_offered_by_the_user_is_corrected_with_the_verified_one(
    action_env: str, store: KnowledgeStore
) -> None:
    # 95017 is WeChat Pay's number: given for Alipay it is still wrong.
    tracker = make_tracker("ask_hotline", "支付宝客服电话是95017吗", slots={"wallet": "alipay"})
    dispatcher, _ = await run(ActionGiveHotline(), tracker)
    # Where the seed says 95188 comes from: the article today, maybe a page later.
    alipay = store.platform("alipay")
    assert alipay is not None
    source = next(s for s in store.sources() if s.key == alipay.provenance["hotline"].source)
    said = f"来源：{source.title}" if source.kind == "page" else "出自参考文章，还没在官网核实"
    assert wrong_number_warnings(dispatcher) == [
        f"⚠️ 你说的 95017 不是支付宝的客服电话。\n📞 支付宝客服电话：95188（{said}）。"
    ]
    assert source.kind == "page" or "核实过" not in wrong_number_warnings(dispatcher)[0]


async def test_a_wrong_jd_hotline_is_corrected_with_the_articles_number_said_unverified(
    action_env: str, store: KnowledgeStore
) -> None:
    tracker = make_tracker("ask_hotline", "京东钱包客服电话是400-123-4567吗", slots={"wallet": "jd_wallet"})
    dispatcher, _ = await run(ActionGiveHotline(), tracker)
    [warning] = wrong_number_warnings(dispatcher)
    assert warning.startswith("⚠️ 你说的 400-123-4567 不是京东钱包的客服电话。\n📞 京东钱包客服电话：400-606-5500")
    assert "出自参考文章，还没在官网核实" in warning
    jd = store.platform("jd_wallet")
    assert jd is not None and jd.hotline_note and jd.hotline_note in warning
    assert "核实过" not in warning and "别拨" not in warning


async def test_the_verified_hotline_offered_by_the_user_is_not_flagged(action_env: str) -> None:
    tracker = make_tracker("ask_hotline", "支付宝客服是95188吗", slots={"wallet": "alipay"})
    dispatcher, _ = await run(ActionGiveHotline(), tracker)
    assert "utter_wrong_number" not in responses(dispatcher)
    assert "95188" in texts(dispatcher)  # the answer itself is still given


@pytest.mark.parametrize(
    "text",
    [
        "银行卡被盗刷了，我已经打95588冻结了卡",
        "支付宝被盗刷了我已经打了95588把卡冻结了",  # the bank's line, already called
        "支付宝客服95100我已经打过了",  # already called, whatever the number
        "支付宝客服电话是95516吗",  # UnionPay
        "支付宝绑的信用卡中心400-820-5555能打吗",  # a card centre's line
        "支付宝的事打12345有用吗",  # government lines
        "支付宝被骗了要打110还是96110",
    ],
)
async def test_a_number_for_the_users_bank_a_government_line_or_already_called_is_never_warned_about(
    action_env: str, text: str
) -> None:
    tracker = make_tracker("report_fund_security", text, slots={"wallet": "alipay"})
    dispatcher, _ = await run(ActionAnswerProblem(), tracker)
    assert "utter_wrong_number" not in responses(dispatcher)
    assert "别拨" not in texts(dispatcher) and "不是支付宝的客服电话" not in texts(dispatcher)


class StoreNotToBeAsked:
    """A store whose every use fails the test."""

    def __getattr__(self, name: str) -> Any:
        raise AssertionError(f"the store was asked for {name}")


@pytest.mark.parametrize("text", ["支付宝充值没到账", "我已经打95588冻结了卡", "打12345投诉", "被盗刷了12000"])
def test_a_turn_without_a_number_to_check_does_not_query_the_store(text: str) -> None:
    dispatcher = CollectingDispatcher()
    store = cast(KnowledgeStore, StoreNotToBeAsked())
    KnowledgeAction._correct_numbers(dispatcher, make_tracker("report_fund_security", text), store)
    assert dispatcher.messages == []


def test_the_source_said_follows_the_seed_when_the_number_comes_from_a_page(tmp_path: Path) -> None:
    def alipay_hotline_from_its_help_page(data: Dict[str, Any]) -> None:
        alipay = next(p for p in data["platforms"] if p["key"] == "alipay")
        alipay["sources"]["hotline"]["source"] = "page_alipay_agreement"

    seed_path = write_seed(tmp_path, alipay_hotline_from_its_help_page)
    url = f"sqlite:///{tmp_path / 'knowledge.db'}"
    import_seed(make_engine(url), load_seed(seed_path), seed_fingerprint(seed_path))
    store = KnowledgeStore(make_engine(url))
    page = next(s for s in store.sources() if s.key == "page_alipay_agreement")
    dispatcher = CollectingDispatcher()
    KnowledgeAction._correct_numbers(dispatcher, make_tracker("ask_hotline", "支付宝的客服是95100对吧"), store)
    assert wrong_number_warnings(dispatcher) == [
        f"⚠️ 你说的 95100 不是支付宝的客服电话。\n📞 支付宝客服电话：95188（来源：{page.title}）。"
    ]
