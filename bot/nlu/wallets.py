"""Rasa NLU component: wallet names, a closed set, matched on the normalised text.

The names come from the `wallet` lookup table and its synonyms (data/nlu/wallets.yml, generated
from the seed by `python -m actions.knowledge.nlu_aliases`). Matching rules:
- the text is normalised first (bot/nlu/normalise.py): ｚＦＢ, ZFB and zfb, 支付寶 and 支付宝 are one;
- a Latin edge of a name must be a word edge (wx in 'wxid' or jd in 'jdk' is no wallet), spaces
  inside a Latin name are optional ('zhi fu bao', 'zhifubao');
- a match must start and end on token boundaries of the domain tokenizer, so a name that jieba
  reads as part of an ordinary word (支付保 in 支付保证金) is no wallet;
- the entity's value is the platform key; start/end point into the original text.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Pattern, Text

import rasa.shared.utils.io
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.extractors.extractor import EntityExtractorMixin
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.entities import add_entities, entity_start
from bot.nlu.entities import entity as make_entity
from bot.nlu.normalise import normalise
from bot.nlu.stored_component import StoredStateComponent

NAMES_FILE = "wallet_names.json"
_SPACES = re.compile(r"\s+")


def compact(name: str) -> str:
    """The normal form of a name without spaces: the key of the name → platform map."""
    return _SPACES.sub("", normalise(name))


def name_pattern(name: str) -> str:
    """Regex for one name on normalised text: optional inner spaces, Latin edges on word edges."""
    parts = [re.escape(p) for p in normalise(name).split()]
    body = r"\s*".join(parts)
    head = r"(?<![a-z0-9])" if body[:1].isascii() and body[:1].isalnum() else ""
    tail = r"(?![a-z0-9])" if body[-1:].isascii() and body[-1:].isalnum() else ""
    return head + body + tail


def build_matcher(names: Dict[str, str]) -> Optional[Pattern[str]]:
    """One alternation, longest name first, so 微信支付分 wins over 微信支付 and 微信."""
    if not names:
        return None
    ordered = sorted(names, key=lambda n: (-len(compact(n)), n))
    return re.compile("|".join(name_pattern(n) for n in ordered))


_NEGATION = re.compile(r"(?:不是|并非|而非|不用|没用)\s*(?:用)?\s*$")
# The role of a wallet the user names only to take it back: Rasa's slot mappings and the
# actions read role-less entities only, so the case keeps the wallet the user meant.
NEGATED_ROLE = "negated"


def mark_negated(normal: str, entities: List[Dict[str, Any]]) -> List[Dict[str, Any]]:
    """A correction ("不是支付宝，是京东的") names the wrong wallet after a negation: when another
    wallet is named too, the negated ones keep their place with role "negated" (the message does
    name them) but fill nothing. `normal` is the normalised text."""
    negated = [bool(_NEGATION.search(normal[max(0, entity_start(e) - 4) : entity_start(e)])) for e in entities]
    if all(negated):
        return entities
    return [{**e, "role": NEGATED_ROLE} if n else e for e, n in zip(entities, negated, strict=True)]


def find_wallets(
    text: str,
    names: Dict[str, str],
    matcher: Optional[Pattern[str]],
    token_edges: Optional[set[int]] = None,
    entity: str = "wallet",
) -> List[Dict[str, Any]]:
    """`entity` entities (value = platform key or name) in `text`; `names` maps compact names to values."""
    if matcher is None or not text:
        return []
    entities = []
    normal = normalise(text)
    for match in matcher.finditer(normal):
        start, end = match.span()
        if token_edges is not None and not {start, end} <= token_edges:
            continue
        key = names.get(_SPACES.sub("", match.group()))
        if key:
            entities.append(make_entity(entity, start, end, key))
    return mark_negated(normal, entities)


def names_from_training_data(training_data: TrainingData, entity: str) -> Dict[str, str]:
    """Compact name → platform key, from the lookup table named `entity` and the synonyms."""
    synonyms = {compact(alias): key for alias, key in training_data.entity_synonyms.items()}
    names: Dict[str, str] = {}
    for table in training_data.lookup_tables:
        if table.get("name") == entity:
            for name in table.get("elements") or []:
                names[str(name)] = synonyms.get(compact(str(name)), str(name))
    return names


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.ENTITY_EXTRACTOR, is_trainable=True)
class WalletEntityExtractor(StoredStateComponent, EntityExtractorMixin):
    """Finds wallet names of the lookup table on the normalised text, as platform keys."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """The lookup table (and entity) the names come from."""
        return {"entity": "wallet"}

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, model_storage, resource)
        self._set_names({})

    def _set_names(self, names: Dict[str, str]) -> None:
        self._names = names  # name as listed → platform key
        self._keys = {compact(n): k for n, k in names.items()}
        self._matcher = build_matcher(names)

    def train(self, training_data: TrainingData) -> Resource:
        """Read the names from the lookup table and persist them."""
        self._set_names(names_from_training_data(training_data, self._config["entity"]))
        if not self._names:
            rasa.shared.utils.io.raise_warning(f"No lookup table named '{self._config['entity']}': no wallets found.")
        with self._model_storage.write_to(self._resource) as directory:
            rasa.shared.utils.io.dump_obj_as_json_to_file(directory / NAMES_FILE, self._names)
        return self._resource

    def restore(self, directory: Path) -> None:
        """The names persisted at training."""
        self._set_names(rasa.shared.utils.io.read_json_file(directory / NAMES_FILE))

    def restore_failed(self, error: Exception) -> None:
        rasa.shared.utils.io.raise_warning(f"WalletEntityExtractor has no names in the model ({error}); retrain.")

    def process(self, messages: List[Message]) -> List[Message]:
        """Append the wallet entities of each message."""
        for message in messages:
            tokens = message.get(TOKENS_NAMES[TEXT]) or []
            edges = {t.start for t in tokens} | {t.end for t in tokens} if tokens else None
            found = find_wallets(message.get(TEXT) or "", self._keys, self._matcher, edges, self._config["entity"])
            add_entities(message, self.add_extractor_name(found))
        return messages
