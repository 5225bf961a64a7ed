"""Deterministic perturbations of user text for the robustness slices of `make eval`.

Each slice rewrites every occurrence of its patterns, so a run is reproducible and
the same example is perturbed the same way for every classifier.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Sequence, Tuple

from hanziconv import HanziConv

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


@dataclass(frozen=True)
class Slice:
    """A named perturbation of the held-out set."""

    name: str
    description: str
    transform: Callable[[str], str]


SLICES: Tuple[Slice, ...] = (
    Slice("typos", "homophone/look-alike typos (充→冲, 账→帐, 宝→包, 客服→客户, 盗→到 …)", typos),
    Slice("traditional", "Traditional characters (HanziConv.toTraditional)", traditional),
    Slice("mixed_english", "English words mixed in (失败→fail, 客服→customer service, 退款→refund …)", mixed_english),
)
