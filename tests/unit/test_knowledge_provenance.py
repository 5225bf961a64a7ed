"""Every fact carries its own source and check date; guidance states no facts; the report is current."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any, Callable

import pytest

from actions import base
from actions.knowledge.__main__ import main as knowledge_cli
from actions.knowledge.store import KnowledgeStore, import_seed, make_engine, seed_fingerprint
from actions.server import knowledge_health
from assistant_core.apology import service_unavailable_text
from assistant_core.fact_report import as_of_in, facts_of, render_report
from assistant_core.seed import SeedError, load_seed
from assistant_core.settings import DEFAULT_FACT_MAX_AGE_DAYS
from tests.conftest import ROOT, SEED_PATH, write_seed

REPORT_PATH = ROOT / "docs" / "knowledge.md"


def step(data: dict, category: str, key: str) -> dict:
    return next(s for s in data["escalation_steps"] if s["category"] == category and s["key"] == key)


def test_every_fact_in_the_shipped_seed_cites_a_declared_source_and_a_date() -> None:
    """Facts (an article passage, a page) carry the day they were checked; our own guidance carries none."""
    seed = load_seed(SEED_PATH)
    declared = {s.key: s for s in seed.sources}
    facts = list(facts_of(seed))
    assert len(facts) > 100
    for fact in facts:
        assert fact.provenance.source in declared, fact.record
        if declared[fact.provenance.source].kind == "guidance":
            assert fact.provenance.verified_on is None, fact.record
        else:
            assert fact.provenance.verified_on is not None, fact.record
            assert fact.provenance.verified_on <= dt.date.today(), fact.record
    for source in declared.values():
        assert source.kind != "page" or (source.url and source.read_on), source.key
        assert source.kind != "article" or source.passage, source.key


def test_every_hotline_we_print_comes_from_the_article_or_a_page() -> None:
    seed = load_seed(SEED_PATH)
    kinds = {s.key: s.kind for s in seed.sources}
    for platform in seed.platforms:
        assert kinds[platform.provenance["hotline"].source] in ("article", "page"), platform.key


@pytest.mark.parametrize(
    ("mutate", "record", "field"),
    [
        (lambda d: step(d, "fund_security", "police").pop("source"), "escalation_steps[", "source"),
        (lambda d: step(d, "topup_failure", "supervisor").pop("verified_on"), "escalation_steps[", "verified_on"),
        (lambda d: d["platforms"][0]["sources"].pop("operator"), "platforms[0] (key=alipay)", "sources.operator"),
        (lambda d: d["categories"][1]["advice"]["urgent"][0].pop("source"), "categories[1]", "source"),
        (lambda d: d["notices"].update(fraud_warning="别把验证码告诉别人"), "notices.fraud_warning", "*"),
        (lambda d: d["evidence_items"][0].update(source="public"), "evidence_items[0]", "source"),
        (
            lambda d: next(t for t in d["letter_templates"]["templates"] if t["key"] == "regulator_12315").pop(
                "verified_on"
            ),
            "letter_templates.templates[",
            "verified_on",
        ),
        # Our own guidance is not a checked fact: a check date on it is refused.
        (
            lambda d: step(d, "fund_security", "supervisor").update(verified_on="2026-12-08"),
            "escalation_steps[",
            "verified_on",
        ),
    ],
)
def test_a_record_without_source_or_date_is_refused_naming_file_record_and_field(
    tmp_path: Path, mutate: Callable[[dict], Any], record: str, field: str
) -> None:
    path = write_seed(tmp_path, mutate)
    with pytest.raises(SeedError) as error:
        load_seed(path)
    assert error.value.path == path
    assert error.value.record.startswith(record)
    assert error.value.field == field


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("一般3个工作日内会有答复。", "a number"),
        ("平台七天内必须处理。", "a time limit"),
        ("平台应当给出解决方案。", "a legal claim"),
        ("依据《电子商务法》平台要负责。", "a legal claim"),
    ],
)
def test_guidance_may_not_state_numbers_deadlines_or_law(tmp_path: Path, text: str, why: str) -> None:
    path = write_seed(tmp_path, lambda d: step(d, "support_unresponsive", "platform_support").update(advice=text))
    with pytest.raises(SeedError) as error:
        load_seed(path)
    assert error.value.field == "advice" and why in error.value.problem


def test_the_fraud_ladder_may_not_ask_a_victim_to_wait(tmp_path: Path) -> None:
    path = write_seed(tmp_path, lambda d: step(d, "fund_security", "supervisor").update(suggested_wait_days=7))
    with pytest.raises(SeedError) as error:
        load_seed(path)
    assert error.value.field == "suggested_wait_days"


def test_the_check_command_refuses_and_leaves_the_database_unchanged(
    tmp_path: Path, seeded_db_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("KNOWLEDGE_DB_URL", seeded_db_url)
    bad = write_seed(tmp_path, lambda d: step(d, "fund_security", "police").pop("verified_on"))
    assert knowledge_cli(["import", "--seed", str(bad)]) == 2
    assert "'verified_on': is missing" in capsys.readouterr().err
    assert KnowledgeStore(make_engine(seeded_db_url)).escalation_ladder("fund_security")[1].key == "police"


def test_docs_knowledge_md_is_generated_from_the_current_seed() -> None:
    committed = REPORT_PATH.read_text(encoding="utf-8")
    as_of = as_of_in(committed)
    assert as_of is not None
    expected = render_report(load_seed(SEED_PATH), as_of, DEFAULT_FACT_MAX_AGE_DAYS)
    hint = "docs/knowledge.md is stale: run `python -m actions.knowledge docs --out docs/knowledge.md`"
    assert committed == expected, hint
    assert "## Not verified, so not said" in committed and "12378" in committed


def test_old_facts_are_counted_for_re_checking(store: KnowledgeStore) -> None:
    dates = [f.provenance.verified_on for f in facts_of(load_seed(SEED_PATH)) if f.provenance.verified_on]
    newest = max(dates)
    assert store.stale_facts(newest, 180) == 0
    # Half a year later every checked fact is due: the count the operator sees. Our own guidance has
    # no check date and is never counted.
    assert store.stale_facts(newest + dt.timedelta(days=181), 180) == len(dates)


def test_the_outage_apology_is_plain_text_from_an_exported_seed(
    tmp_path: Path, seeded_db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KNOWLEDGE_DB_URL", seeded_db_url)
    exported = tmp_path / "exported.yml"
    assert knowledge_cli(["export", "--out", str(exported)]) == 0
    assert "text:" in exported.read_text(encoding="utf-8")  # notices as mappings: the layout that broke
    apology = service_unavailable_text(exported)
    assert apology.startswith("非常抱歉")
    assert "· 支付宝：95188" in apology and "· Apple Pay：400-666-8800" in apology
    assert "{" not in apology and "verified_on" not in apology and "datetime" not in apology


def test_the_health_route_counts_facts_due_for_re_checking(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def age_everything(data: Any) -> None:
        if isinstance(data, dict):
            for key, value in data.items():
                if key == "verified_on":
                    data[key] = dt.date(2025, 1, 2)
                else:
                    age_everything(value)
        elif isinstance(data, list):
            for item in data:
                age_everything(item)

    old = write_seed(tmp_path, age_everything)
    url = f"sqlite:///{tmp_path / 'old.db'}"
    import_seed(make_engine(url), load_seed(old), seed_fingerprint(old))
    monkeypatch.setenv("KNOWLEDGE_DB_URL", url)
    monkeypatch.setenv("KNOWLEDGE_FACT_MAX_AGE_DAYS", "180")
    base.knowledge_store.cache_clear()
    try:
        state, status = knowledge_health()
    finally:
        base.knowledge_store.cache_clear()
    assert status == 200 and state["state"] == "ok"
    dated = [f for f in facts_of(load_seed(old)) if f.provenance.verified_on is not None]
    assert state["facts_due_for_recheck"] == len(dated) > 0
    assert state["recheck_after_days"] == 180
