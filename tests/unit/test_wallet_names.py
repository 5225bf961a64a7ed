"""Wallet names as users write them: generated from the seed, found on normalised text, closed set."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from actions.knowledge.nlu_aliases import generated_variants, seed_wallet_names
from bot.nlu.normalise import normalise
from bot.nlu.tokenizer import DomainJiebaTokenizer
from bot.nlu.wallets import NEGATED_ROLE, WalletEntityExtractor
from tests.conftest import ROOT, SEED_PATH


@pytest.fixture(scope="module")
def components(tmp_path_factory: pytest.TempPathFactory) -> tuple[DomainJiebaTokenizer, WalletEntityExtractor]:
    storage = LocalModelStorage(Path(tmp_path_factory.mktemp("model")))
    context = ExecutionContext({}, "test")
    config = {**DomainJiebaTokenizer.get_default_config(), "dictionary_path": str(ROOT / "bot" / "nlu" / "jieba")}
    tokenizer = DomainJiebaTokenizer.create(config, storage, Resource("tokenizer"), context)
    assert isinstance(tokenizer, DomainJiebaTokenizer)
    extractor = WalletEntityExtractor.create(
        WalletEntityExtractor.get_default_config(), storage, Resource("wallets"), context
    )
    extractor.train(load_data(str(ROOT / "data" / "nlu" / "wallets.yml")))
    return tokenizer, extractor


def wallets(components: tuple[DomainJiebaTokenizer, WalletEntityExtractor], text: str) -> list[tuple[str, str]]:
    tokenizer, extractor = components
    message = Message(data={"text": text})
    tokenizer.process([message])
    extractor.process([message])
    return [(text[e["start"] : e["end"]], e["value"]) for e in message.get("entities") or []]


def test_normal_form_keeps_length_and_folds_width_script_and_case() -> None:
    text = "ＺＦＢ　支付寶帳戶被盜，Apple Pay！"
    assert normalise(text) == "zfb 支付宝帐户被盗,apple pay!"
    assert len(normalise(text)) == len(text)


@pytest.mark.parametrize(
    ("alias", "platform", "expected"),
    [
        ("支付宝", "支付宝", {"支付寶", "zhifubao", "zhi fu bao", "zfb", "支付保", "知付宝"}),
        ("微信", "微信支付", {"wechat", "weixin", "wei xin", "wx", "vx", "v信", "微心"}),
        ("京东支付", "京东钱包", {"jd pay", "jdzf", "京東支付", "jingdongzhifu"}),
        ("苹果钱包", "Apple Pay", {"apple wallet", "蘋果錢包", "pingguoqianbao"}),
    ],
)
def test_variants_are_generated_from_rules(alias: str, platform: str, expected: set[str]) -> None:
    assert expected <= generated_variants(alias, platform)


def test_short_product_names_get_no_initials_typos_or_spaced_pinyin() -> None:
    # 花呗 → 'hb' (湖北, 红包) or 'hua bei' (华北) would be a wallet in everyday text.
    variants = generated_variants("花呗", "支付宝")
    assert {"hb", "hua bei", "花贝"}.isdisjoint(variants)
    assert {"花唄", "huabei"} <= variants


def test_every_generated_name_belongs_to_one_platform() -> None:
    names = seed_wallet_names(SEED_PATH)
    owners: dict[str, set[str]] = {}
    for key, aliases in names.items():
        for alias in aliases:
            owners.setdefault(alias.casefold(), set()).add(key)
    assert all(len(keys) == 1 for keys in owners.values()), {a: k for a, k in owners.items() if len(k) > 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的ＺＦＢ被盗刷了", [("ＺＦＢ", "alipay")]),
        ("Zhi Fu Bao 充值失败", [("Zhi Fu Bao", "alipay")]),
        ("zhifubao chongzhi shibai", [("zhifubao", "alipay")]),
        ("支付寶餘額不見了", [("支付寶", "alipay")]),
        ("知付宝客服不理人", [("知付宝", "alipay")]),
        ("wx客服一直不回", [("wx", "wechat_pay")]),
        ("用vx付的款", [("vx", "wechat_pay")]),
        ("my WeChat account got hacked", [("WeChat", "wechat_pay")]),
        ("paid with JD Pay yesterday", [("JD Pay", "jd_wallet")]),
        ("京東錢包扣款沒到賬", [("京東錢包", "jd_wallet")]),
        ("my apple  pay was charged twice", [("apple  pay", "apple_pay")]),
        ("微信支付分被扣了", [("微信支付分", "wechat_pay")]),
        ("蘋果客服叫我找銀行", [("蘋果客服", "apple_pay")]),
        ("Apple 客服不管", [("Apple 客服", "apple_pay")]),
        ("zfb和wx都被盗了", [("zfb", "alipay"), ("wx", "wechat_pay")]),
    ],
)
def test_wallets_written_as_users_write_them(
    components: tuple[DomainJiebaTokenizer, WalletEntityExtractor], text: str, expected: list[tuple[str, str]]
) -> None:
    assert wallets(components, text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "please update the wxWidgets build and the jdk",
        "the zfbx file and wxid_abc are missing",
        "wo zai hua bei gong zuo, mei tian jia ban",
        "an apple a day, pay the bill on time",
        "需要先支付保证金才能解冻",
        "这是权威信息，请放心",
        "他一口气发了一百条消息",
        "快递三天了还没到，物流不更新",
        "帮我查一下基金和股票",
        "买了一斤苹果，很甜",
    ],
)
def test_ordinary_text_names_no_wallet(
    components: tuple[DomainJiebaTokenizer, WalletEntityExtractor], text: str
) -> None:
    assert wallets(components, text) == []


@pytest.mark.parametrize(
    ("text", "meant", "taken_back"),
    [
        ("不是支付宝，是京东的", ["jd_wallet"], ["alipay"]),
        ("说错了，不是微信是支付宝", ["alipay"], ["wechat_pay"]),
        ("不是支付宝", ["alipay"], []),  # nothing else named: the wallet stays, the dialogue asks
        ("支付宝和微信都扣钱了", ["alipay", "wechat_pay"], []),
    ],
)
def test_a_correction_marks_the_negated_wallet_so_it_fills_nothing(
    components: tuple[DomainJiebaTokenizer, WalletEntityExtractor], text: str, meant: list[str], taken_back: list[str]
) -> None:
    tokenizer, extractor = components
    message = Message(data={"text": text})
    tokenizer.process([message])
    extractor.process([message])
    entities = message.get("entities") or []
    # The message names every wallet; the one taken back carries the role slot mappings skip.
    assert [e["value"] for e in entities if "role" not in e] == meant
    assert [e["value"] for e in entities if e.get("role") == NEGATED_ROLE] == taken_back


def test_wallets_without_verified_facts_are_their_own_entity_and_never_a_seeded_wallet(
    tmp_path: Path, components: tuple[DomainJiebaTokenizer, WalletEntityExtractor]
) -> None:
    tokenizer, _ = components
    storage = LocalModelStorage(tmp_path)
    other = WalletEntityExtractor.create(
        {"entity": "other_wallet"}, storage, Resource("other"), ExecutionContext({}, "test")
    )
    other.train(load_data(str(ROOT / "data" / "nlu" / "other_wallets.yml")))
    for text, name in (("云闪付充话费没到账", "云闪付"), ("用PayPal付的", "PayPal"), ("手机银行被盗刷", "银行App")):
        message = Message(data={"text": text})
        tokenizer.process([message])
        other.process([message])
        assert [(e["entity"], e["value"]) for e in message.get("entities")] == [("other_wallet", name)]
        assert wallets(components, text) == []
