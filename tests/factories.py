"""Small ``make_<entity>(db, **overrides)`` factories with valid defaults."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from election_monitor.models import (
    Alert,
    Constituency,
    Election,
    FileProcessingJob,
    HourlyStats,
    Transaction,
)

T0 = datetime(2026, 9, 18, 5, 0, tzinfo=UTC)


def _save(db: Session, obj: Any) -> Any:
    db.add(obj)
    db.commit()
    db.refresh(obj)
    return obj


def make_election(db: Session, **overrides: Any) -> Election:
    data: dict[str, Any] = {
        "name": f"Election {uuid.uuid4().hex[:6]}",
        "start_date": T0,
        "end_date": T0 + timedelta(days=3),
    }
    data.update(overrides)
    return _save(db, Election(**data))  # type: ignore[no-any-return]


def make_constituency(db: Session, **overrides: Any) -> Constituency:
    if "election_id" not in overrides:
        overrides["election_id"] = make_election(db).id
    data: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "name": "District 1",
        "region": "77",
        "type": "urban",
        "registered_voters": 1000,
    }
    data.update(overrides)
    return _save(db, Constituency(**data))  # type: ignore[no-any-return]


def make_transaction(db: Session, **overrides: Any) -> Transaction:
    if "constituency_id" not in overrides:
        overrides["constituency_id"] = make_constituency(db).id
    data: dict[str, Any] = {
        "id": uuid.uuid4().hex,
        "block_height": 0,
        "timestamp": T0,
        "type": "vote",
        "raw_data": {"operation": "vote"},
    }
    data.update(overrides)
    return _save(db, Transaction(**data))  # type: ignore[no-any-return]


def make_alert(db: Session, **overrides: Any) -> Alert:
    if "constituency_id" not in overrides:
        overrides["constituency_id"] = make_constituency(db).id
    data: dict[str, Any] = {
        "type": "unusual_spike",
        "severity": "warning",
        "title": "Vote velocity 5x expected",
        "detected_at": T0,
    }
    data.update(overrides)
    return _save(db, Alert(**data))  # type: ignore[no-any-return]


def make_hourly_stats(db: Session, **overrides: Any) -> HourlyStats:
    if "constituency_id" not in overrides:
        overrides["constituency_id"] = make_constituency(db).id
    data: dict[str, Any] = {"hour": T0}
    data.update(overrides)
    return _save(db, HourlyStats(**data))  # type: ignore[no-any-return]


def make_job(db: Session, **overrides: Any) -> FileProcessingJob:
    data: dict[str, Any] = {"filename": f"{uuid.uuid4().hex}_dump.zip"}
    data.update(overrides)
    return _save(db, FileProcessingJob(**data))  # type: ignore[no-any-return]
