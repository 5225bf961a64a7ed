"""The intent blender: DIET's ranking and a character n-gram model, mixed by weight."""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict

from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.intent_blend import CharNgramIntentBlender, blend

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
