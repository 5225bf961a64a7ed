"""Facts of a complaint from real-looking messages: amount, incident time, order/ticket numbers, demand.

Runs the NLU component as the Rasa server does: trained (the spaCy pipeline saved into the
model storage), loaded back, after the domain tokenizer has loaded its jieba dictionary.
"Now" is Wednesday 2026-11-25 14:30 in China, sent as message metadata.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Dict, List, Optional

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu import fact_rules
from bot.nlu.facts import ComplaintFactExtractor, message_time
from bot.nlu.tokenizer import DomainJiebaTokenizer
from tests.conftest import ROOT

NOW = "2026-11-25T14:30:00+08:00"


@pytest.fixture(scope="module")
def extractor(tmp_path_factory: pytest.TempPathFactory) -> ComplaintFactExtractor:
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("model")))
    context = ExecutionContext({}, "test")  # type: ignore[arg-type]
    # The tokenizer comes first in config.yml and loads the domain words into jieba.
    DomainJiebaTokenizer.create(
        {**DomainJiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "bot" / "nlu" / "jieba")},
        storage,
        Resource("tokenizer"),
        context,
    )
    resource = Resource("facts")
    ComplaintFactExtractor.create({}, storage, resource, context).train(TrainingData())
    return ComplaintFactExtractor.load({}, storage, resource, context)


def parse(extractor: ComplaintFactExtractor, text: str, metadata: Optional[Dict[str, Any]] = None) -> List[Dict]:
    message = Message({"text": text, "metadata": {"now": NOW} if metadata is None else metadata})
    extractor.process([message])
    return list(message.get("entities") or [])


def values(entities: List[Dict], entity: str) -> List[Any]:
    return [e["value"] for e in entities if e["entity"] == entity]


AMOUNTS = [
    ("我用支付宝充值了500元一直没到账", "500.00 CNY"),
    ("微信零钱被盗刷了¥1,200", "1200.00 CNY"),
    ("被骗了三百块", "300.00 CNY"),
    ("京东白条莫名其妙扣了两千五", "2500.00 CNY"),
    ("账户里1.2万被转走了", "12000.00 CNY"),
    ("充话费100块钱没到帐", "100.00 CNY"),
    ("一共损失了一万二", "12000.00 CNY"),
    ("Apple Pay扣了我 ￥88.5", "88.50 CNY"),
    ("两千多块钱不见了", "2000.00 CNY"),
    ("银行短信说扣了RMB 3000", "3000.00 CNY"),
    ("花呗多扣了我5块5", "5.50 CNY"),
    ("境外消费扣了100美元", "100.00 USD"),
    ("前后被扣了三点五万", "35000.00 CNY"),
    ("人民币800元到现在没退回来", "800.00 CNY"),
    ("转账1,000元对方说没收到", "1000.00 CNY"),
]


@pytest.mark.parametrize(("text", "expected"), AMOUNTS)
def test_amounts_are_normalised_to_number_and_currency(extractor: ComplaintFactExtractor, text: str, expected: str):
    assert values(parse(extractor, text), "amount") == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "打了95188好几次都没人接",
        "等了3天还没到账",
        "这是我第2次投诉了",
        "我们一块去营业厅问问吧",
        "三百多人在群里说被同一个人骗了",
        "给手机号13812345678充值失败",
    ],
)
def test_numbers_that_are_not_money_are_not_amounts(extractor: ComplaintFactExtractor, text: str) -> None:
    assert values(parse(extractor, text), "amount") == []


TIMES = [
    ("我昨天晚上充的值", "2026-11-24"),
    ("11月3号扣的钱", "2026-11-03"),
    ("上周五下午三点被盗刷了", "2026-11-20T15:00"),
    ("前天在京东钱包付款失败", "2026-11-23"),
    ("今天早上8点收到扣款短信", "2026-11-25T08:00"),
    ("三天前充的话费", "2026-11-22"),
    ("2026年10月1日账户里的钱被转走了", "2026-10-01"),
    ("上个月5号开始账户就被冻结", "2026-10-05"),
    ("凌晨两点半有人登录了我的账号", "2026-11-25T02:30"),
    ("昨晚11点被扣款", "2026-11-24T23:00"),
    ("12月30号充值的到现在没到", "2025-12-30"),
    ("半个月前就投诉了", "2026-11-10"),
    ("周日下午付的款", "2026-11-22"),
    ("今天充值失败了", "2026-11-25"),
    ("刚才被扣了200元", "2026-11-25T14:30"),
]


@pytest.mark.parametrize(("text", "expected"), TIMES)
def test_times_resolve_against_the_message_time(extractor: ComplaintFactExtractor, text: str, expected: str) -> None:
    assert values(parse(extractor, text), "incident_time") == [expected]


@pytest.mark.parametrize(
    "text",
    [
        "今天天气怎么样",
        "明天下午三点我再去营业厅问",
        "客服说3到5个工作日到账",
        "一般7天内会退回",
        "2027年1月1日以后再说",
    ],
)
def test_future_and_vague_times_are_not_incident_times(extractor: ComplaintFactExtractor, text: str) -> None:
    assert values(parse(extractor, text), "incident_time") == []


ORDER_IDS = [
    ("订单号2024110322001412345678，充值没到账", "2024110322001412345678"),
    ("交易号：4200001234202411031234567890", "4200001234202411031234567890"),
    ("流水号 20241103123456789 查不到", "20241103123456789"),
    ("商户单号是 M202411030001234", "M202411030001234"),
    ("订单号4111111111111111充值没到账", "4111111111111111"),
    ("单号123456789012查不到记录", "123456789012"),
]


@pytest.mark.parametrize(("text", "expected"), ORDER_IDS)
def test_order_ids_follow_their_cue(extractor: ComplaintFactExtractor, text: str, expected: str) -> None:
    entities = parse(extractor, text)
    assert values(entities, "order_id") == [expected]
    order = next(e for e in entities if e["entity"] == "order_id")
    assert text[order["start"] : order["end"]] == expected


@pytest.mark.parametrize(
    "text",
    [
        "我的手机号13812345678一直收不到验证码",
        "卡号6222021234567890128被盗刷了",
        "银行卡 6222021234567890128 扣了钱",
        "订单号13812345678",
        "快递单号1234567890123一直没更新",
        "身份证110101199003077578被人冒用了",
    ],
)
def test_phone_card_and_id_numbers_are_never_order_ids(extractor: ComplaintFactExtractor, text: str) -> None:
    entities = parse(extractor, text)
    assert values(entities, "order_id") == [] and values(entities, "ticket_id") == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("工单号T20241118007，一直没人处理", "T20241118007"),
        ("投诉单号 88886666 还在排队", "88886666"),
        ("受理编号：556677", "556677"),
        ("工单号是20241120123", "20241120123"),
    ],
)
def test_ticket_numbers_are_not_order_ids(extractor: ComplaintFactExtractor, text: str, expected: str) -> None:
    entities = parse(extractor, text)
    assert values(entities, "ticket_id") == [expected]
    assert values(entities, "order_id") == []


DEMANDS = [
    ("我要求全额退款", ["refund"]),
    ("赶紧给我解冻账户", ["unfreeze"]),
    ("平台必须给我道歉", ["apology"]),
    ("要求赔偿我的损失", ["compensation"]),
    ("请查明原因", ["investigate"]),
    ("把钱退回来，再给个说法", ["refund", "investigate"]),
    ("解除冻结并赔偿", ["unfreeze", "compensation"]),
    ("账户被冻结了", []),
    ("我不要道歉，只要退款", ["refund"]),
    ("商家已经退款了", []),
    ("不需要赔偿，查明原因就行", ["investigate"]),
]


@pytest.mark.parametrize(("text", "expected"), DEMANDS)
def test_demands_are_keys_and_negations_are_dropped(extractor: ComplaintFactExtractor, text: str, expected: list):
    assert values(parse(extractor, text), "demand") == expected


def test_a_whole_report_gives_every_fact_with_exact_offsets(extractor: ComplaintFactExtractor) -> None:
    text = "昨天晚上用支付宝给手机充了500元话费，订单号2024112422001400001234，钱扣了没到账，要求退款"
    entities = parse(extractor, text)
    assert {(e["entity"], text[e["start"] : e["end"]], e["value"]) for e in entities} == {
        ("incident_time", "昨天晚上", "2026-11-24"),
        ("amount", "500元", "500.00 CNY"),
        ("order_id", "2024112422001400001234", "2024112422001400001234"),
        ("demand", "退款", "refund"),
    }
    assert all(e["extractor"] == "ComplaintFactExtractor" for e in entities)


def test_the_clock_is_used_without_metadata_and_can_be_injected(extractor: ComplaintFactExtractor) -> None:
    original = extractor.clock
    try:
        extractor.clock = lambda: dt.datetime(2026, 3, 2, 1, 0, tzinfo=dt.timezone.utc)  # 09:00 in Beijing
        assert values(parse(extractor, "昨天充的值", metadata={}), "incident_time") == ["2026-03-01"]
    finally:
        extractor.clock = original


def test_message_time_reads_now_or_timestamp_from_metadata() -> None:
    zone = dt.timezone(dt.timedelta(hours=8))
    never = lambda: dt.datetime(2000, 1, 1, tzinfo=dt.timezone.utc)  # noqa: E731
    assert message_time({"now": "2026-11-25T06:30:00+00:00"}, never, zone).hour == 14
    assert message_time({"timestamp": 1795588200}, never, zone).date() == dt.date(2026, 11, 25)
    assert message_time({"now": "not a time"}, never, zone).year == 2000
    assert message_time(None, never, zone).year == 2000


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1,200", 1200), ("1.2万", 12000), ("两千五", 2500), ("三点五万", 35000), ("一千零五", 1005), ("几百", None)],
)
def test_numbers_in_arabic_and_chinese_digits(text: str, expected: Optional[int]) -> None:
    value = fact_rules.parse_number(text)
    assert (value if value is None else int(value)) == expected
