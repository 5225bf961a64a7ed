"""Seed import, idempotence, validation with rollback, and queries."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from actions.knowledge import schema
from actions.knowledge.__main__ import main as knowledge_cli
from actions.knowledge.store import (
    KnowledgeStore,
    KnowledgeStoreUnavailable,
    import_seed,
    make_engine,
    seed_fingerprint,
)
from assistant_core.seed import SeedError, load_seed
from tests.conftest import SEED_PATH, write_seed


def table_counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    with engine.connect() as conn:
        return {
            t.name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for t in schema.metadata.sorted_tables
        }


def test_store_answers_hotlines_from_the_seed(store: KnowledgeStore) -> None:
    hotlines = {p.key: p.hotline for p in store.platforms()}
    assert hotlines == {
        "alipay": "95188",
        "wechat_pay": "95017",
        "jd_wallet": "400-606-5500",
        "apple_pay": "400-666-8800",
    }


def test_aliases_resolve_whatever_the_case(store: KnowledgeStore) -> None:
    assert store.platform_key_for_alias("支付包") == "alipay"
    assert store.platform_key_for_alias("APPLE PAY") == "apple_pay"
    assert store.platform_key_for_alias("财付通") == "wechat_pay"
    assert store.platform_key_for_alias("jd_wallet") == "jd_wallet"
    assert store.platform_key_for_alias("银联") is None


@pytest.mark.parametrize("wallet", [None, "alipay", "wechat_pay", "jd_wallet", "apple_pay"])
def test_ladders_run_from_first_contact_to_legal_route(store: KnowledgeStore, wallet) -> None:
    for category in ("topup_failure", "fund_security", "support_unresponsive"):
        ladder = store.escalation_ladder(category, wallet)
        assert [s.position for s in ladder] == list(range(1, len(ladder) + 1))
        assert ladder[-1].legal
        assert any(number in s.contact for s in ladder for number in ("12363", "12315", "12378"))
        if wallet != "apple_pay":
            assert ladder[0].uses_platform_contact


def test_import_is_idempotent(seeded_db_url: str) -> None:
    before = table_counts(seeded_db_url)
    import_seed(make_engine(seeded_db_url), load_seed(SEED_PATH), seed_fingerprint(SEED_PATH))
    assert table_counts(seeded_db_url) == before
    assert before["platforms"] == 4 and before["escalation_steps"] >= 12


def test_changing_a_hotline_is_a_seed_edit_and_an_import(tmp_path: Path, seeded_db_url: str) -> None:
    def change(data: dict) -> None:
        data["platforms"][0]["hotline"] = "95555"

    edited = write_seed(tmp_path, change)
    import_seed(make_engine(seeded_db_url), load_seed(edited), seed_fingerprint(edited))
    assert KnowledgeStore(make_engine(seeded_db_url)).platform("alipay").hotline == "95555"  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("mutate", "record", "field"),
    [
        (lambda d: d["platforms"][1].pop("hotline"), "platforms[1] (key=wechat_pay)", "sources.hotline"),
        (lambda d: d["platforms"][2].update(hotline="call us"), "platforms[2] (key=jd_wallet)", "hotline"),
        (lambda d: d["escalation_steps"][0].update(source="blog"), "escalation_steps[0]", "source"),
        (lambda d: d["evidence_items"][0].update(platform="paypal"), "evidence_items[0]", "platform"),
        (lambda d: d["categories"][0].update(colour="red"), "categories[0] (key=topup_failure)", "colour"),
        (lambda d: d["escalation_steps"][1].update(position=9), "escalation_steps (topup_failure,", "position"),
    ],
)
def test_bad_seed_names_file_record_and_field(tmp_path: Path, mutate, record: str, field: str) -> None:
    path = write_seed(tmp_path, mutate)
    with pytest.raises(SeedError) as error:
        load_seed(path)
    assert error.value.path == path
    assert error.value.record.startswith(record)
    assert error.value.field == field
    assert str(path) in str(error.value)


def test_bad_seed_through_the_cli_leaves_the_database_unchanged(
    tmp_path: Path, seeded_db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    before = table_counts(seeded_db_url)
    bad = write_seed(tmp_path, lambda d: d["platforms"][3].update(hotline="call us"))
    monkeypatch.setenv("KNOWLEDGE_DB_URL", seeded_db_url)
    assert knowledge_cli(["import", "--seed", str(bad)]) == 2
    message = capsys.readouterr().err
    assert "database unchanged" in message and "platforms[3] (key=apple_pay)" in message and "'hotline'" in message
    assert table_counts(seeded_db_url) == before
    assert KnowledgeStore(make_engine(seeded_db_url)).platform("alipay").hotline == "95188"  # type: ignore[union-attr]


def test_a_failing_insert_rolls_back_everything(seeded_db_url: str) -> None:
    seed = load_seed(SEED_PATH)
    broken = seed.__class__(
        seed.version,
        seed.platforms,
        seed.categories,
        seed.evidence,
        seed.escalation + seed.escalation[:1],
        seed.notices,
    )
    before = table_counts(seeded_db_url)
    with pytest.raises(IntegrityError):
        import_seed(make_engine(seeded_db_url), broken, "x")
    assert table_counts(seeded_db_url) == before


def test_export_then_import_gives_the_same_store(tmp_path: Path, seeded_db_url: str, monkeypatch) -> None:
    monkeypatch.setenv("KNOWLEDGE_DB_URL", seeded_db_url)
    exported = tmp_path / "exported.yml"
    assert knowledge_cli(["export", "--out", str(exported)]) == 0
    copy_url = f"sqlite:///{tmp_path / 'copy.db'}"
    import_seed(make_engine(copy_url), load_seed(exported), "copy")
    original, copy = KnowledgeStore(make_engine(seeded_db_url)), KnowledgeStore(make_engine(copy_url))
    assert original.platforms() == copy.platforms()
    assert original.escalation_ladder("fund_security") == copy.escalation_ladder("fund_security")
    assert original.evidence_checklist("topup_failure", "alipay") == copy.evidence_checklist("topup_failure", "alipay")


def test_check_does_not_touch_the_database(tmp_path: Path, monkeypatch) -> None:
    url = f"sqlite:///{tmp_path / 'never.db'}"
    monkeypatch.setenv("KNOWLEDGE_DB_URL", url)
    seed_copy = tmp_path / "seed.yml"
    shutil.copy(SEED_PATH, seed_copy)
    assert knowledge_cli(["check", "--seed", str(seed_copy)]) == 0
    assert not (tmp_path / "never.db").exists()


def test_one_store_serves_several_threads_each_in_its_own_transaction(store: KnowledgeStore) -> None:
    """The action server shares one store between its threads; multi-query reads must not mix."""
    from concurrent.futures import ThreadPoolExecutor

    def read(_: int) -> tuple:
        return store.platforms(), store.category("fund_security"), store.letter_kit().templates[0].key

    expected = read(0)
    with ThreadPoolExecutor(max_workers=5) as pool:
        assert all(result == expected for result in pool.map(read, range(40)))


def test_missing_content_is_one_not_seeded_error(tmp_path: Path) -> None:
    empty = KnowledgeStore(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"))
    import_seed(make_engine(f"sqlite:///{tmp_path / 'empty.db'}"), load_seed(SEED_PATH), "x")
    for read in (lambda: empty.category("no_such"), lambda: empty.escalation_ladder("no_such")):
        with pytest.raises(KnowledgeStoreUnavailable, match="not seeded"):
            read()
