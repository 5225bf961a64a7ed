"""Generate data/nlu/wallets.yml (synonyms + lookup table) from the seed's platform aliases.

The seed is the one place aliases are written; this keeps the NLU data in step:
    python -m actions.knowledge.nlu_aliases > data/nlu/wallets.yml
"""

from __future__ import annotations

import sys
from typing import Sequence

from actions.knowledge.records import Platform
from actions.knowledge.seed import load_seed
from actions.settings import ActionSettings

HEADER = (
    "# Generated from knowledge/seed.yml by `python -m actions.knowledge.nlu_aliases`; do not edit.\n"
    "# The lookup feeds RegexEntityExtractor (use_word_boundaries: false, since Chinese has no spaces);\n"
    "# the synonyms map every alias onto the platform key.\n"
)


def _yaml_item(text: str) -> str:
    return f"      - {text}\n"


def render_wallet_nlu(platforms: Sequence[Platform]) -> str:
    """The NLU file: one synonym block per platform, one lookup with every alias."""
    out = [HEADER, 'version: "3.1"\n', "nlu:\n"]
    for platform in platforms:
        out.append(f"  - synonym: {platform.key}\n    examples: |\n")
        out.extend(_yaml_item(alias) for alias in platform.aliases)
    # Longest first: the lookup becomes one regex alternation, which takes the first match.
    aliases = sorted({a for p in platforms for a in p.aliases}, key=lambda a: (-len(a), a))
    out.append("  - lookup: wallet\n    examples: |\n")
    out.extend(_yaml_item(alias) for alias in aliases)
    return "".join(out)


if __name__ == "__main__":
    sys.stdout.write(render_wallet_nlu(load_seed(ActionSettings.from_env().knowledge_seed_path).platforms))
