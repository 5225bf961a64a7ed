"""Generate the NLU files that list wallet names, from the seed's aliases.

The seed is the one place aliases are written; this keeps the NLU data in step:
    python -m actions.knowledge.nlu_aliases        # rewrites both files below
- data/nlu/wallets.yml: synonyms (name → platform key) and the lookup table;
- bot/nlu/jieba/wallet_terms.txt: jieba user dictionary, so names segment as words.
Aliases change the model: retrain afterwards (`make train`).

Besides the seed's own aliases, the names users really type are generated here from rule
tables (never a hand list of whole names): Traditional forms (OpenCC), toneless pinyin with
and without spaces and initials (pypinyin), chat forms of initials (vx), English names from a
morpheme glossary, and homophone typos from a table of confusable characters. The NLU side
normalises what users type (bot/nlu/normalise.py) and keeps Latin names to whole words, so
this file lists each name once in its normal form, plus the Traditional forms for readers.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path
from typing import Callable, Iterable, Sequence

from assistant_core.records import Platform, Product
from assistant_core.seed import load_seed
from assistant_core.settings import PROJECT_ROOT, Settings

WALLET_NLU_PATH = PROJECT_ROOT / "data" / "nlu" / "wallets.yml"
WALLET_TERMS_PATH = PROJECT_ROOT / "bot" / "nlu" / "jieba" / "wallet_terms.txt"
# High enough that jieba keeps 微信支付 whole and never splits 支付宝 across words.
JIEBA_FREQUENCY = 3000

HEADER = (
    "# Generated from knowledge/seed.yml by `python -m actions.knowledge.nlu_aliases`; do not edit.\n"
    "# Seed aliases plus generated variants (Traditional, pinyin, initials, English, homophones).\n"
    "# The lookup feeds bot.nlu.wallets.WalletEntityExtractor, which matches it on normalised text\n"
    "# (bot/nlu/normalise.py) and keeps Latin names to whole words; the synonyms map every name\n"
    "# onto the platform key.\n"
)

# Confusable characters of a pinyin keyboard or of voice input (same toneless syllable, another
# character): what a pinyin IME offers first, and what speech-to-text writes for a brand it mishears.
CONFUSABLE: dict[str, str] = {
    "宝": "包保豹堡",
    "付": "副富服府复",
    "支": "之知只汁",
    "微": "威薇维",
    "信": "新心芯鑫",
    "京": "经晶精惊",
    "东": "冬董",
    "钱": "前潜",
    "苹": "平萍评",
    "财": "才材",
    "通": "同",
    "余": "于鱼",
    "额": "鹅",
    "蚂": "马码",
    "呗": "贝",
}
# Names this long may carry two misheard characters (知府宝) and still read as nothing else.
TWO_TYPOS_MIN_LENGTH = 3
# Chat spellings of a first character: WeChat users write v for 微 (vx, v信) to dodge keyword filters.
CHAT_LETTERS: dict[str, str] = {"微": "v"}
# English for the morphemes wallet names are built from; a name is translated only if every
# part of it is in here (微信钱包 → wechat wallet, 京东 → jd).
GLOSSARY: dict[str, str] = {
    "支付宝": "alipay",
    "微信": "wechat",
    "京东": "jd",
    "苹果": "apple",
    "支付": "pay",
    "钱包": "wallet",
    "金融": "finance",
    "pay": "pay",
    "wallet": "wallet",
}
# Brand words that are also everyday words (苹果 is a fruit): a wallet only next to a support or
# account word (苹果客服, Apple 那边). Brands that are aliases on their own (微信, 京东) need no context.
BRANDS = ("苹果", "apple", "微信", "wechat", "京东", "jd", "支付宝", "alipay")
CONTEXT_WORDS = ("客服", "那边", "官方", "账户", "账号", "扣款", "扣费")
TRADITIONAL_CONFIGS = ("s2t", "s2hk", "s2tw")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_LATIN_ONLY = re.compile(r"^[a-z0-9 .'-]+$")


def _yaml_item(text: str) -> str:
    return f"      - {text}\n"


def wallet_aliases(platforms: Sequence[Platform], products: Sequence[Product]) -> dict[str, list[str]]:
    """Platform key → every alias that names it: its own, then its products' (花呗 → alipay's support)."""
    aliases = {p.key: list(p.aliases) for p in platforms}
    for product in products:
        aliases[product.platform_key].extend(product.aliases)
    return aliases


@lru_cache(maxsize=1)
def _converters() -> tuple[Callable[[str], str], ...]:
    import opencc

    return tuple(opencc.OpenCC(config).convert for config in TRADITIONAL_CONFIGS)


def traditional_forms(name: str) -> set[str]:
    """The name as Traditional writers type it (Taiwan, Hong Kong)."""
    return {convert(name) for convert in _converters()} - {name}


def _syllables(name: str) -> list[str]:
    """Toneless pinyin of the CJK characters, Latin words kept as they are."""
    from pypinyin import lazy_pinyin

    return [s.strip() for s in lazy_pinyin(name) for s in s.split() if s.strip()]


def pinyin_forms(name: str) -> set[str]:
    """'zhifubao' and 'zhi fu bao' for 支付宝."""
    if not _CJK.search(name):
        return set()
    syllables = [s.lower() for s in _syllables(name)]
    return {"".join(syllables), " ".join(syllables)}


def initials_forms(name: str) -> set[str]:
    """Initials of a CJK name (zfb), with the chat spellings (wx → vx, v信)."""
    if not _CJK.fullmatch(name[0]) or not all(_CJK.fullmatch(c) for c in name):
        return set()
    from pypinyin import Style, lazy_pinyin

    letters = "".join(lazy_pinyin(name, style=Style.FIRST_LETTER)).lower()
    forms = {letters}
    chat = CHAT_LETTERS.get(name[0])
    if chat:
        forms |= {chat + letters[1:], chat + name[1:]}
    return forms


def english_forms(name: str) -> set[str]:
    """English for names made only of glossary morphemes (京东钱包 → jd wallet)."""
    words, rest = [], name.lower().replace(" ", "")
    while rest:
        part = next((m for m in sorted(GLOSSARY, key=len, reverse=True) if rest.startswith(m)), None)
        if part is None:
            return set()
        words.append(GLOSSARY[part])
        rest = rest[len(part) :]
    return {" ".join(words)} if len(words) > 1 or words[0] != name.lower() else set()


def homophone_forms(name: str, is_ordinary_word: Callable[[str], bool]) -> set[str]:
    """Confusable characters swapped (支付宝 → 支付包, 知付宝; 知府宝 from voice input); ordinary words never.

    One swap for any name, two for names of TWO_TYPOS_MIN_LENGTH characters or more.
    """
    forms = {name}
    for _round in range(2 if len(name) >= TWO_TYPOS_MIN_LENGTH else 1):
        forms |= {
            form[:i] + other + form[i + 1 :]
            for form in forms
            for i, char in enumerate(form)
            for other in CONFUSABLE.get(char, "")
        }
    return {form for form in forms - {name} if not is_ordinary_word(form)}


@lru_cache(maxsize=1)
def _jieba_words() -> Callable[[str], bool]:
    import jieba

    jieba.setLogLevel(60)
    # A tokenizer of its own: jieba's default dictionary only, never a user dictionary loaded elsewhere.
    default = jieba.Tokenizer()
    default.initialize()
    return lambda word: default.FREQ.get(word, 0) > 0


def _is_brand(alias: str, platform_name: str) -> bool:
    # 微信 is the brand part of 微信支付: short, but people write it (wx, v信) for the wallet.
    return len(alias) >= 2 and platform_name.startswith(alias)


def generated_variants(
    alias: str, platform_name: str, is_ordinary_word: Callable[[str], bool] = lambda _w: False
) -> set[str]:
    """Every generated spelling of one seed alias (the alias itself not included)."""
    variants = traditional_forms(alias) | english_forms(alias)
    if len(alias) < 3 and not _is_brand(alias, platform_name):
        # Two-character product names (花呗, 白条): their initials, typos and spaced pinyin
        # ('hua bei' = 华北) are everyday text; only the pinyin written as one word stays.
        return (variants | {p for p in pinyin_forms(alias) if " " not in p}) - {alias}
    variants |= pinyin_forms(alias) | initials_forms(alias) | homophone_forms(alias, is_ordinary_word)
    return variants - {alias}


def expanded_aliases(
    aliases: dict[str, list[str]],
    platform_names: dict[str, str],
    is_ordinary_word: Callable[[str], bool] | None = None,
) -> dict[str, list[str]]:
    """Platform key → seed aliases, then generated variants no other platform claims."""
    ordinary = is_ordinary_word or _jieba_words()
    seed_names = {a.casefold(): key for key, names in aliases.items() for a in names}
    claimed: dict[str, set[str]] = {}
    for key, names in aliases.items():
        for alias in names:
            for variant in generated_variants(alias, platform_names[key], ordinary):
                claimed.setdefault(variant.casefold(), set()).add(key)
        for form in brand_in_context_forms(names):
            claimed.setdefault(form, set()).add(key)
    out: dict[str, list[str]] = {}
    for key, names in aliases.items():
        extra = sorted(
            v
            for v, keys in claimed.items()
            if keys == {key} and seed_names.get(v, key) == key and v not in {n.casefold() for n in names}
        )
        out[key] = [*names, *extra]
    return out


def brand_in_context_forms(names: Sequence[str]) -> set[str]:
    """'苹果客服', 'apple 客服' for a platform whose aliases start with a brand that is no alias itself."""
    lowered = [n.lower().replace(" ", "") for n in names]
    forms = set()
    for brand in BRANDS:
        if brand not in lowered and sum(n.startswith(brand) for n in lowered) >= 2:
            joiner = " " if brand.isascii() else ""
            forms |= {f"{brand}{joiner}{word}" for word in CONTEXT_WORDS}
    return forms


def _longest_first(names: Iterable[str]) -> list[str]:
    # The extractor tries longer names first, so 微信支付分 wins over 微信支付 and 微信.
    return sorted(set(names), key=lambda a: (-len(a), a))


def render_wallet_nlu(aliases: dict[str, list[str]]) -> str:
    """The NLU file: one synonym block per platform, one lookup with every name."""
    out = [HEADER, 'version: "3.1"\n', "nlu:\n"]
    for key, names in aliases.items():
        out.append(f"  - synonym: {key}\n    examples: |\n")
        out.extend(_yaml_item(alias) for alias in names)
    out.append("  - lookup: wallet\n    examples: |\n")
    out.extend(_yaml_item(alias) for alias in _longest_first(a for names in aliases.values() for a in names))
    return "".join(out)


def render_jieba_terms(aliases: dict[str, list[str]]) -> str:
    """jieba user-dictionary lines 'word freq nz' for every name jieba sees (Simplified, any case)."""
    names = (a for names in aliases.values() for a in names if not _LATIN_ONLY.match(a.lower()) or " " in a)
    return "".join(f"{alias} {JIEBA_FREQUENCY} nz\n" for alias in _longest_first(names))


def seed_wallet_names(seed_path: Path) -> dict[str, list[str]]:
    """Platform key → seed aliases and generated variants: what both generated files list."""
    seed = load_seed(seed_path)
    names = {p.key: p.name for p in seed.platforms}
    return expanded_aliases(wallet_aliases(seed.platforms, seed.products), names)


def write_alias_files(seed_path: Path) -> None:
    """Rewrite both generated files from the seed."""
    aliases = seed_wallet_names(seed_path)
    WALLET_NLU_PATH.write_text(render_wallet_nlu(aliases), encoding="utf-8")
    WALLET_TERMS_PATH.write_text(render_jieba_terms(aliases), encoding="utf-8")


if __name__ == "__main__":
    write_alias_files(Settings.from_env().knowledge_seed_path)
    print(f"Wrote {WALLET_NLU_PATH.relative_to(PROJECT_ROOT)} and {WALLET_TERMS_PATH.relative_to(PROJECT_ROOT)}")
