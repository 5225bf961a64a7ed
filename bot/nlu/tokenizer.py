"""Jieba tokenizer that knows the complaint domain.

On top of Rasa's JiebaTokenizer (which loads the committed domain dictionary):
- tokens carry the normal form of the text (bot/nlu/normalise.py: half-width, Simplified,
  lower case), so 充值失敗 and 充值失败, ＺＦＢ and zfb give the same features (the normal
  form has the same length, so offsets stay exact);
- dictionary phrases that contain a space (Apple Pay, WeChat Pay) come out as
  one token, which jieba alone cannot do.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Dict, List, Optional, Text, Tuple

from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.normalise import normalise

# jieba's own user-dictionary line format: "word [freq] [tag]".
_USERDICT_LINE = re.compile(r"^(.+?)( [0-9]+)?( [a-z]+)?$")


def read_spaced_phrases(dictionary_dir: Optional[Text]) -> Tuple[Tuple[str, ...], ...]:
    """Dictionary entries containing spaces, as lower-cased word tuples, longest first."""
    if not dictionary_dir:
        return ()
    phrases = set()
    for path in sorted(Path(dictionary_dir).glob("*")):
        for line in path.read_text(encoding="utf-8").splitlines():
            match = _USERDICT_LINE.match(line.strip())
            parts = match.group(1).split() if match else []
            if len(parts) > 1:
                phrases.add(tuple(p.lower() for p in parts))
    return tuple(sorted(phrases, key=len, reverse=True))


def merge_spaced_phrases(tokens: List[Token], text: str, phrases: Tuple[Tuple[str, ...], ...]) -> List[Token]:
    """Join runs of tokens like 'Apple', 'Pay' into one 'Apple Pay' token."""
    if not phrases:
        return tokens
    words = [t for t in tokens if t.text.strip()]
    merged: List[Token] = []
    i = 0
    while i < len(words):
        for phrase in phrases:
            run = words[i : i + len(phrase)]
            if len(run) == len(phrase) and all(t.text.lower() == p for t, p in zip(run, phrase, strict=True)):
                gaps_are_spaces = all(text[a.end : b.start].strip() == "" for a, b in zip(run, run[1:], strict=False))
                if gaps_are_spaces:
                    start, end = run[0].start, run[-1].end
                    merged.append(Token(text[start:end], start, end))
                    i += len(phrase)
                    break
        else:
            merged.append(words[i])
            i += 1
    return merged


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER, is_trainable=True, model_from="JiebaTokenizer"
)
class DomainJiebaTokenizer(JiebaTokenizer):
    """JiebaTokenizer with normalised tokens and spaced dictionary phrases."""

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource) -> None:
        super().__init__(config, model_storage, resource)
        self._phrases = read_spaced_phrases(config.get("dictionary_path"))

    @classmethod
    def load(
        cls,
        config: Dict[Text, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> "DomainJiebaTokenizer":
        """Load the dictionary from the model, like JiebaTokenizer, then read its phrases."""
        component = super().load(config, model_storage, resource, execution_context, **kwargs)
        assert isinstance(component, DomainJiebaTokenizer)
        try:
            with model_storage.read_from(resource) as resource_directory:
                component._phrases = read_spaced_phrases(str(resource_directory))
        except ValueError:
            pass  # no dictionary in the model: keep what the config path gave
        return component

    def tokenize(self, message: Message, attribute: Text) -> List[Token]:
        """Tokenize the normal form of the text; token offsets refer to the original."""
        import jieba

        normal = normalise(message.get(attribute))
        tokens = [Token(word, start) for (word, start, _end) in jieba.tokenize(normal)]
        tokens = merge_spaced_phrases(tokens, normal, self._phrases)
        return self._apply_token_pattern(tokens)
