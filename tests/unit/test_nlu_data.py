"""The NLU data stays in step with the knowledge seed and keeps the contract."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from rasa.shared.nlu.training_data.loading import load_data

from actions.knowledge.nlu_aliases import (
    WALLET_NLU_PATH,
    WALLET_TERMS_PATH,
    render_jieba_terms,
    render_wallet_nlu,
    seed_wallet_names,
)
from assistant_core.seed import load_seed
from bench.nlu_data import LOOKED_AT_SETS, SEALED_SETS
from tests.conftest import ROOT, SEED_PATH

CONTRACT_INTENTS = {
    "report_topup_failure",
    "report_fund_security",
    "report_support_unresponsive",
    "ask_account_closure",
    "ask_hotline",
    "ask_evidence",
    "ask_next_step",
    "ask_legal_rights",
    "inform",
    "greet",
    "goodbye",
    "thank",
    "affirm",
    "deny",
    "bot_challenge",
    "out_of_scope",
}


# Looked-at evaluation sets, the ones make eval scores beside the sealed part (holdout.yml is among them).
FRESH_SETS = [ROOT / "tests" / "nlu" / n for n in LOOKED_AT_SETS if n.startswith("fresh_")]


def test_wallet_alias_files_are_generated_from_the_seed() -> None:
    aliases = seed_wallet_names(SEED_PATH)
    hint = "run: python -m actions.knowledge.nlu_aliases, then make train"
    assert WALLET_NLU_PATH.read_text(encoding="utf-8") == render_wallet_nlu(aliases), hint
    assert WALLET_TERMS_PATH.read_text(encoding="utf-8") == render_jieba_terms(aliases), hint


def test_every_annotated_wallet_maps_to_a_platform_key() -> None:
    """Seeded wallets are annotated with their seed aliases, the others with a name of their lookup:
    a name is never both (the closed set stays closed)."""
    aliases = {a.casefold() for names in seed_wallet_names(SEED_PATH).values() for a in names}
    other_data = load_data(str(ROOT / "data" / "nlu" / "other_wallets.yml"))
    others = {str(n).casefold() for t in other_data.lookup_tables if t["name"] == "other_wallet" for n in t["elements"]}
    assert others and not others & aliases
    known = {"wallet": aliases, "other_wallet": others}
    for path in [*sorted((ROOT / "data" / "nlu").glob("*.yml")), ROOT / "tests" / "nlu" / "holdout.yml"]:
        for example in load_data(str(path)).training_examples:
            for entity in example.get("entities") or []:
                assert entity["entity"] in known
                span = example.get("text")[entity["start"] : entity["end"]]
                assert span.casefold() in known[entity["entity"]], f"{path.name}: '{span}' in '{example.get('text')}'"


def test_intents_are_the_contract_and_training_sizes_are_met() -> None:
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert CONTRACT_INTENTS <= set(domain["intents"]), "contract intents may be added to, never renamed"
    data = load_data(str(ROOT / "data" / "nlu"))
    counts = data.number_of_examples_per_intent
    assert set(counts) == set(domain["intents"])
    for intent, count in counts.items():
        assert count >= (50 if intent.startswith("report_") else 20), intent


def test_holdout_and_fresh_sets_are_never_trained_on() -> None:
    training = {e.get("text") for e in load_data(str(ROOT / "data" / "nlu")).training_examples}
    for path in [Path(ROOT / "tests" / "nlu" / "holdout.yml"), *FRESH_SETS]:
        held_out = {e.get("text") for e in load_data(str(path)).training_examples}
        assert not training & held_out, f"{path.name}: {sorted(training & held_out)}"


def test_fresh_sets_are_big_enough_and_name_wallets_by_platform_key() -> None:
    keys = {p.key for p in load_seed(SEED_PATH).platforms}
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    sizes = {}
    for path in FRESH_SETS:
        examples = load_data(str(path)).intent_examples
        sizes[path.name] = len(examples)
        assert {e.get("intent") for e in examples} <= set(domain["intents"]), path.name
        for example in examples:
            for entity in example.get("entities") or []:
                named = entity["entity"] == "other_wallet" or entity["value"] in keys
                assert entity["entity"] in {"wallet", "other_wallet"} and named, f"{path.name}: {example.get('text')}"
    assert sum(sizes.values()) >= 400 and sizes["fresh_hidden.yml"] >= 150, sizes


@pytest.mark.parametrize("sealed_set", [ROOT / "tests" / "nlu" / n for n in SEALED_SETS], ids=lambda path: path.stem)
def test_the_sealed_set_is_never_trained_on_and_covers_every_intent(sealed_set: Path) -> None:
    """The final figure's sets. Their messages are never printed (reading them would be tuning on
    them): a failure names a training text that also sits in one, or counts, nothing more."""
    training = {e.get("text") for e in load_data(str(ROOT / "data" / "nlu")).training_examples}
    sealed = load_data(str(sealed_set)).intent_examples
    overlap = sorted(training & {e.get("text") for e in sealed})
    assert not overlap, f"training texts that are also in the sealed set, remove them from data/nlu: {overlap}"
    domain = yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))
    assert {e.get("intent") for e in sealed} == set(domain["intents"])
    keys = {p.key for p in load_seed(SEED_PATH).platforms}
    wrong = sum(
        1
        for example in sealed
        for entity in example.get("entities") or []
        if not (entity["entity"] == "other_wallet" or (entity["entity"] == "wallet" and entity["value"] in keys))
    )
    assert wrong == 0, f"{wrong} annotations in the sealed set are neither a platform key nor other_wallet"
    assert len(sealed) >= 400
