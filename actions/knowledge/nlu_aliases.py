"""Generate the NLU files that list wallet aliases, from the seed's platforms.

The seed is the one place aliases are written; this keeps the NLU data in step:
    python -m actions.knowledge.nlu_aliases        # rewrites both files below
- data/nlu/wallets.yml: synonyms (alias → platform key) and the lookup table;
- bot/nlu/jieba/wallet_terms.txt: jieba user dictionary, so aliases segment as words.
Aliases change the model: retrain afterwards (`make train`).
"""

from __future__ import annotations

from pathlib import Path
from typing import Sequence

from assistant_core.records import Platform, Product
from assistant_core.seed import load_seed
from assistant_core.settings import PROJECT_ROOT, Settings

WALLET_NLU_PATH = PROJECT_ROOT / "data" / "nlu" / "wallets.yml"
WALLET_TERMS_PATH = PROJECT_ROOT / "bot" / "nlu" / "jieba" / "wallet_terms.txt"
# High enough that jieba keeps 微信支付 whole and never splits 支付宝 across words.
JIEBA_FREQUENCY = 3000

HEADER = (
    "# Generated from knowledge/seed.yml by `python -m actions.knowledge.nlu_aliases`; do not edit.\n"
    "# The lookup feeds RegexEntityExtractor (use_word_boundaries: false, since Chinese has no spaces);\n"
    "# the synonyms map every alias onto the platform key.\n"
)


def _yaml_item(text: str) -> str:
    return f"      - {text}\n"


def wallet_aliases(platforms: Sequence[Platform], products: Sequence[Product]) -> dict[str, list[str]]:
    """Platform key → every alias that names it: its own, then its products' (花呗 → alipay's support)."""
    aliases = {p.key: list(p.aliases) for p in platforms}
    for product in products:
        aliases[product.platform_key].extend(product.aliases)
    return aliases


def _longest_first(aliases: dict[str, list[str]]) -> list[str]:
    # The lookup becomes one regex alternation, which takes the first alternative that matches.
    return sorted({a for names in aliases.values() for a in names}, key=lambda a: (-len(a), a))


def render_wallet_nlu(aliases: dict[str, list[str]]) -> str:
    """The NLU file: one synonym block per platform, one lookup with every alias."""
    out = [HEADER, 'version: "3.1"\n', "nlu:\n"]
    for key, names in aliases.items():
        out.append(f"  - synonym: {key}\n    examples: |\n")
        out.extend(_yaml_item(alias) for alias in names)
    out.append("  - lookup: wallet\n    examples: |\n")
    out.extend(_yaml_item(alias) for alias in _longest_first(aliases))
    return "".join(out)


def render_jieba_terms(aliases: dict[str, list[str]]) -> str:
    """jieba user-dictionary lines 'word freq nz' for every alias."""
    return "".join(f"{alias} {JIEBA_FREQUENCY} nz\n" for alias in _longest_first(aliases))


def write_alias_files(seed_path: Path) -> None:
    """Rewrite both generated files from the seed."""
    seed = load_seed(seed_path)
    aliases = wallet_aliases(seed.platforms, seed.products)
    WALLET_NLU_PATH.write_text(render_wallet_nlu(aliases), encoding="utf-8")
    WALLET_TERMS_PATH.write_text(render_jieba_terms(aliases), encoding="utf-8")


if __name__ == "__main__":
    write_alias_files(Settings.from_env().knowledge_seed_path)
    print(f"Wrote {WALLET_NLU_PATH.relative_to(PROJECT_ROOT)} and {WALLET_TERMS_PATH.relative_to(PROJECT_ROOT)}")
