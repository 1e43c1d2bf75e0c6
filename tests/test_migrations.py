"""Migrations: build the schema from empty, remove it again, and match the models exactly."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

import election_monitor.models  # noqa: F401  (registers every table on Base.metadata)
from election_monitor.db import migrate
from election_monitor.db.base import Base
from election_monitor.db.session import make_engine
from tests.databases import drop_postgres_url, new_database_url

SEED_TABLES = {
    "elections",
    "constituencies",
    "transactions",
    "alerts",
    "hourly_stats",
    "file_processing_jobs",
}


@pytest.fixture
def engine(empty_database_url: str) -> Iterator[Engine]:
    eng = make_engine(empty_database_url)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module")
def migrated(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """A database at head, shared by the read-only checks below."""
    url = new_database_url(backend, tmp_path_factory.mktemp("migrated"), "migrated")
    eng = make_engine(url)
    migrate.upgrade(eng, "head")
    yield eng
    eng.dispose()
    if backend == "postgres":
        drop_postgres_url(url)


def table_names(engine: Engine) -> set[str]:
    return set(inspect(engine).get_table_names())


def test_upgrade_head_from_empty_creates_every_model_table(engine: Engine) -> None:
    assert table_names(engine) == set()
    assert migrate.current_revision(engine) is None
    migrate.upgrade(engine, "head")
    assert table_names(engine) == set(Base.metadata.tables) | {"alembic_version"}
    assert table_names(engine) >= SEED_TABLES
    assert migrate.current_revision(engine) == migrate.head_revision()


def test_downgrade_base_leaves_only_alembic_version_and_can_upgrade_again(
    engine: Engine,
) -> None:
    migrate.upgrade(engine, "head")
    migrate.downgrade(engine, "base")
    assert table_names(engine) == {"alembic_version"}
    assert migrate.current_revision(engine) is None
    # Nothing left behind (an index, a type) that would stop the schema being built again.
    migrate.upgrade(engine, "head")
    assert table_names(engine) == set(Base.metadata.tables) | {"alembic_version"}


def test_autogenerate_finds_no_difference_between_models_and_migrations(
    migrated: Engine,
) -> None:
    with migrated.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_constraint_and_index_names_follow_the_naming_convention(migrated: Engine) -> None:
    inspector = inspect(migrated)
    for table in Base.metadata.tables:
        assert inspector.get_pk_constraint(table)["name"] == f"pk_{table}"
        for fk in inspector.get_foreign_keys(table):
            column, referred = fk["constrained_columns"][0], fk["referred_table"]
            assert fk["name"] == f"fk_{table}_{column}_{referred}"
        for index in inspector.get_indexes(table):
            if "duplicates_constraint" not in index:  # PostgreSQL lists unique constraints too
                assert str(index["name"]).startswith(f"ix_{table}_")


def test_seed_query_columns_are_indexed(migrated: Engine) -> None:
    inspector = inspect(migrated)
    assert {ix["name"] for ix in inspector.get_indexes("transactions")} >= {
        "ix_transactions_constituency_id",
        "ix_transactions_block_height",
        "ix_transactions_timestamp",
        "ix_transactions_type",
    }
    assert {ix["name"] for ix in inspector.get_indexes("alerts")} >= {
        "ix_alerts_constituency_id",
        "ix_alerts_severity",
        "ix_alerts_status",
        "ix_alerts_type",
    }
