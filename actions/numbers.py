"""Phone numbers in what the user wrote, and which of them are wrong hotlines for one of our wallets.

People dial what they read, so a number the user gives *for one of our wallets* ("支付宝客服电话是
95017吗") that is not that wallet's hotline gets the seed's number beside it. Nothing else is ever
corrected: a number the store does not know is not a wrong number, and a fraud victim who calls their
bank (95588), UnionPay (95516), a card centre's 400 line or 12345 must never hear "don't dial it".

The rule (`wrong_hotline_claims`):

1. The text is cut into clauses at 。！？；，,?!; and line breaks; everything below is per clause.
2. A phone-shaped number (`phone_numbers`) in a clause is *attached* to a wallet when one of the
   wallet's names or aliases (case-insensitive; where aliases overlap the longest wins) ends at most
   `ATTACH_GAP` characters before the number starts, and no other wallet name comes in between
   (the nearest name before the number wins).
3. It is a *wrong-hotline claim* when its digits are not that wallet's hotline, nor the hotline of any
   other wallet named in the same clause ("微信和支付宝的客服是95017吗" claims nothing wrong). A number
   of another wallet is still wrong for this one: "支付宝客服电话是95017" (95017 is WeChat Pay's).
4. Never a claim, whichever wallet is named (`numbers_to_check`):
   - a clause that does not talk about calling (电话, 热线, 客服, 号码, 人工, 拨, 打 but not 打款/打钱/打折,
     致电, 来电): "支付宝被扣了95100" is an amount;
   - bank lines: five-digit 955xx numbers (95588, 95555 …, UnionPay's 95516);
   - government lines: 110, 96110 and five-digit 12xxx (12315, 12345, 12363, 12378, 12348, 12386 …);
   - a clause naming a bank or a card (银行, 信用卡, 卡中心, 发卡行, 卡背面, 银联, 储蓄卡, 借记卡):
     "信用卡中心400-820-5555" is the card's line, not a wallet's;
   - a clause saying the number was already called (打了, 打过, 拨了, 拨过, 已经打/拨, 已打/拨, 刚打/拨,
     联系了/过, 打通, 打不通, 没人接, 接通; "打来" / "打过来", a call received, does not count):
     what was dialled is done, and the user may be on the line to their bank.

Only phone-shaped numbers count (service numbers like 95188 and 12315, 400/800 lines, 110): order and
ticket numbers are longer, amounts shorter or followed by a unit. Pure: no rasa, no store.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterable, Iterator, Optional

from assistant_core.records import Source

_PHONE = re.compile(
    r"(?<![\dA-Za-z¥￥.])(?:[48]00[-\s]?\d{3}[-\s]?\d{4}|9[56]\d{3,4}|12\d{3}|110)"
    r"(?![\d.,]|\s*(?:元|块|圆|万|千|角|%|rmb|RMB|人民币|多))"
)
_NOT_DIGIT = re.compile(r"\D")

ATTACH_GAP = 12
"""At most this many characters between a wallet's name and the number given for it."""

_CLAUSE = re.compile(r"[^。！？；，,?!;\n\r]+")
_CALLING = re.compile(r"电话|热线|客服|号码|人工|拨|打(?!款|钱|折)|致电|来电")
_BANK_WORDS = re.compile(r"银行|信用卡|卡中心|发卡行|卡背面|银联|储蓄卡|借记卡")
_CALLED = re.compile(
    r"(?:打|拨)(?:了|过|通)(?!来)|打不通|没人接|接通|联系(?:了|过)|(?:已经|已|刚刚|刚)(?:打|拨)(?!来|过来)"
)
_NOT_A_WALLET_LINE = re.compile(
    r"955\d{2}"  # banks' service lines, UnionPay's 95516 among them
    r"|110|96110|12\d{3}"  # police, anti-fraud, government hotlines
)


def digits(number: str) -> str:
    """'400-606-5500' → '4006065500'."""
    return _NOT_DIGIT.sub("", number)


def phone_numbers(text: str) -> list[str]:
    """The phone-shaped numbers in `text`, as written, in order, without repeats."""
    return list(dict.fromkeys(match.group().strip() for match in _PHONE.finditer(text or "")))


def numbers_in(contacts: Iterable[str]) -> frozenset[str]:
    """Every phone number (digits only) inside the contact texts: '110 / 96110' → {'110', '96110'}."""
    return frozenset(digits(n) for contact in contacts for n in phone_numbers(contact))


@dataclass(frozen=True)
class WalletLine:
    """What the check needs of a wallet: its key, every name users call it by, and its hotline."""

    key: str
    names: tuple[str, ...]
    hotline: str


@dataclass(frozen=True)
class WrongHotline:
    """A number the user gave for a wallet (`wallet`: its key) that is not the wallet's hotline."""

    number: str
    """As the user wrote it."""
    wallet: str


def _clauses(text: str) -> Iterator[str]:
    return (match.group() for match in _CLAUSE.finditer(text or ""))


def _checkable(clause: str) -> list[re.Match[str]]:
    """The numbers of one clause that could be a wallet-hotline claim (rule 4)."""
    if not _CALLING.search(clause) or _BANK_WORDS.search(clause) or _CALLED.search(clause):
        return []
    return [m for m in _PHONE.finditer(clause) if not _NOT_A_WALLET_LINE.fullmatch(digits(m.group()))]


def numbers_to_check(text: str) -> list[str]:
    """The numbers that could be a wrong wallet hotline, before looking at any wallet: cheap, so a
    turn without one never queries the store."""
    return list(dict.fromkeys(m.group().strip() for clause in _clauses(text) for m in _checkable(clause)))


def _name_pattern(by_name: dict[str, WalletLine]) -> re.Pattern[str]:
    longest_first = sorted(by_name, key=len, reverse=True)
    return re.compile("|".join(re.escape(name) for name in longest_first), re.IGNORECASE)


def wrong_hotline_claims(text: str, wallets: Iterable[WalletLine]) -> list[WrongHotline]:
    """The numbers `text` gives for one of `wallets` that are not that wallet's hotline (see the rule
    above), in order, each (number, wallet) once."""
    by_name: dict[str, WalletLine] = {}
    for wallet in wallets:
        for name in wallet.names:
            if name.strip():
                by_name.setdefault(name.strip().casefold(), wallet)
    if not by_name:
        return []
    names = _name_pattern(by_name)
    claims: list[WrongHotline] = []
    seen: set[tuple[str, str]] = set()
    for clause in _clauses(text):
        numbers = _checkable(clause)
        if not numbers:
            continue
        named = [(m.end(), by_name.get(m.group().casefold())) for m in names.finditer(clause)]
        named_wallets = [(end, wallet) for end, wallet in named if wallet is not None]
        hotlines_named = {digits(wallet.hotline) for _, wallet in named_wallets}
        for number in numbers:
            before = [(end, wallet) for end, wallet in named_wallets if end <= number.start()]
            if not before or number.start() - before[-1][0] > ATTACH_GAP:
                continue
            wallet = before[-1][1]
            said = digits(number.group())
            if said in hotlines_named or (said, wallet.key) in seen:
                continue
            seen.add((said, wallet.key))
            claims.append(WrongHotline(number.group().strip(), wallet.key))
    return claims


def hotline_source(source: Optional[Source]) -> str:
    """Where a wallet's number comes from, in a few words: only a public page is named as a source;
    the seed article's numbers are said to be unchecked on the official site."""
    if source is not None and source.kind == "page":
        return f"来源：{source.title}"
    if source is not None and source.kind == "article":
        return "出自参考文章，还没在官网核实"
    return "来源还没核实"
