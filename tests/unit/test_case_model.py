"""The case as one model: its slot codec and its ladder methods, on the seeded ladders."""

from __future__ import annotations

import datetime as dt

from actions.case import Case
from actions.knowledge.store import KnowledgeStore
from assistant_core import case_progress
from assistant_core.case_progress import LadderProgress
from assistant_core.records import STEP_OUTCOME_WAITING, StepTried


def test_the_slot_codec_round_trips_every_case_of_a_conversation() -> None:
    cases = {
        "alipay/topup_failure": LadderProgress(
            ("platform_support", "supervisor"),
            (StepTried("platform_support", dt.date(2026, 11, 25), "T20241118007", STEP_OUTCOME_WAITING),),
        ),
        "any/fund_security": LadderProgress(("card_freeze",)),
    }
    assert case_progress.decode(case_progress.encode(cases)) == cases


def test_an_unknown_slot_form_reads_as_no_progress_so_no_step_is_skipped() -> None:
    old_markers = ["alipay:topup_failure:platform_support"]  # the form before the codec
    assert case_progress.decode(old_markers) == {}
    assert case_progress.decode({"v": 99, "cases": {"alipay/topup_failure": {"given": ["x"]}}}) == {}


def test_a_step_the_user_took_is_never_offered_again_and_the_steps_below_count_as_given(
    store: KnowledgeStore,
) -> None:
    ladder = store.escalation_ladder("fund_security", "wechat_pay")
    police = next(step for step in ladder if step.key == "police")
    case = Case("rest:u1", "fund_security", "wechat_pay").with_given(ladder[0])
    after = case.with_taken(StepTried("police"), ladder)
    assert after.reached(ladder) == police
    assert {s.key for s in ladder if s.position <= police.position} <= set(after.progress.given)
    following = after.next_step(ladder)
    assert following is not None and following.position == police.position + 1


def test_a_case_switched_to_another_wallet_starts_its_own_ladder(store: KnowledgeStore) -> None:
    ladder = store.escalation_ladder("topup_failure", "alipay")
    alipay = Case("rest:u1", "topup_failure", "alipay").with_given(ladder[0]).with_given(ladder[1])
    jd = Case("rest:u1", "topup_failure", "jd_wallet", progress=LadderProgress())
    assert alipay.next_step(ladder) == ladder[2]
    assert jd.next_step(store.escalation_ladder("topup_failure", "jd_wallet")) == ladder[0]
    assert alipay.key != jd.key


def test_the_letter_lists_steps_taken_as_told_and_steps_given_below_the_one_reached(store: KnowledgeStore) -> None:
    ladder = store.escalation_ladder("topup_failure", "alipay")
    told = StepTried("platform_support", dt.date(2026, 11, 18), "T1")
    case = Case("rest:u1", "topup_failure", "alipay").with_taken(told, ladder).with_given(ladder[1])
    assert case.steps_for_letter(ladder) == (told,)
    record = case.record(ladder)
    assert (record.step_reached, record.ticket_ids, record.steps_tried) == (ladder[1].key, ("T1",), (told,))
