"""Operator logs show neither what users wrote into the database nor who they are."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from pathlib import Path
from typing import Callable, Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine

from actions.case_store import CaseStore, CaseStoreUnavailable
from actions.knowledge.engine import make_engine
from assistant_core import settings
from assistant_core.masking import install_log_masking, log_id
from assistant_core.records import CaseRecord
from assistant_core.reminder_store import ReminderStore, reminder_engine

ORDER_ID, AMOUNT, TICKET = "2024110322001412345678", "2580.00", "CS20241103000123"
WORDS = "张三说对方冒充客服骗走了钱"
SECRETS = (ORDER_ID, AMOUNT, TICKET, WORDS)


@pytest.fixture
def sql_log(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """SQLAlchemy's own statement log on, as an operator debugging the database would have it."""
    caplog.set_level(logging.INFO, logger="sqlalchemy.engine")
    yield caplog


@pytest.mark.parametrize("engine_factory", [make_engine, reminder_engine], ids=["knowledge_and_cases", "reminders"])
def test_a_failed_write_names_the_statement_but_not_its_values(
    engine_factory: Callable[[str], Engine], tmp_path: Path, sql_log: pytest.LogCaptureFixture
) -> None:
    engine = engine_factory(f"sqlite:///{tmp_path / 'store.db'}")
    cases = sa.Table("cases", sa.MetaData(), *(sa.Column(name, sa.String) for name in ("o", "a", "t", "w")))
    cases.create(engine)
    cases.drop(engine)
    with pytest.raises(sa.exc.OperationalError) as failure:
        with engine.begin() as connection:
            connection.execute(sa.insert(cases).values(o=ORDER_ID, a=AMOUNT, t=TICKET, w=WORDS))
    logging.getLogger("actions").error("Cannot save the case file: %s", failure.value)
    assert "no such table: cases" in str(failure.value)
    for secret in SECRETS:
        assert secret not in str(failure.value)
        assert secret not in sql_log.text
    assert "INSERT INTO cases" in sql_log.text


def test_the_case_store_reports_a_lost_table_without_the_case(
    tmp_path: Path, sql_log: pytest.LogCaptureFixture
) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'cases.db'}")
    store = CaseStore(engine)
    case = CaseRecord("rest:alice", "alipay", "topup_failure", amount=AMOUNT, order_id=ORDER_ID, ticket_ids=(TICKET,))
    store.save(case)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE case_files")
    with pytest.raises(CaseStoreUnavailable) as failure:
        store.save(case)
    for secret in (ORDER_ID, AMOUNT, TICKET, "rest:alice"):
        assert secret not in str(failure.value)
        assert secret not in sql_log.text.split("DROP TABLE case_files")[-1]


def test_the_reminder_store_never_logs_the_conversation_it_writes(
    tmp_path: Path, sql_log: pytest.LogCaptureFixture
) -> None:
    now = dt.datetime(2026, 12, 2, 2, 0, tzinfo=dt.timezone.utc)
    store = ReminderStore(reminder_engine(f"sqlite:///{tmp_path / 'r.db'}"))
    store.add("telegram:5566", "telegram", now.date(), now, now)
    assert "INSERT INTO reminders" in sql_log.text and "telegram:5566" not in sql_log.text


def test_log_pseudonyms_are_keyed_so_nobody_can_recompute_them_from_an_id() -> None:
    plain = "conv-" + hashlib.sha256(b"telegram:5566").hexdigest()[:10]
    assert log_id("telegram:5566", salt=b"one") == log_id("telegram:5566", salt=b"one") != plain
    assert log_id("telegram:5566", salt=b"one") != log_id("telegram:5566", salt=b"two")
    assert log_id("telegram:5566", salt=b"one") != log_id("telegram:5567", salt=b"one")
    assert log_id("telegram:5566").startswith("conv-") and log_id("telegram:5566") != plain


def test_the_pseudonym_key_comes_from_the_environment_or_is_random_per_process(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings.log_pseudonym_salt.cache_clear()
    try:
        monkeypatch.setenv("LOG_PSEUDONYM_SALT", "shared-secret")
        assert settings.log_pseudonym_salt() == b"shared-secret"
        assert log_id("rest:bob") == log_id("rest:bob", salt=b"shared-secret")
        settings.log_pseudonym_salt.cache_clear()
        monkeypatch.setenv("LOG_PSEUDONYM_SALT", "")
        first = settings.log_pseudonym_salt()
        settings.log_pseudonym_salt.cache_clear()
        assert len(first) == 32 and settings.log_pseudonym_salt() != first
    finally:
        settings.log_pseudonym_salt.cache_clear()


def test_installed_log_masking_hides_numbers_in_every_logger(caplog: pytest.LogCaptureFixture) -> None:
    factory = logging.getLogRecordFactory()
    try:
        install_log_masking()
        install_log_masking()
        caplog.set_level(logging.INFO)
        said = "卡号6222021234567890128 手机13800138000"
        logging.getLogger("rasa.core.processor").info("Received user message '%s'", said)
        logging.getLogger("bot.channels").warning("Reply to zhang.san@example.com failed")
    finally:
        logging.setLogRecordFactory(factory)
    assert "6222021234567890128" not in caplog.text and "13800138000" not in caplog.text
    assert "zhang.san@" not in caplog.text and "138****8000" in caplog.text
