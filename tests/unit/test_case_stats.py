"""The anonymised statistics export on a seeded set of case files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from actions import case_stats
from actions.case_store import CaseStore
from actions.knowledge.store import KnowledgeStore, import_seed, make_engine
from assistant_core.records import CaseRecord, StepTried
from assistant_core.seed import load_seed
from tests.conftest import SEED_PATH

CASES = [
    # conversation, wallet, problem, step reached (position)
    ("u1", "alipay", "topup_failure", "platform_support", 1),
    ("u2", "alipay", "topup_failure", "platform_support", 1),
    ("u3", "alipay", "topup_failure", "regulator_12315", 3),
    ("u4", "wechat_pay", "fund_security", "police", 2),
    ("u5", "wechat_pay", "fund_security", "regulator_12363", 4),
    ("u6", "jd_wallet", "support_unresponsive", "supervisor", 2),
    ("u6", "apple_pay", "support_unresponsive", "supervisor", 2),
]


@pytest.fixture
def seeded_cases(seeded_db_url: str) -> CaseStore:
    """Case files in the knowledge database itself (the PostgreSQL default): an import must keep them."""
    store = CaseStore(make_engine(seeded_db_url))
    for conversation, wallet, problem, step, position in CASES:
        store.save(
            CaseRecord(
                conversation_id=f"wx-openid-{conversation}",
                wallet=wallet,
                problem=problem,
                step_reached=step,
                step_position=position,
                amount="1200.00 CNY",
                incident_time="2026-11-03",
                order_id="2024110322001412345678",
                demands=("refund",),
                ticket_ids=("T20241118007",),
                steps_tried=(StepTried("platform_support", ticket_id="T20241118007"),),
                letter_template="platform_desk",
                letter_version=1,
                letters_written=1,
            )
        )
    return store


def test_counts_by_problem_wallet_and_step(seeded_cases: CaseStore) -> None:
    counts = {(c.problem, c.wallet, c.step_reached): c.cases for c in seeded_cases.counts()}
    assert counts == {
        ("topup_failure", "alipay", "platform_support"): 2,
        ("topup_failure", "alipay", "regulator_12315"): 1,
        ("fund_security", "wechat_pay", "police"): 1,
        ("fund_security", "wechat_pay", "regulator_12363"): 1,
        ("support_unresponsive", "jd_wallet", "supervisor"): 1,
        ("support_unresponsive", "apple_pay", "supervisor"): 1,
    }


def test_saving_a_case_again_updates_it_and_the_store_counts_the_letters(
    seeded_cases: CaseStore, store: KnowledgeStore
) -> None:
    cases = seeded_cases
    template = store.letter_kit().templates[0]
    record = CaseRecord("wx-openid-u1", "alipay", "topup_failure", "supervisor", 2)
    cases.save(record, letter=template)
    cases.save(record, letter=template)
    cases.save(record)  # a step recorded later keeps the letters written
    after = cases.get("wx-openid-u1", "alipay", "topup_failure")
    assert after is not None
    assert (after.step_reached, after.letter_template, after.letters_written) == ("supervisor", template.key, 2)
    assert sum(c.cases for c in cases.counts()) == len(CASES)


def test_export_writes_csv_and_png_without_personal_data(seeded_cases: CaseStore, tmp_path: Path) -> None:
    csv_path, png_path, total = case_stats.export(seeded_cases, tmp_path)
    assert total == len(CASES)
    rows = list(csv.DictReader(csv_path.open(encoding="utf-8")))
    assert tuple(rows[0]) == case_stats.COLUMNS
    assert {
        "problem": "topup_failure",
        "wallet": "alipay",
        "step_reached": "platform_support",
        "step_position": "1",
        "cases": "2",
    } in rows
    text = csv_path.read_text(encoding="utf-8")
    for personal in ("wx-openid", "1200", "2024110322001412345678", "T20241118007", "2026-11-03"):
        assert personal not in text
    assert png_path.read_bytes().startswith(b"\x89PNG") and png_path.stat().st_size > 5000


def test_cli_exports_into_the_folder_given(
    seeded_cases: CaseStore, seeded_db_url: str, tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.setenv("CASES_DB_URL", seeded_db_url)
    assert case_stats.main(["--out", str(tmp_path / "stats")]) == 0
    assert (tmp_path / "stats" / "case-stats.csv").exists() and (tmp_path / "stats" / "case-stats.png").exists()


def test_a_seed_reimport_keeps_the_case_files(seeded_cases: CaseStore, seeded_db_url: str) -> None:
    import_seed(make_engine(seeded_db_url), load_seed(SEED_PATH), "again")
    assert sum(c.cases for c in seeded_cases.counts()) == len(CASES)


def test_empty_store_exports_an_empty_table(tmp_path: Path) -> None:
    empty = CaseStore(make_engine(f"sqlite:///{tmp_path / 'cases.db'}"))
    csv_path, png_path, total = case_stats.export(empty, tmp_path)
    assert total == 0 and csv_path.read_text(encoding="utf-8").strip() == ",".join(case_stats.COLUMNS)
    assert png_path.exists()
