"""Problem answers and the escalation ladder, on rasa_sdk trackers with a CollectingDispatcher."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk.executor import CollectingDispatcher

from actions.knowledge.store import KnowledgeStore
from actions.problem_actions import ActionAnswerProblem, ActionGiveNextEscalationStep
from assistant_core.apology import service_unavailable_text
from tests.conftest import given_markers, make_tracker, progress_slot, user_event


def texts(dispatcher: CollectingDispatcher) -> str:
    return "\n".join(m.get("text") or "" for m in dispatcher.messages)


def slot_value(events: List[Dict[str, Any]], slot: str) -> Any:
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == slot]
    assert values, f"slot {slot} not set in {events}"
    return values[-1]


async def run(action: Any, tracker: Any) -> tuple[CollectingDispatcher, List[Dict[str, Any]]]:
    dispatcher = CollectingDispatcher()
    events = await action.run(dispatcher, tracker, {})
    return dispatcher, events


async def test_topup_failure_alipay_gives_checks_then_hotline_evidence_and_first_step(action_env: str) -> None:
    tracker = make_tracker("report_topup_failure", "我用支付宝充值失败了", slots={"wallet": "alipay"})
    dispatcher, events = await run(ActionAnswerProblem(), tracker)
    answer = texts(dispatcher)
    assert dispatcher.messages[0]["text"].startswith("充值没成功") or "先自查" in dispatcher.messages[0]["text"]
    assert "网络" in dispatcher.messages[0]["text"]
    assert "95188" in answer
    assert "证据清单" in answer and "1. " in answer
    assert "第一步" in answer
    assert slot_value(events, "problem") == "topup_failure"
    assert given_markers(slot_value(events, "case_progress")) == ["alipay:topup_failure:platform_support"]
    # the order a user reads: self-checks first, contact before evidence, the step after.
    assert answer.index("先自查") < answer.index("95188") < answer.index("证据清单") < answer.index("第一步")


async def test_fund_security_starts_with_urgent_steps_and_ends_with_prevention(action_env: str) -> None:
    tracker = make_tracker("report_fund_security", "微信零钱被盗刷了", slots={"wallet": "wechat_pay"})
    dispatcher, _ = await run(ActionAnswerProblem(), tracker)
    first, last = dispatcher.messages[0]["text"], dispatcher.messages[-1]["text"]
    assert "马上" in first and ("110" in first or "96110" in first)
    assert "95017" in texts(dispatcher)
    assert "防范" in last and "密码" in last


async def test_urgent_steps_are_not_repeated_after_the_wallet_question(action_env: str) -> None:
    history = [user_event("report_fund_security", "钱被盗刷了")]
    tracker = make_tracker("inform", "微信", slots={"wallet": "wechat_pay"}, history=history)
    dispatcher, _ = await run(ActionAnswerProblem(), tracker)
    assert "请马上做这几件事" not in texts(dispatcher)
    assert "95017" in texts(dispatcher) and "防范" in texts(dispatcher)


async def test_wallet_specific_evidence_is_listed_for_that_wallet_only(action_env: str, store: KnowledgeStore) -> None:
    specific = [e.text for e in store.evidence_checklist("topup_failure", "wechat_pay") if e.platform_key]
    assert specific, "the seed has WeChat-specific evidence"
    wechat, _ = await run(ActionAnswerProblem(), make_tracker("report_topup_failure", slots={"wallet": "wechat_pay"}))
    alipay, _ = await run(ActionAnswerProblem(), make_tracker("report_topup_failure", slots={"wallet": "alipay"}))
    assert specific[0] in texts(wechat)
    assert specific[0] not in texts(alipay)


async def test_unknown_wallet_answer_lists_every_hotline(action_env: str) -> None:
    dispatcher, _ = await run(ActionAnswerProblem(), make_tracker("report_topup_failure"))
    answer = texts(dispatcher)
    for hotline in ("95188", "95017", "400-606-5500", "400-666-8800"):
        assert hotline in answer


async def test_a_wallet_alias_in_a_hand_written_payload_gets_that_wallets_hotline_only(action_env: str) -> None:
    # /inform{"wallet":"京东"} skips the NLU; with no validation call in the wallet form, the
    # answer itself must read the alias as 京东钱包 and not list every wallet's number.
    tracker = make_tracker("report_topup_failure", "充值失败", slots={"wallet": "京东"})
    dispatcher, _ = await run(ActionAnswerProblem(), tracker)
    answer = texts(dispatcher)
    assert "400-606-5500" in answer
    assert "95188" not in answer and "95017" not in answer


async def test_full_ladder_gives_every_step_once_then_sums_up(action_env: str, store: KnowledgeStore) -> None:
    ladder = store.escalation_ladder("topup_failure")
    slots: Dict[str, Any] = {"wallet": "alipay", "problem": "topup_failure"}
    _, events = await run(ActionAnswerProblem(), make_tracker("report_topup_failure", slots=slots))
    slots["case_progress"] = slot_value(events, "case_progress")
    seen_titles = [ladder[0].title]
    for expected in ladder[1:]:
        dispatcher, events = await run(
            ActionGiveNextEscalationStep(), make_tracker("ask_next_step", "还是不行", slots=slots)
        )
        text = texts(dispatcher)
        assert expected.title in text, f"expected step {expected.position}: {expected.title}"
        assert f"第 {expected.position} 步" in text
        seen_titles.append(expected.title)
        slots["case_progress"] = slot_value(events, "case_progress")
    assert len(set(seen_titles)) == len(ladder)
    dispatcher, events = await run(ActionGiveNextEscalationStep(), make_tracker("ask_next_step", slots=slots))
    summary = texts(dispatcher)
    assert events == []
    assert store.notice("ladder_exhausted") in summary
    assert all(step.title in summary for step in ladder)
    assert store.notice("legal_disclaimer") in summary


async def test_legal_step_carries_the_not_legal_advice_note(action_env: str, store: KnowledgeStore) -> None:
    ladder = store.escalation_ladder("support_unresponsive")
    legal = [s for s in ladder if s.legal]
    assert legal
    given = [f"jd_wallet:support_unresponsive:{s.key}" for s in ladder if s.position < legal[0].position]
    slots = {"wallet": "jd_wallet", "problem": "support_unresponsive", "case_progress": progress_slot(*given)}
    dispatcher, _ = await run(ActionGiveNextEscalationStep(), make_tracker("ask_next_step", slots=slots))
    assert legal[0].title in texts(dispatcher)
    assert store.notice("legal_disclaimer") in texts(dispatcher)


async def test_support_unresponsive_during_a_case_climbs_that_case_ladder(
    action_env: str, store: KnowledgeStore
) -> None:
    second = store.escalation_ladder("topup_failure")[1]
    slots = {
        "wallet": "alipay",
        "problem": "topup_failure",
        "case_progress": progress_slot("alipay:topup_failure:platform_support"),
    }
    dispatcher, events = await run(
        ActionAnswerProblem(), make_tracker("report_support_unresponsive", "客服还是不处理", slots=slots)
    )
    assert second.title in texts(dispatcher)
    assert "证据清单" not in texts(dispatcher)
    assert "alipay:topup_failure:" + second.key in given_markers(slot_value(events, "case_progress"))


async def test_wallet_switch_starts_the_new_wallet_case_at_its_first_step(action_env: str) -> None:
    slots = {
        "wallet": "wechat_pay",
        "problem": "topup_failure",
        "case_progress": progress_slot("alipay:topup_failure:platform_support", "alipay:topup_failure:supervisor"),
    }
    dispatcher, events = await run(ActionAnswerProblem(), make_tracker("inform", "那微信呢", slots=slots))
    assert "95017" in texts(dispatcher) and "第一步" in texts(dispatcher)
    given = given_markers(slot_value(events, "case_progress"))
    assert "wechat_pay:topup_failure:platform_support" in given
    assert "alipay:topup_failure:supervisor" in given  # the Alipay case is still remembered


async def test_next_step_without_a_problem_asks_which_problem(action_env: str) -> None:
    dispatcher, events = await run(ActionGiveNextEscalationStep(), make_tracker("ask_next_step", "下一步呢"))
    assert dispatcher.messages[0]["response"] == "utter_ask_which_problem"
    assert events == []


async def test_store_down_gives_the_apology_with_every_hotline(monkeypatch, tmp_path) -> None:
    from actions import base

    monkeypatch.setenv("KNOWLEDGE_DB_URL", f"sqlite:///{tmp_path / 'empty.db'}")
    base.knowledge_store.cache_clear()
    service_unavailable_text.cache_clear()
    try:
        dispatcher, events = await run(
            ActionAnswerProblem(), make_tracker("report_topup_failure", slots={"wallet": "alipay"})
        )
    finally:
        base.knowledge_store.cache_clear()
    answer = texts(dispatcher)
    assert events == []
    assert "抱歉" in answer
    for hotline in ("95188", "95017", "400-606-5500", "400-666-8800"):
        assert hotline in answer


async def test_store_calls_run_off_the_event_loop_when_threads_are_chosen(action_env: str, monkeypatch) -> None:
    """With STORE_CALLS=threads (auto's choice for PostgreSQL) the store's blocking SQL runs in the
    store's threads, so other users' turns keep being served."""
    import threading

    from actions import base

    monkeypatch.setenv("STORE_CALLS", "threads")  # action_env clears the cached choice before and after

    seen: List[str] = []
    real = base.knowledge_store()

    class RecordingStore:
        def __getattr__(self, name: str) -> Any:
            seen.append(threading.current_thread().name)
            return getattr(real, name)

    monkeypatch.setattr(ActionAnswerProblem, "store_factory", staticmethod(lambda: RecordingStore()))
    tracker = make_tracker("report_topup_failure", "支付宝充值失败", slots={"wallet": "alipay"})
    dispatcher, _ = await run(ActionAnswerProblem(), tracker)
    assert "95188" in texts(dispatcher)
    assert seen and all(name.startswith("knowledge-store") for name in seen)
