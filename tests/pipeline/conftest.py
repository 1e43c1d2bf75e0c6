"""Pipeline fixtures: a fresh migrated database per test, with one election."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.models import Constituency, HourlyStats


@pytest.fixture
def pipeline_engine(empty_database_url: str) -> Iterator[Engine]:
    engine = make_engine(empty_database_url)
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO elections (id, name, start_date, end_date, status, "
                "total_constituencies, timezone) VALUES ('E1', 'Test election', "
                "'2026-09-18 05:00:00', '2026-09-20 17:00:00', 'active', 0, 'Europe/Moscow')"
            )
        )
    yield engine
    engine.dispose()


def snapshot(engine: Engine) -> dict[str, Any]:
    """Everything ingest decides, in a comparable form (no ids or wall-clock times)."""
    with engine.connect() as conn:
        return {
            "transactions": conn.execute(
                text(
                    "SELECT id, constituency_id, type, voter_key, accepted, bulletins, rolled_back "
                    "FROM transactions ORDER BY id"
                )
            ).all(),
            "events": conn.execute(
                text("SELECT id, operation, rolled_back FROM contract_events ORDER BY id")
            ).all(),
            "rollbacks": conn.execute(
                text("SELECT tx_id FROM transaction_rollbacks ORDER BY tx_id")
            ).all(),
            "hourly": conn.execute(
                select(
                    HourlyStats.constituency_id,
                    HourlyStats.hour,
                    HourlyStats.bulletins_issued,
                    HourlyStats.votes_cast,
                    HourlyStats.vote_calls,
                    HourlyStats.rejected_votes,
                    HourlyStats.transaction_count,
                ).order_by(HourlyStats.constituency_id, HourlyStats.hour)
            ).all(),
            "constituencies": conn.execute(
                select(
                    Constituency.id,
                    Constituency.name,
                    Constituency.bulletins_issued,
                    Constituency.votes_cast,
                    Constituency.revotes,
                    Constituency.rejected_votes,
                    Constituency.participation_rate,
                    Constituency.status,
                    Constituency.voters_listed,
                ).order_by(Constituency.id)
            ).all(),
            "rejected": conn.execute(
                text("SELECT source, line, kind, reason FROM rejected_rows ORDER BY source, line")
            ).all(),
        }
