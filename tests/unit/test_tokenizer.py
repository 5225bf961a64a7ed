"""The domain tokenizer: wallet names and complaint words come out whole."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.normalise import normalise
from bot.nlu.tokenizer import DomainJiebaTokenizer
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory: pytest.TempPathFactory) -> DomainJiebaTokenizer:
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("model")))
    config = {**DomainJiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "bot" / "nlu" / "jieba")}
    component = DomainJiebaTokenizer.create(config, storage, Resource("tokenizer"), ExecutionContext({}, "test"))
    assert isinstance(component, DomainJiebaTokenizer)
    return component


def words(tokenizer: DomainJiebaTokenizer, text: str) -> list[str]:
    return [t.text for t in tokenizer.tokenize(Message(data={"text": text}), "text")]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("用支付宝充值失败了", ["支付宝", "充值"]),
        ("我的微信零钱被盗刷了", ["微信零钱", "盗刷"]),
        ("京东钱包扣款没到账", ["京东钱包", "扣款", "没到账"]),
        ("客服一直不处理我的投诉", ["客服", "投诉"]),
        ("我的Apple Pay被盗刷了", ["apple pay", "盗刷"]),
        ("apple  pay付款失败", ["apple  pay"]),
        ("冲值一百块没到帐", ["冲值", "到帐"]),
    ],
)
def test_domain_words_are_single_tokens(tokenizer: DomainJiebaTokenizer, text: str, expected: list[str]) -> None:
    tokens = words(tokenizer, text)
    for word in expected:
        assert word in tokens, f"{word!r} not a token of {text!r}: {tokens}"


def test_traditional_full_width_text_gives_normal_tokens_at_the_same_offsets(tokenizer: DomainJiebaTokenizer) -> None:
    text = "支付寶充值失敗，帳戶被盜刷，ＺＦＢ客服不理人"
    tokens = tokenizer.tokenize(Message(data={"text": text}), "text")
    assert {"支付宝", "充值", "盗刷", "zfb"} <= {t.text for t in tokens}
    for token in tokens:
        assert normalise(text[token.start : token.end]) == token.text
