"""Robustness slices of `make eval`: deterministic perturbations and subsets of the test set.

Each perturbation rewrites every occurrence of its patterns, so a run is reproducible and
the same example is perturbed the same way for every classifier. The wallet-name tables
below are written by hand from what users post, apart from the generator in
actions/knowledge/nlu_aliases.py, so the slices do not just replay the generator's rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, List, Optional, Sequence, Tuple

from hanziconv import HanziConv

from bench.nlu_data import Example, perturbed

# Typing-method slips a phone user makes: same pinyin, or a look-alike/shortcut word.
TYPO_RULES: Tuple[Tuple[str, str], ...] = (
    ("客服", "客户"),
    ("充", "冲"),
    ("账", "帐"),
    ("宝", "包"),
    ("盗", "到"),
    ("骗", "片"),
    ("投诉", "头诉"),
    ("怎么", "怎莫"),
    ("没有", "没又"),
    ("微信", "威信"),
    ("钱", "前"),
    ("注销", "注消"),
)

# Code-switching as it is typed in mainland chats: the English word replaces the Chinese one.
ENGLISH_RULES: Tuple[Tuple[str, str], ...] = (
    ("客服", "customer service"),
    ("失败", "fail"),
    ("退款", "refund"),
    ("充值", "top up"),
    ("账户", "account"),
    ("账号", "account"),
    ("钱包", "wallet"),
    ("密码", "password"),
    ("投诉", "complain"),
    ("电话", "phone"),
    ("怎么办", "what to do"),
    ("谢谢", "thanks"),
    ("你好", "hi"),
    ("证据", "evidence"),
    ("注销", "cancel"),
    ("到账", "arrive"),
    ("不行", "not OK"),
)

# HanziConv maps character by character; these are its conversions no Traditional writer uses.
_TRADITIONAL_OVERSHOOT = str.maketrans({"瞭": "了", "纔": "才"})
_SPACES = re.compile(r" {2,}")


def replace_all(text: str, rules: Sequence[Tuple[str, str]]) -> str:
    """Apply each (old, new) rule to every occurrence, in order."""
    for old, new in rules:
        text = text.replace(old, new)
    return text


def typos(text: str) -> str:
    """Homophone and look-alike typing slips (充→冲, 账→帐, 宝→包, 客服→客户 …)."""
    return replace_all(text, TYPO_RULES)


def traditional(text: str) -> str:
    """Traditional characters, as a Hong Kong or Taiwan user would type."""
    return HanziConv.toTraditional(text).translate(_TRADITIONAL_OVERSHOOT)


def mixed_english(text: str) -> str:
    """Chinese with English words mixed in (失败→fail, 客服→customer service, 退款→refund …)."""
    spaced = replace_all(text, [(old, f" {new} ") for old, new in ENGLISH_RULES])
    return _SPACES.sub(" ", spaced).strip()


# How users write the wallet names (longest first when applied): one table per slice.
PINYIN_NAMES: Tuple[Tuple[str, str], ...] = (
    ("微信支付", "weixin zhifu"),
    ("京东钱包", "jingdong qianbao"),
    ("苹果支付", "pingguo zhifu"),
    ("支付宝", "zhifubao"),
    ("余额宝", "yuebao"),
    ("微信", "weixin"),
    ("京东", "jingdong"),
    ("花呗", "huabei"),
)
ABBREVIATED_NAMES: Tuple[Tuple[str, str], ...] = (
    ("支付宝", "ZFB"),
    ("微信支付", "VX支付"),
    ("微信", "wx"),
    ("京东", "JD"),
    ("余额宝", "yeb"),
)
HOMOPHONE_NAMES: Tuple[Tuple[str, str], ...] = (
    ("支付宝", "只付宝"),
    ("微信", "微心"),
    ("京东", "晶东"),
    ("余额宝", "余额包"),
    ("苹果支付", "平果支付"),
)
ENGLISH_NAMES: Tuple[Tuple[str, str], ...] = (
    ("微信支付", "WeChat Pay"),
    ("京东钱包", "JD Wallet"),
    ("苹果支付", "Apple Pay"),
    ("苹果钱包", "Apple Wallet"),
    ("支付宝", "Alipay"),
    ("微信", "WeChat"),
    ("京东", "JD"),
)
TRADITIONAL_NAMES: Tuple[Tuple[str, str], ...] = tuple(
    (name, HanziConv.toTraditional(name))
    for name in (
        "微信钱包",
        "微信零钱",
        "京东钱包",
        "京东白条",
        "苹果钱包",
        "支付宝",
        "余额宝",
        "零钱通",
        "京东",
        "花呗",
    )
)


def rename_wallets(table: Sequence[Tuple[str, str]]) -> Callable[[str], str]:
    """Rewrite the wallet names of `table` (longest name first), nothing else."""
    ordered = sorted(table, key=lambda pair: -len(pair[0]))
    pattern = re.compile("|".join(re.escape(old) for old, _ in ordered))
    names = dict(ordered)
    return lambda text: pattern.sub(lambda m: names[m.group()], text)


def unchanged(text: str) -> str:
    return text


@dataclass(frozen=True)
class Slice:
    """A named perturbation of the test set, or (`keep` only) a subset of it."""

    name: str
    description: str
    transform: Callable[[str], str]
    keep: Optional[Callable[[Example], bool]] = None

    def apply(self, examples: Sequence[Example]) -> Tuple[List[int], List[Example]]:
        """Indices and texts of the examples in the slice: the subset, or those the perturbation changes."""
        if self.keep is not None:
            indices = [i for i, e in enumerate(examples) if self.keep(e)]
            return indices, [examples[i] for i in indices]
        return perturbed(examples, self.transform)


SLICES: Tuple[Slice, ...] = (
    Slice("typos", "homophone/look-alike typos (充→冲, 账→帐, 宝→包, 客服→客户, 盗→到 …)", typos),
    Slice("traditional", "Traditional characters (HanziConv.toTraditional)", traditional),
    Slice("mixed_english", "English words mixed in (失败→fail, 客服→customer service, 退款→refund …)", mixed_english),
    Slice(
        "pinyin_wallets",
        "wallet names in pinyin (支付宝→zhifubao, 微信支付→weixin zhifu …)",
        rename_wallets(PINYIN_NAMES),
    ),
    Slice(
        "abbreviated_wallets",
        "wallet names as initials (支付宝→ZFB, 微信→wx, 京东→JD …)",
        rename_wallets(ABBREVIATED_NAMES),
    ),
    Slice(
        "homophone_wallets", "wallet names with homophone typos (只付宝, 微心, 晶东 …)", rename_wallets(HOMOPHONE_NAMES)
    ),
    Slice("traditional_wallets", "wallet names in Traditional (支付寶, 京東錢包 …)", rename_wallets(TRADITIONAL_NAMES)),
    Slice(
        "english_wallets",
        "wallet names in English (Alipay, WeChat Pay, JD, Apple Pay …)",
        rename_wallets(ENGLISH_NAMES),
    ),
    Slice(
        "near_miss_out_of_scope",
        "the set's out-of-scope messages (deliveries, merchant refunds, stocks, loans, phone bills …), as written",
        unchanged,
        keep=lambda e: e.intent == "out_of_scope",
    ),
)
