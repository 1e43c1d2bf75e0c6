"""The ``elmon`` root command and ``elmon db``."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect
from typer.testing import CliRunner

from election_monitor import __version__
from election_monitor.cli import app
from election_monitor.db import migrate, session
from election_monitor.db.base import Base
from election_monitor.db.session import make_engine

runner = CliRunner()


@pytest.fixture(autouse=True)
def _unbound_engine(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each command binds the process to its --database-url; dispose of that afterwards."""
    monkeypatch.setattr(session, "_engine", None)
    yield
    if session._engine is not None:
        session._engine.dispose()


def tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_version_prints_the_package_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"elmon {__version__}"


def test_no_arguments_shows_help() -> None:
    result = runner.invoke(app, [])
    assert "Usage" in result.output
    assert "db" in result.output


def test_db_upgrade_creates_the_schema_in_a_fresh_sqlite_file(tmp_path: Path) -> None:
    path = tmp_path / "fresh" / "elmon.db"
    path.parent.mkdir()
    url = f"sqlite:///{path}"
    result = runner.invoke(app, ["--database-url", url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert path.exists()
    assert tables(url) == set(Base.metadata.tables) | {"alembic_version"}
    # Rich may wrap the long temporary path; compare words, not lines.
    assert f"at revision {migrate.head_revision()}" in " ".join(result.output.split())


def test_db_upgrade_creates_the_schema_on_each_backend(empty_database_url: str) -> None:
    result = runner.invoke(app, ["--database-url", empty_database_url, "db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert tables(empty_database_url) == set(Base.metadata.tables) | {"alembic_version"}


def test_db_upgrade_twice_is_a_no_op(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'twice.db'}"
    for _ in range(2):
        result = runner.invoke(app, ["--database-url", url, "db", "upgrade"])
        assert result.exit_code == 0, result.output


def test_db_upgrade_uses_the_environment_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'from-env.db'}"
    monkeypatch.setenv("ELMON_DATABASE_URL", url)
    result = runner.invoke(app, ["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert "elections" in tables(url)


def test_db_current_reports_no_revision_then_head(empty_database_url: str) -> None:
    head = migrate.head_revision()
    before = runner.invoke(app, ["--database-url", empty_database_url, "db", "current"])
    assert before.exit_code == 0, before.output
    assert before.output.split() == ["current:", "None", "head:", str(head)]
    runner.invoke(app, ["--database-url", empty_database_url, "db", "upgrade"])
    after = runner.invoke(app, ["--database-url", empty_database_url, "db", "current"])
    assert after.output.split() == ["current:", str(head), "head:", str(head)]


def test_db_downgrade_base_removes_the_schema(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'down.db'}"
    runner.invoke(app, ["--database-url", url, "db", "upgrade"])
    result = runner.invoke(app, ["--database-url", url, "db", "downgrade", "base"])
    assert result.exit_code == 0, result.output
    assert tables(url) == {"alembic_version"}


def test_installed_console_script_prints_the_version() -> None:
    script = Path(sys.executable).parent / "elmon"
    completed = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, timeout=60, check=False
    )
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == f"elmon {__version__}"
