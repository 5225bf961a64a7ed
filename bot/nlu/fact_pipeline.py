"""The spaCy pipeline that finds complaint facts: blank `zh` + jieba, fact spans, an EntityRuler.

    tokenizer (jieba)  →  wallet_fact_spans  →  entity_ruler
                          amounts, times,        demands (退款, 解冻, 道歉,
                          order/ticket numbers   赔偿, 查明原因), id = key

`wallet_fact_spans` applies the character-level rules of `fact_rules` and splits
jieba tokens where a fact starts or ends inside one (jieba reads 1.2万块钱 as
1.2 / 万块 / 钱), so every entity is a whole-token span with exact offsets.

The pipeline is built by `build_pipeline()` and saved with `to_disk` into the Rasa
model (see `bot/nlu/facts.py`); nothing is built or loaded at import. To look at it:

    python -m bot.nlu.fact_pipeline "我昨天晚上用支付宝充了500元没到账"
"""

# No `from __future__ import annotations`: spaCy validates factory signatures with pydantic,
# which needs real (not string) annotations.
import datetime as dt
import sys
from pathlib import Path
from typing import Any, Iterable, List, Optional

import spacy
from spacy.language import Language
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from bot.nlu import fact_rules

FACT_SPANS = "wallet_fact_spans"
NOW_KEY = "wallet_facts_now"
"""`doc.user_data` key holding the message time; relative dates resolve against it."""

LABELS = {
    fact_rules.AMOUNT: "AMOUNT",
    fact_rules.INCIDENT_TIME: "INCIDENT_TIME",
    fact_rules.ORDER_ID: "ORDER_ID",
    fact_rules.TICKET_ID: "TICKET_ID",
    fact_rules.DEMAND: "DEMAND",
}
ENTITY_BY_LABEL = {label: entity for entity, label in LABELS.items()}


class FactSpans:
    """Mark the facts `fact_rules` finds as entities, splitting tokens at their edges."""

    def __call__(self, doc: Doc) -> Doc:
        now = doc.user_data.get(NOW_KEY) or dt.datetime.now()
        facts = fact_rules.find_fact_spans(doc.text, now)
        _split_tokens_at(doc, {offset for fact in facts for offset in (fact.start, fact.end)})
        spans = []
        for fact in facts:
            span = doc.char_span(fact.start, fact.end, label=LABELS[fact.entity])
            if span is not None:
                spans.append(span)
        doc.set_ents(filter_spans([*doc.ents, *spans]), default="outside")
        return doc


@Language.factory(FACT_SPANS)
def make_fact_spans(nlp: Language, name: str) -> FactSpans:
    """spaCy factory of the fact-span component (registered so that `spacy.load` finds it)."""
    return FactSpans()


def _split_tokens_at(doc: Doc, offsets: Iterable[int]) -> None:
    """Split every token that a fact boundary falls inside of."""
    cuts: List[tuple[Token, List[str]]] = []
    for token in doc:
        inner = sorted(o - token.idx for o in offsets if token.idx < o < token.idx + len(token.text))
        if inner:
            bounds = [0, *inner, len(token.text)]
            cuts.append((token, [token.text[a:b] for a, b in zip(bounds, bounds[1:], strict=False)]))
    if not cuts:
        return
    with doc.retokenize() as retokenizer:
        for token, pieces in cuts:
            retokenizer.split(token, pieces, heads=[(token, 0)] * len(pieces))


def build_pipeline() -> Language:
    """A blank Chinese pipeline with jieba segmentation, the fact spans and the demand EntityRuler."""
    nlp = spacy.blank("zh", config={"nlp": {"tokenizer": {"segmenter": "jieba"}}})
    nlp.add_pipe(FACT_SPANS)
    ruler = nlp.add_pipe("entity_ruler", config={"overwrite_ents": False})
    ruler.add_patterns(fact_rules.demand_patterns(LABELS[fact_rules.DEMAND]))  # type: ignore[attr-defined]
    return nlp


def load_pipeline(path: Path) -> Language:
    """A pipeline saved with `nlp.to_disk(path)`."""
    return spacy.load(path)


def run(nlp: Language, text: str, now: dt.datetime) -> Doc:
    """Process one message whose local time is `now`."""
    doc = nlp.make_doc(text)
    doc.user_data[NOW_KEY] = now.replace(tzinfo=None)
    for _name, component in nlp.pipeline:
        doc = component(doc)
    return doc


def span_value(span: Span, now: dt.datetime) -> Optional[Any]:
    """The normalised value of one entity span (None if it does not hold up)."""
    entity = ENTITY_BY_LABEL.get(span.label_)
    if entity == fact_rules.AMOUNT:
        amount = fact_rules.normalise_amount(span.text)
        return amount.normalised if amount else None
    if entity == fact_rules.INCIDENT_TIME:
        moment = fact_rules.resolve_time(span.text, now.replace(tzinfo=None))
        return moment.normalised if moment else None
    if entity in (fact_rules.ORDER_ID, fact_rules.TICKET_ID):
        return span.text
    if entity == fact_rules.DEMAND:
        if fact_rules.is_negated(span.doc.text, span.start_char):
            return None
        return span.ent_id_ or None
    return None


def main(argv: List[str]) -> int:
    """Print the entities of each argument, resolved against the current time."""
    nlp, now = build_pipeline(), dt.datetime.now()
    for text in argv:
        doc = run(nlp, text, now)
        print(text)
        for span in doc.ents:
            print(f"  {ENTITY_BY_LABEL[span.label_]:<14} {span.text!r:<24} → {span_value(span, now)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
