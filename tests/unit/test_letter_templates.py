"""The seed's letter templates: validated with file, record and field; imported and exported intact."""

from __future__ import annotations

from pathlib import Path

import pytest

from actions.knowledge.seed_export import dump_seed
from actions.knowledge.store import KnowledgeStore, import_seed, make_engine
from assistant_core.seed import SeedError, load_seed
from tests.conftest import SEED_PATH, write_seed


def test_every_escalation_step_has_exactly_one_template() -> None:
    seed = load_seed(SEED_PATH)
    assert seed.letters is not None
    for step in seed.escalation:
        templates = [t.key for t in seed.letters.templates if step.key in t.for_steps]
        assert len(templates) == 1, step.key
    assert {t.key for t in seed.letters.templates} == {
        "platform_desk",
        "card_issuer_desk",
        "regulator_12315",
        "regulator_12363",
        "regulator_bank",
        "regulator_finance",
        "regulator_fund",
        "regulator_lender",
        "legal_consultation",
    }


def test_apple_pays_police_step_letter_goes_to_the_bank_and_other_wallets_to_the_platform() -> None:
    seed = load_seed(SEED_PATH)
    assert seed.letters is not None
    chosen = {
        (step, wallet): getattr(seed.letters.template_for_step(step, wallet), "key", None)
        for step, wallet in [("police", "apple_pay"), ("police", "alipay"), ("legal_route", "apple_pay")]
    }
    assert chosen == {
        ("police", "apple_pay"): "card_issuer_desk",
        ("police", "alipay"): "platform_desk",
        ("legal_route", "apple_pay"): "legal_consultation",
    }


def test_a_wallet_step_given_two_templates_is_refused(tmp_path: Path) -> None:
    def twice(data: dict) -> None:
        templates = data["letter_templates"]["templates"]
        next(t for t in templates if t["key"] == "platform_desk")["for_wallet_steps"] = {"apple_pay": ["police"]}

    path = write_seed(tmp_path, twice)
    with pytest.raises(SeedError) as error:
        load_seed(path)
    assert error.value.field == "for_wallet_steps.apple_pay" and "already has the template" in error.value.problem


@pytest.mark.parametrize(
    ("mutate", "record", "field"),
    [
        (
            lambda d: d["letter_templates"]["templates"][0].update(subject="关于{wallet}的投诉"),
            "letter_templates.templates[0] (key=platform_desk)",
            "subject",
        ),
        (
            lambda d: d["letter_templates"]["templates"][2]["paragraphs"].append("{facts"),
            "letter_templates.templates[2] (key=regulator_12315)",
            "paragraphs[13]",
        ),
        (
            lambda d: d["letter_templates"]["templates"][0]["for_steps"].remove("police"),
            "letter_templates.templates",
            "for_steps",
        ),
        (
            lambda d: d["letter_templates"]["templates"][3]["for_steps"].append("police"),
            "letter_templates.templates[3] (key=regulator_12363)",
            "for_steps",
        ),
        (
            lambda d: d["letter_templates"]["templates"][0]["for_steps"].append("lawsuit"),
            "letter_templates.templates[0] (key=platform_desk)",
            "for_steps",
        ),
        (lambda d: d["letter_templates"]["demands"].pop("refund"), "letter_templates.demands", "refund"),
        (lambda d: d["letter_templates"]["facts"].update(card_theft="…"), "letter_templates.facts", "card_theft"),
        (
            lambda d: d["letter_templates"]["templates"][0].pop("version"),
            "letter_templates.templates[0] (key=platform_desk)",
            "version",
        ),
        (lambda d: d.pop("letter_templates"), "letter_templates", "*"),
    ],
)
def test_bad_letter_templates_name_file_record_and_field(tmp_path: Path, mutate, record: str, field: str) -> None:
    path = write_seed(tmp_path, mutate)
    with pytest.raises(SeedError) as error:
        load_seed(path)
    assert (error.value.path, error.value.record, error.value.field) == (path, record, field)


def test_templates_round_trip_through_the_store_and_export(tmp_path: Path, store: KnowledgeStore) -> None:
    original = store.letter_kit()
    exported = tmp_path / "exported.yml"
    exported.write_text(dump_seed(store), encoding="utf-8")
    copy_url = f"sqlite:///{tmp_path / 'copy.db'}"
    import_seed(make_engine(copy_url), load_seed(exported), "copy")
    assert KnowledgeStore(make_engine(copy_url)).letter_kit() == original
    assert original is not None and original.template_for_step("regulator_12315").key == "regulator_12315"  # type: ignore[union-attr]


def test_editing_a_template_is_a_seed_edit_and_an_import(tmp_path: Path, seeded_db_url: str) -> None:
    def edit(data: dict) -> None:
        data["letter_templates"]["templates"][0]["subject"] = "投诉：{wallet_name}{problem_name}"
        data["letter_templates"]["templates"][0]["version"] = 2

    edited = write_seed(tmp_path, edit)
    import_seed(make_engine(seeded_db_url), load_seed(edited), "edited")
    kit = KnowledgeStore(make_engine(seeded_db_url)).letter_kit()
    assert kit is not None
    template = kit.template_for_step("platform_support")
    assert template is not None and (template.subject, template.version) == ("投诉：{wallet_name}{problem_name}", 2)
