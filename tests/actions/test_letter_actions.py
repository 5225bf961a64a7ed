"""The complaint letter, the letter form and earlier complaints, on rasa_sdk trackers against a seeded store."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any, Dict, List, Optional

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions.case_actions import ActionRecordEarlierComplaint
from actions.case_store import CaseStore
from actions.knowledge.store import KnowledgeStore
from actions.letter_actions import (
    ActionWriteComplaintLetter,
    ValidateComplaintLetterForm,
)
from assistant_core.seed import DEMAND_KEYS
from tests.conftest import ROOT, given_markers, make_tracker, progress_slot, taken_items, user_event

TODAY = dt.datetime(2026, 11, 25, 6, 30, tzinfo=dt.timezone.utc)  # 14:30 in Beijing, a Wednesday
ORDER_ID = "2024110322001412345678"


@pytest.fixture(autouse=True)
def fixed_clock(monkeypatch: pytest.MonkeyPatch) -> None:
    for action in (ActionWriteComplaintLetter, ActionRecordEarlierComplaint):
        monkeypatch.setattr(action, "clock", staticmethod(lambda: TODAY))


def texts(dispatcher: CollectingDispatcher) -> List[str]:
    return [m.get("text") or "" for m in dispatcher.messages]


def slot_value(events: List[Dict[str, Any]], slot: str) -> Any:
    values = [e["value"] for e in events if e.get("event") == "slot" and e.get("name") == slot]
    assert values, f"slot {slot} not set in {events}"
    return values[-1]


def case_slots(wallet: str = "alipay", problem: str = "topup_failure", **extra: Any) -> Dict[str, Any]:
    return {
        "wallet": wallet,
        "problem": problem,
        "amount": "500.00 CNY",
        "incident_time": "2026-11-03T20:00",
        "order_id": ORDER_ID,
        "demand": ["refund", "investigate"],
        **extra,
    }


def markers(wallet: str, problem: str, *steps: str) -> List[str]:
    return [f"{wallet}:{problem}:{step}" for step in steps]


def progress(wallet: str, problem: str, *steps: str) -> Dict[str, Any]:
    return progress_slot(*markers(wallet, problem, *steps))


async def write_letter(
    slots: Dict[str, Any],
    report: Optional[str] = None,
    intent: str = "report_topup_failure",
    more: tuple[tuple[str, str], ...] = (),
) -> List[str]:
    """The texts of the letter turn; `report` (with `intent`) and `more` (intent, text) are earlier messages."""
    history = [user_event(intent, report)] if report else []
    history += [user_event(i, t) for i, t in more]
    tracker = make_tracker("request_complaint_letter", "帮我写投诉信", slots=slots, history=history)
    dispatcher = CollectingDispatcher()
    assert await ActionWriteComplaintLetter().run(dispatcher, tracker, {}) == []
    return texts(dispatcher)


async def test_letter_has_every_field_of_the_case_and_the_evidence_as_attachments(
    action_env: str, store: KnowledgeStore
) -> None:
    report = "我11月3号晚上用支付宝充了500元话费，钱扣了一直没到账"
    cover, letter, come_back, disclaimer = await write_letter(
        case_slots(
            ticket_ids=["T20241118007"],
            case_progress=progress("alipay", "topup_failure", "platform_support", "supervisor"),
        ),
        report,
    )
    assert "支付宝（中国）网络技术有限公司客户投诉部门" in cover and "95188" in cover
    assert letter.startswith("关于支付宝充值失败问题的投诉\n尊敬的支付宝（中国）网络技术有限公司客户投诉部门：")
    for fact in (
        "2026年11月3日 20:00",
        "被扣款500.00元",
        ORDER_ID,
        "T20241118007",
        "1. 退还相关款项",
        "2. 查明原因，并书面告知调查和处理结果",
        f"「{report}」",
        "联系平台客服（支付宝 95188）：没有解决",
        "请尽快核实处理",
        "2026年11月25日",
    ):
        assert fact in letter, fact
    attachments = letter.split("【附件：证据清单】\n", 1)[1]
    for item in store.evidence_checklist("topup_failure", "alipay"):
        assert item.text in attachments
    assert "\n\n" not in letter, "one message on every channel: no blank lines"
    assert "2026年12月2日（周三）" in come_back and "还是不行" in come_back
    assert disclaimer == f"⚖️ {store.notice('legal_disclaimer')}"
    assert "不是官方时限" in come_back


@pytest.mark.parametrize(
    ("wallet", "problem", "given", "addressee", "not_in_letter"),
    [
        ("alipay", "topup_failure", (), "支付宝（中国）网络技术有限公司客户投诉部门", "12315"),
        (
            "wechat_pay",
            "topup_failure",
            ("platform_support", "supervisor"),
            "财付通支付科技有限公司客户投诉部门",
            "12363",
        ),
        ("jd_wallet", "topup_failure", ("platform_support", "supervisor", "regulator_12315"), "全国12315平台", "12363"),
        (
            "alipay",
            "support_unresponsive",
            ("platform_support", "supervisor", "regulator_12315", "regulator_12363"),
            "12363",
            "12315平台",
        ),
        (
            "alipay",
            "topup_failure",
            ("platform_support", "supervisor", "regulator_12315", "regulator_12363", "legal_route"),
            "律师、公共法律服务机构或人民调解组织",
            "12363",
        ),
        (
            "apple_pay",
            "topup_failure",
            ("card_issuer", "bank_supervisor", "regulator_12315", "regulator_bank", "legal_route"),
            "律师、公共法律服务机构或人民调解组织",
            "12363",
        ),
        ("wechat_pay", "fund_security", ("platform_support", "police"), "财付通支付科技有限公司客户投诉部门", "12363"),
        (
            "wechat_pay",
            "fund_security",
            ("platform_support", "police", "supervisor", "regulator_12363"),
            "12363",
            "12315",
        ),
    ],
)
async def test_the_step_reached_chooses_the_addressee(
    action_env: str, wallet: str, problem: str, given: tuple, addressee: str, not_in_letter: str
) -> None:
    cover, letter, *_ = await write_letter(case_slots(wallet, problem, case_progress=progress(wallet, problem, *given)))
    assert addressee in cover and addressee in letter.splitlines()[1]
    assert not_in_letter not in letter.splitlines()[1]


async def test_apple_pay_fraud_letters_go_to_the_issuing_bank_never_to_apple(action_env: str) -> None:
    given = markers("apple_pay", "fund_security", "card_issuer", "police", "bank_supervisor", "regulator_bank")
    cover, letter, *_ = await write_letter(
        case_slots("apple_pay", "fund_security", case_progress=progress_slot(*given))
    )
    assert "收信方：国家金融监督管理总局（12378）" in cover
    assert "被投诉机构：为我的Apple Pay绑定银行卡的发卡银行（请填写银行名称）" in letter
    first = markers("apple_pay", "fund_security", "card_issuer")
    cover, letter, *_ = await write_letter(
        case_slots("apple_pay", "fund_security", case_progress=progress_slot(*first))
    )
    assert "收信方：为我的Apple Pay绑定银行卡的发卡银行（请填写银行名称）客户投诉部门" in cover
    assert "400-666-8800" not in cover + letter and "Apple Pay的运营公司" not in letter


async def test_apple_pay_police_and_top_up_letters_go_to_the_bank(action_env: str) -> None:
    police = markers("apple_pay", "fund_security", "card_issuer", "police")
    cover, letter, *_ = await write_letter(
        case_slots("apple_pay", "fund_security", case_progress=progress_slot(*police))
    )
    assert "收信方：为我的Apple Pay绑定银行卡的发卡银行（请填写银行名称）客户投诉部门" in cover
    assert "发卡银行的官方客服电话" in cover and "400-666-8800" not in cover + letter
    top_up = markers("apple_pay", "topup_failure", "card_issuer")
    cover, letter, *_ = await write_letter(
        case_slots("apple_pay", "topup_failure", case_progress=progress_slot(*top_up))
    )
    assert "发卡银行" in cover and "400-666-8800" not in cover + letter and "Apple Pay客服" not in cover + letter


@pytest.mark.parametrize(
    ("report", "said", "never"),
    [
        ("我被骗子骗了，自己把3000块转过去了", "我受骗后通过微信支付向对方转账或付款", "未经我本人授权"),
        ("微信零钱被盗刷了，不是我操作的", "发生了未经我本人授权的交易", "受骗后"),
        ("微信钱包里的钱少了好多", "我在使用微信支付时遭受资金损失", "未经我本人授权"),
        # Both said: the letter does not pick one for the user.
        ("被骗子骗了验证码，然后账户被盗刷", "我在使用微信支付时遭受资金损失", "未经我本人授权"),
    ],
)
async def test_a_fraud_letter_states_what_the_user_said_happened(
    action_env: str, report: str, said: str, never: str
) -> None:
    slots = case_slots("wechat_pay", "fund_security", case_progress=progress("wechat_pay", "fund_security", "police"))
    _, letter, *_ = await write_letter(slots, report, intent="report_fund_security")
    facts = next(line for line in letter.splitlines() if line.startswith("【事情经过】"))
    assert said in facts and never not in letter


async def test_the_story_is_the_users_own_messages_masked_and_the_user_is_told_to_check_it(action_env: str) -> None:
    more = (
        ("inform", "我是11月3号晚上八点在便利店付的款，卡号6222021234567890128"),
        ("greet", "你好"),
        ("inform", "500"),
    )
    cover, letter, *_ = await write_letter(case_slots(), "支付宝充话费扣了钱没到账", more=more)
    story = next(line for line in letter.splitlines() if line.startswith("（我的原话）"))
    assert story.startswith("（我的原话）「支付宝充话费扣了钱没到账」「我是11月3号晚上八点在便利店付的款，卡号6222")
    assert "6222021234567890128" not in letter and "「你好」" not in story and "「500」" not in story
    assert "发送前请核对" in cover


async def test_a_12315_letter_asks_for_the_complainants_address_and_says_what_12315_requires(
    action_env: str,
) -> None:
    given = ("platform_support", "supervisor", "regulator_12315")
    cover, letter, *_ = await write_letter(
        case_slots("jd_wallet", case_progress=progress("jd_wallet", "topup_failure", *given))
    )
    assert "通讯地址：________" in letter and "被投诉方地址：________" in letter
    assert "通讯地址" in cover and "三年" in cover


async def test_a_huabei_case_goes_to_the_consumer_finance_regulator_not_12363(
    action_env: str, store: KnowledgeStore
) -> None:
    ladder = [s.key for s in store.escalation_ladder("support_unresponsive", "alipay", "huabei")]
    assert "regulator_finance" in ladder and "regulator_12363" not in ladder
    given = ("platform_support", "supervisor", "regulator_12315", "regulator_finance")
    slots = case_slots(
        "alipay", "support_unresponsive", case_progress=progress("alipay", "support_unresponsive", *given)
    )
    cover, letter, *_ = await write_letter(slots, "花呗乱扣费，客服一直不处理", intent="report_support_unresponsive")
    assert "收信方：国家金融监督管理总局（12378）" in cover and "12363" not in cover + letter
    assert "被投诉机构：支付宝的花呗的经营机构（全称请照借款合同或用户协议填写）" in letter


async def test_a_huabei_letter_names_no_unverified_company(action_env: str) -> None:
    given = markers("alipay", "support_unresponsive", "platform_support", "supervisor", "regulator_12315")
    slots = case_slots("alipay", "support_unresponsive", case_progress=progress_slot(*given))
    cover, letter, *_ = await write_letter(slots, "花呗乱扣费，客服一直不处理")
    assert "被投诉方：支付宝的花呗的运营公司（全称请照用户协议填写）" in letter
    assert "被投诉方地址：________" in letter
    assert "支付宝（中国）网络技术有限公司" not in letter
    # The same case about the wallet itself names the verified payment company.
    _, wallet_letter, *_ = await write_letter(slots, "支付宝乱扣费，客服一直不处理")
    assert "被投诉方：支付宝（中国）网络技术有限公司" in wallet_letter


async def test_card_and_id_numbers_are_masked_but_the_order_number_is_kept(action_env: str) -> None:
    report = "卡号6222021234567890128被盗刷，身份证110101199003077578也被冒用了"
    slots = case_slots(order_id="4111111111111111")
    _, letter, *_ = await write_letter(slots, report)
    assert "6222021234567890128" not in letter and "6222***********0128" in letter
    assert "110101199003077578" not in letter and "1101**********7578" in letter
    assert "【订单号/交易号】4111111111111111" in letter


async def test_missing_essentials_are_marked_for_the_user_and_empty_sections_dropped(action_env: str) -> None:
    slots = {"wallet": "alipay", "problem": "topup_failure", "amount": "unknown", "demand": ["unknown"]}
    _, letter, *_ = await write_letter(slots)
    assert "（待补充），我使用支付宝充值，被扣款（待补充）" in letter
    assert "（请写明你的诉求，例如退款）" in letter
    assert "【订单号/交易号】" not in letter and "【已经做过的努力】" not in letter and "【相关工单号】" not in letter


async def test_the_letter_is_stored_as_a_case_file_and_counted(action_env: str, case_files: CaseStore) -> None:
    slots = case_slots(case_progress=progress("alipay", "topup_failure", "platform_support", "supervisor"))
    await write_letter(slots)
    await write_letter(slots)
    case = case_files.get("test-user", "alipay", "topup_failure")
    assert case is not None
    assert (case.step_reached, case.letter_template, case.letter_version, case.letters_written) == (
        "supervisor",
        "platform_desk",
        2,
        2,
    )
    assert (case.amount, case.order_id, case.demands) == ("500.00 CNY", ORDER_ID, ("refund", "investigate"))
    assert [(c.problem, c.wallet, c.step_reached, c.cases) for c in case_files.counts()] == [
        ("topup_failure", "alipay", "supervisor", 1)
    ]


async def test_without_a_problem_the_letter_asks_which_one(action_env: str) -> None:
    dispatcher = CollectingDispatcher()
    await ActionWriteComplaintLetter().run(dispatcher, make_tracker("request_complaint_letter"), {})
    assert dispatcher.messages[0]["response"] == "utter_ask_which_problem"


# --- the letter form --------------------------------------------------------------------------


async def test_the_form_asks_no_amount_for_a_support_complaint() -> None:
    form = ValidateComplaintLetterForm()
    slots = ["problem", "wallet", "amount", "incident_time", "demand"]
    tracker = make_tracker("request_complaint_letter", slots={"problem": "support_unresponsive"})
    assert await form.required_slots(slots, CollectingDispatcher(), tracker, {}) == [
        "problem",
        "wallet",
        "incident_time",
        "demand",
    ]
    tracker = make_tracker("request_complaint_letter", slots={"problem": "topup_failure"})
    assert "amount" in await form.required_slots(slots, CollectingDispatcher(), tracker, {})


@pytest.mark.parametrize(
    ("intent", "text", "slot", "expected", "hint"),
    [
        ("inform", "500", "amount", {"amount": "500.00 CNY"}, False),
        ("inform", "大概1,200左右", "amount", {"amount": "1200.00 CNY"}, False),
        ("deny", "记不清了", "amount", {"amount": "unknown"}, False),
        ("out_of_scope", "跳过", "incident_time", {"incident_time": "unknown"}, False),
        ("nlu_fallback", "嗯嗯", "incident_time", {"incident_time": None}, True),
        ("ask_hotline", "客服电话多少", "incident_time", {}, False),
        ("deny", "不知道", "demand", {"demand": ["unknown"]}, False),
        ("report_already_complained", "我上周已经投诉了", "demand", {}, False),
    ],
)
def test_form_answers_without_a_fact_entity(
    intent: str, text: str, slot: str, expected: Dict[str, Any], hint: bool
) -> None:
    form = ValidateComplaintLetterForm()
    tracker = make_tracker(intent, text, slots={"requested_slot": slot, "problem": "topup_failure"})
    dispatcher = CollectingDispatcher()
    assert getattr(form, f"extract_{slot}")(dispatcher, tracker, {}) == expected
    assert bool(dispatcher.messages) == hint


def test_the_fact_asked_for_is_taken_from_its_entity_whatever_the_intent() -> None:
    form = ValidateComplaintLetterForm()
    time = [{"entity": "incident_time", "value": "2026-11-20"}]
    tracker = make_tracker(
        "report_already_complained", "上周五", slots={"requested_slot": "incident_time"}, entities=time
    )
    assert form.extract_incident_time(CollectingDispatcher(), tracker, {}) == {"incident_time": "2026-11-20"}
    demands = [{"entity": "demand", "value": "refund"}, {"entity": "demand", "value": "apology"}]
    tracker = make_tracker("inform", "退款和道歉", slots={"requested_slot": "demand"}, entities=demands)
    assert form.extract_demand(CollectingDispatcher(), tracker, {}) == {"demand": ["refund", "apology"]}
    tracker = make_tracker("inform", "500", slots={"requested_slot": "incident_time"})
    assert form.extract_amount(CollectingDispatcher(), tracker, {}) == {}, "only the slot asked for"


def test_the_problem_comes_from_the_report_buttons() -> None:
    tracker = make_tracker("report_fund_security", "/report_fund_security", slots={"requested_slot": "problem"})
    assert ValidateComplaintLetterForm().extract_problem(CollectingDispatcher(), tracker, {}) == {
        "problem": "fund_security"
    }


def test_demands_are_known_keys_without_repeats() -> None:
    form = ValidateComplaintLetterForm()
    tracker = make_tracker("inform")
    assert form.validate_demand(["refund", "refund", "bogus"], CollectingDispatcher(), tracker, {}) == {
        "demand": ["refund"]
    }


def test_the_letter_questions_offer_buttons_the_letter_understands() -> None:
    """The form asks with domain responses; their buttons send problems and demands the letter knows."""
    responses = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["responses"]
    demands = [b["payload"] for b in responses["utter_ask_demand"][0]["buttons"]]
    assert demands == [f'/inform{{"demand":"{key}"}}' for key in DEMAND_KEYS]
    problems = [b["payload"] for b in responses["utter_ask_problem"][0]["buttons"]]
    assert problems == ["/report_topup_failure", "/report_fund_security", "/report_support_unresponsive"]
    for slot in ("amount", "incident_time", "demand"):
        assert f"utter_ask_again_{slot}" in responses, slot


# --- "我上周已经投诉了" -------------------------------------------------------------------------


async def complained(text: str, slots: Dict[str, Any], entities: List[Dict[str, Any]]) -> tuple[str, List[Dict]]:
    tracker = make_tracker("report_already_complained", text, slots=slots, entities=entities)
    dispatcher = CollectingDispatcher()
    events = await ActionRecordEarlierComplaint().run(dispatcher, tracker, {})
    return "\n".join(texts(dispatcher)), events


async def test_a_complaint_past_its_wait_gives_the_next_step(action_env: str, case_files: CaseStore) -> None:
    slots = {
        "wallet": "alipay",
        "problem": "topup_failure",
        "case_progress": progress("alipay", "topup_failure", "platform_support"),
    }
    time = {"entity": "incident_time", "value": "2026-11-18"}
    ticket = {"entity": "ticket_id", "value": "T20241118007"}
    reply, events = await complained("我上周已经投诉了，工单号T20241118007", slots, [time, ticket])
    assert "记下了：你2026年11月18日已经「联系平台客服」（支付宝 95188），工单号 T20241118007" in reply
    assert "已经过了 7 天" in reply and "第 2 步（共 5 步）：找上级或投诉部门" in reply
    assert given_markers(slot_value(events, "case_progress")) == markers(
        "alipay", "topup_failure", "platform_support", "supervisor"
    )
    assert taken_items(slot_value(events, "case_progress")) == [
        {
            "case": "alipay:topup_failure:",
            "step": "platform_support",
            "on": "2026-11-18",
            "ticket": "T20241118007",
            "outcome": "unresolved",
        }
    ]
    stored = case_files.get("test-user", "alipay", "topup_failure")
    assert stored is not None and stored.step_reached == "supervisor" and stored.ticket_ids == ("T20241118007",)


async def test_a_recent_complaint_says_when_to_come_back(action_env: str) -> None:
    slots = {
        "wallet": "alipay",
        "problem": "topup_failure",
        "case_progress": progress("alipay", "topup_failure", "platform_support"),
    }
    reply, events = await complained("前天已经打过客服了", slots, [{"entity": "incident_time", "value": "2026-11-23"}])
    assert "助手的建议是给这一步约 7 天，现在过了 2 天" in reply and "2026年11月30日（周一）（还有 5 天）" in reply
    assert "不是官方时限" in reply
    assert "第 2 步" not in reply
    assert given_markers(slot_value(events, "case_progress")) == markers("alipay", "topup_failure", "platform_support")
    assert taken_items(slot_value(events, "case_progress"))[0]["outcome"] == "waiting"


async def test_a_named_regulator_is_the_step_taken_even_without_a_date(action_env: str) -> None:
    slots = {"wallet": "jd_wallet", "problem": "topup_failure"}
    reply, events = await complained("我已经向12315投诉过了", slots, [])
    assert "「向12315或消协投诉」" in reply and "助手的建议是给这一步约 15 天（不是官方时限）" in reply
    assert "向人民银行12363投诉" in reply
    given = given_markers(slot_value(events, "case_progress"))
    assert given == markers(
        "jd_wallet", "topup_failure", "platform_support", "supervisor", "regulator_12315", "regulator_12363"
    )


async def test_a_step_without_a_wait_moves_on_at_once(action_env: str) -> None:
    slots = {
        "wallet": "wechat_pay",
        "problem": "fund_security",
        "case_progress": progress("wechat_pay", "fund_security", "platform_support"),
    }
    reply, _ = await complained("昨天已经打过95017了", slots, [{"entity": "incident_time", "value": "2026-11-24"}])
    assert "「马上冻结账户和银行卡」（微信支付 95017）" in reply and "报警" in reply
    assert "助手的建议" not in reply  # a fraud victim is never asked to wait


async def test_past_the_last_step_the_options_are_summed_up(action_env: str) -> None:
    given = markers(
        "alipay", "topup_failure", "platform_support", "supervisor", "regulator_12315", "regulator_12363", "legal_route"
    )
    slots = {"wallet": "alipay", "problem": "topup_failure", "case_progress": progress_slot(*given)}
    reply, _ = await complained("上个月就走过法律途径了", slots, [{"entity": "incident_time", "value": "2026-10-25"}])
    assert "能走的渠道都已经告诉你了" in reply


async def test_the_letter_after_earlier_complaints_lists_them(action_env: str) -> None:
    slots = {
        "wallet": "alipay",
        "problem": "topup_failure",
        "case_progress": progress("alipay", "topup_failure", "platform_support"),
    }
    _, events = await complained("11月18号已经投诉过了", slots, [{"entity": "incident_time", "value": "2026-11-18"}])
    slots = case_slots(
        case_progress=slot_value(events, "case_progress"),
    )
    _, letter, *_ = await write_letter(slots)
    assert re.search(r"1\. 联系平台客服（支付宝 95188）：2026年11月18日，没有解决", letter), letter


async def test_the_stored_case_is_dated_by_the_same_clock_as_the_letter(action_env: str) -> None:
    """One clock: the case file's timestamps are the letter's day, not the machine's."""
    import sqlalchemy as sa

    from assistant_core.settings import Settings

    await write_letter(case_slots())
    with sa.create_engine(Settings.from_env().cases_db_url).connect() as conn:
        stamp = conn.execute(sa.text("SELECT updated_at FROM case_files")).scalar_one()
    assert str(stamp).startswith("2026-11-25 06:30")
