"""Fixtures: each database test runs on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from election_monitor.config import get_settings
from election_monitor.db import migrate
from tests.databases import (
    BACKENDS,
    drop_postgres_url,
    new_database_url,
    postgres_available,
    test_engine,
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("backend") == "postgres":
            item.add_marker(pytest.mark.postgres)


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The database kind under test; PostgreSQL is skipped when not configured."""
    name: str = request.param
    if name == "postgres" and not postgres_available():
        pytest.skip("PostgreSQL not configured (set ELMON_TEST_POSTGRES_URL)")
    return name


@pytest.fixture(scope="session")
def engine(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database migrated to head once per session and backend."""
    url = new_database_url(backend, tmp_path_factory.mktemp("db"), "shared")
    eng = test_engine(url)
    migrate.upgrade(eng)
    yield eng
    eng.dispose()
    if backend == "postgres":
        drop_postgres_url(url)


@pytest.fixture
def db(engine: Engine) -> Iterator[Session]:
    """A session whose work, commits included, is rolled back after the test."""
    with engine.connect() as conn:
        outer = conn.begin()
        session = Session(bind=conn, join_transaction_mode="create_savepoint")
        try:
            yield session
        finally:
            session.close()
            outer.rollback()


@pytest.fixture
def empty_database_url(backend: str, tmp_path: Path) -> Iterator[str]:
    """A URL of a brand-new, empty database (for migrations, CLI and pipeline tests)."""
    url = new_database_url(backend, tmp_path)
    yield url
    if backend == "postgres":
        drop_postgres_url(url)


@pytest.fixture(autouse=True)
def _fresh_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Tests never read a developer's .env or write elmon.db into the repository."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ELMON_DATABASE_URL", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()
