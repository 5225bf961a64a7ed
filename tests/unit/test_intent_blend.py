"""The intent blender: DIET's ranking and a character n-gram model, mixed by weight."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_blend import CharNgramIntentBlender, blend, intent_text

TRAINING = {
    "report_topup_failure": ["充话费扣了钱没到账", "充值失败钱被扣了", "话费充值一直没到账", "充了流量没到账扣款了"],
    "out_of_scope": ["快递三天没更新", "外卖送晚了", "快递丢件了找谁", "今天天气怎么样"],
}
# What a DIET that misread the message would put on it: confident, and wrong.
WRONG_DIET = [{"name": "out_of_scope", "confidence": 0.7}, {"name": "report_topup_failure", "confidence": 0.3}]


def test_the_blend_follows_the_weighted_sum_and_keeps_the_ranking_length() -> None:
    ranking = blend(WRONG_DIET, {"report_topup_failure": 0.9, "out_of_scope": 0.1}, weight=0.8, length=1)
    assert [r["name"] for r in ranking] == ["report_topup_failure"]
    assert abs(ranking[0]["confidence"] - (0.2 * 0.3 + 0.8 * 0.9)) < 1e-9
    # An intent DIET left out of its top list counts 0 on DIET's side.
    only_ngrams = blend([], {"greet": 0.6, "thank": 0.4}, weight=0.5, length=0)
    assert [(r["name"], round(r["confidence"], 2)) for r in only_ngrams] == [("greet", 0.3), ("thank", 0.2)]


def _trained(tmp_path: Path, **config: Any) -> tuple[CharNgramIntentBlender, Dict[str, Any], LocalModelStorage]:
    storage = LocalModelStorage(tmp_path)
    full = {**CharNgramIntentBlender.get_default_config(), **config}
    blender = CharNgramIntentBlender.create(full, storage, Resource("blend"), ExecutionContext({}, "test"))
    examples = [Message(data={"text": t, "intent": i}) for i, texts in TRAINING.items() for t in texts]
    blender.train(TrainingData(training_examples=examples))
    return blender, full, storage


def _intent(blender: CharNgramIntentBlender, text: str) -> str:
    message = Message(data={"text": text, "intent": WRONG_DIET[0], "intent_ranking": list(WRONG_DIET)})
    blender.process([message])
    return str(message.get("intent")["name"])


def test_the_ngram_model_overrules_a_wrong_diet_on_a_typo_ridden_traditional_message(tmp_path: Path) -> None:
    blender, _, _ = _trained(tmp_path, weight=0.8)
    # Traditional characters and the 冲 typo: read through the normal form, still a top-up.
    assert _intent(blender, "話費沖值扣了錢沒到賬") == "report_topup_failure"


def test_with_weight_zero_diet_decides_alone(tmp_path: Path) -> None:
    blender, _, _ = _trained(tmp_path, weight=0.0)
    assert _intent(blender, "話費沖值扣了錢沒到賬") == "out_of_scope"


def test_the_trained_model_is_read_back_from_the_model_storage(tmp_path: Path) -> None:
    _, config, storage = _trained(tmp_path, weight=0.8)
    loaded = CharNgramIntentBlender.load(config, storage, Resource("blend"), ExecutionContext({}, "test"))
    assert _intent(loaded, "充话费没到账") == "report_topup_failure"


def _wallet(text: str, name: str, key: str) -> Dict[str, Any]:
    start = text.index(name)
    return {"entity": "wallet", "start": start, "end": start + len(name), "value": key}


def test_with_mask_wallets_every_written_form_of_a_wallet_reads_the_same() -> None:
    zfb, traditional = "用ZFB充話費沒到賬", "用支付寶充话费没到账"
    masked = [
        intent_text(Message(data={"text": t, "entities": [_wallet(t, n, "alipay")]}), mask_wallets=True)
        for t, n in ((zfb, "ZFB"), (traditional, "支付寶"))
    ]
    assert masked == ["用¤充话费没到账", "用¤充话费没到账"]
    # Without the mask the n-gram model reads the names themselves (normalised only).
    assert intent_text(Message(data={"text": zfb, "entities": []}), mask_wallets=True) == "用zfb充话费没到账"
    assert intent_text(Message(data={"text": traditional}), mask_wallets=False) == "用支付宝充话费没到账"


def test_a_wallet_seen_only_in_chit_chat_does_not_pull_a_top_up_report_there(tmp_path: Path) -> None:
    """Training names 支付宝 only in out-of-scope chat; the report names it too and stays a report."""
    chat = ["支付宝集五福怎么玩", "支付宝蚂蚁森林怎么种树", "支付宝发红包", "支付宝今天有什么活动"]
    examples = [Message(data={"text": t, "intent": "report_topup_failure"}) for t in TRAINING["report_topup_failure"]]
    examples += [
        Message(data={"text": t, "intent": "out_of_scope", "entities": [_wallet(t, "支付宝", "alipay")]}) for t in chat
    ]
    storage = LocalModelStorage(tmp_path)
    config = {**CharNgramIntentBlender.get_default_config(), "weight": 1.0, "mask_wallets": True}
    blender = CharNgramIntentBlender.create(config, storage, Resource("blend"), ExecutionContext({}, "test"))
    blender.train(TrainingData(training_examples=examples))
    text = "支付宝支付宝充值没到账"
    twice = [_wallet(text, "支付宝", "alipay"), {**_wallet(text, "支付宝", "alipay"), "start": 3, "end": 6}]
    message = Message(
        data={"text": text, "intent": WRONG_DIET[0], "intent_ranking": list(WRONG_DIET), "entities": twice}
    )
    blender.process([message])
    assert message.get("intent")["name"] == "report_topup_failure"
