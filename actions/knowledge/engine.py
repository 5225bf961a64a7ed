"""The engine factory for the knowledge and case databases (SQLite file, in memory, or PostgreSQL)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.engine.url import make_url
from sqlalchemy.pool import QueuePool


def make_engine(url: str) -> Engine:
    """Create the engine for a database URL; SQLite files get their folder created."""
    # hide_parameters: a failed query's error (and any SQL log line) shows the statement, never
    # the values (order numbers, amounts, ticket ids, the user's words).
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        in_memory = parsed.database in (None, "", ":memory:")
        if not in_memory:
            Path(str(parsed.database)).parent.mkdir(parents=True, exist_ok=True)
        # SQLAlchemy 1.4 gives file SQLite a NullPool: a new connection (and PRAGMA) per
        # query. The action server asks several per turn, so keep a small pool instead.
        pooling: dict[str, Any] = {} if in_memory else {"poolclass": QueuePool, "pool_size": 5}
        engine = create_engine(
            url, future=True, hide_parameters=True, connect_args={"check_same_thread": False}, **pooling
        )

        @event.listens_for(engine, "connect")
        def _enforce_foreign_keys(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute("PRAGMA foreign_keys=ON")
            # pysqlite opens no transaction before DDL, so a re-import's DROP/CREATE would commit
            # on its own; let SQLAlchemy emit BEGIN instead (the recipe in SQLAlchemy's SQLite docs).
            dbapi_connection.isolation_level = None

        @event.listens_for(engine, "begin")
        def _begin(conn: Any) -> None:
            conn.exec_driver_sql("BEGIN")

        return engine
    return create_engine(url, future=True, pool_pre_ping=True, hide_parameters=True)
