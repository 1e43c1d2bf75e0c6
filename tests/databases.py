"""Real test databases: a SQLite file, and PostgreSQL when ELMON_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import os
import uuid
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url

from election_monitor.db.session import make_engine

POSTGRES_URL = os.environ.get("ELMON_TEST_POSTGRES_URL")
BACKENDS = ["sqlite", "postgres"]


def postgres_available() -> bool:
    return bool(POSTGRES_URL)


def _admin_engine() -> Engine:
    assert POSTGRES_URL
    return create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")


def new_postgres_url(label: str) -> str:
    """Create an empty PostgreSQL database for this worker and label; return its URL."""
    assert POSTGRES_URL
    base = make_url(POSTGRES_URL)
    # The pid keeps concurrent test runs (and xdist workers) out of each other's databases.
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"{base.database}_{worker}_{os.getpid()}_{label}"[:63]
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


def drop_postgres_url(url: str) -> None:
    name = make_url(url).database
    admin = _admin_engine()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def new_database_url(backend: str, directory: Path, label: str | None = None) -> str:
    """A URL of a new, empty database of the given backend."""
    label = label or uuid.uuid4().hex[:8]
    if backend == "sqlite":
        return f"sqlite:///{directory / f'{label}.db'}"
    return new_postgres_url(label)


def enable_sqlite_savepoints(engine: Engine) -> None:
    """pysqlite needs these hooks for SAVEPOINT-based per-test rollback (SQLAlchemy docs)."""

    @event.listens_for(engine, "connect")
    def _no_pysqlite_begin(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None

    @event.listens_for(engine, "begin")
    def _emit_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")


def test_engine(url: str) -> Engine:
    engine = make_engine(url)
    if engine.dialect.name == "sqlite":
        enable_sqlite_savepoints(engine)
    return engine
