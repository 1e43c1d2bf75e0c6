"""get_db and session_scope on a process-wide engine bound with ``session.configure``."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, text
from sqlalchemy.orm import Session

from election_monitor.config import get_settings
from election_monitor.db import get_db, migrate, session, session_scope
from election_monitor.db.session import make_engine
from election_monitor.models import Election
from tests.databases import drop_postgres_url, new_database_url
from tests.factories import T0


@pytest.fixture(scope="module")
def migrated_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One migrated database per backend for this module (tests tell their rows apart)."""
    url = new_database_url(backend, tmp_path_factory.mktemp("session"), "session")
    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    yield url
    if backend == "postgres":
        drop_postgres_url(url)


@pytest.fixture
def configured(migrated_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The process bound to the migrated database with ``configure``; unbound afterwards."""
    monkeypatch.setattr(session, "_engine", None)
    engine = session.configure(migrated_url)
    yield engine
    engine.dispose()


def count_elections(engine: Engine, name: str) -> int:
    with Session(engine) as db:
        stmt = select(func.count()).select_from(Election).where(Election.name == name)
        return db.scalar(stmt) or 0


def new_election() -> Election:
    """An election with a name no other test uses."""
    return Election(name=uuid.uuid4().hex, start_date=T0, end_date=T0 + timedelta(days=1))


def test_get_db_yields_a_session_on_the_configured_engine(configured: Engine) -> None:
    dependency = get_db()
    db = next(dependency)
    assert isinstance(db, Session)
    assert db.get_bind() is configured
    assert db.execute(text("SELECT 1")).scalar() == 1
    dependency.close()


def test_get_db_closes_its_session_when_the_generator_closes(configured: Engine) -> None:
    dependency = get_db()
    db = next(dependency)
    db.execute(text("SELECT 1"))
    assert db.in_transaction()
    assert configured.pool.checkedout() == 1  # type: ignore[attr-defined]
    dependency.close()
    assert not db.in_transaction()
    assert configured.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_get_db_closes_its_session_when_exhausted(configured: Engine) -> None:
    dependency = get_db()
    db = next(dependency)
    db.execute(text("SELECT 1"))
    with pytest.raises(StopIteration):
        next(dependency)
    assert not db.in_transaction()
    assert configured.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_get_db_closes_its_session_when_the_caller_fails(configured: Engine) -> None:
    dependency = get_db()
    db = next(dependency)
    election = new_election()
    db.add(election)
    db.flush()
    with pytest.raises(RuntimeError, match="request failed"):
        dependency.throw(RuntimeError("request failed"))
    assert configured.pool.checkedout() == 0  # type: ignore[attr-defined]
    assert count_elections(configured, election.name) == 0  # closed without commit: discarded


def test_get_db_without_configure_uses_the_settings_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(session, "_engine", None)
    monkeypatch.setenv("ELMON_DATABASE_URL", f"sqlite:///{tmp_path / 'from-settings.db'}")
    get_settings.cache_clear()
    dependency = get_db()
    db = next(dependency)
    try:
        assert db.get_bind() is session.get_engine()
        assert session.get_engine().url.database == str(tmp_path / "from-settings.db")
    finally:
        dependency.close()
        session.get_engine().dispose()


def test_session_scope_commits_on_success(configured: Engine) -> None:
    election = new_election()
    with session_scope() as db:
        db.add(election)
    assert count_elections(configured, election.name) == 1


def test_session_scope_rolls_back_on_error(configured: Engine) -> None:
    election = new_election()

    def add_then_fail() -> None:
        with session_scope() as db:
            db.add(election)
            db.flush()
            raise ValueError("bad row")

    with pytest.raises(ValueError, match="bad row"):
        add_then_fail()
    assert count_elections(configured, election.name) == 0
    assert configured.pool.checkedout() == 0  # type: ignore[attr-defined]


def test_session_scope_closes_its_session(configured: Engine) -> None:
    with session_scope() as db:
        db.execute(text("SELECT 1"))
    assert not db.in_transaction()
    assert configured.pool.checkedout() == 0  # type: ignore[attr-defined]
