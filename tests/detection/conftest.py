"""Detection fixtures: a fresh migrated database with one election (for real ingest)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine, text

from election_monitor.db import migrate
from election_monitor.db.session import make_engine


@pytest.fixture
def fresh_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO elections (id, name, start_date, end_date, status, "
                "total_constituencies, timezone) VALUES ('E1', 'Test election', "
                "'2024-09-15 05:00:00', '2024-09-17 17:00:00', 'active', 0, 'Europe/Moscow')"
            )
        )
    yield engine
    engine.dispose()
