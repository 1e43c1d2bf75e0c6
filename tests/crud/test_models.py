"""Models on a real database: the seed's defaults, UTC timestamps, both sides of relationships."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import pytest
from sqlalchemy import inspect, select
from sqlalchemy.exc import InvalidRequestError
from sqlalchemy.orm import RelationshipProperty, Session, selectinload

from election_monitor.models import (
    Alert,
    Constituency,
    Election,
    FileProcessingJob,
    HourlyStats,
    Transaction,
)
from election_monitor.timeutil import utcnow
from tests.factories import (
    T0,
    make_alert,
    make_constituency,
    make_election,
    make_hourly_stats,
    make_job,
    make_transaction,
)


def assert_recent_utc(value: datetime | None, since: datetime) -> None:
    assert value is not None
    assert value.tzinfo is not None
    assert value.utcoffset() == timedelta(0)
    assert since - timedelta(seconds=1) <= value <= utcnow() + timedelta(seconds=1)


def assert_uuid4(value: str) -> None:
    assert str(uuid.UUID(value)) == value
    assert uuid.UUID(value).version == 4


T = TypeVar("T")


def reload(db: Session, model: type[T], id: str) -> T:
    """The row as stored: drop everything the session remembers, then read it again."""
    db.expire_all()
    obj = db.get(model, id)
    assert obj is not None
    return obj


# -- defaults -------------------------------------------------------------------------------


def test_election_defaults(db: Session) -> None:
    before = utcnow()
    election = make_election(db)
    election = reload(db, Election, election.id)
    assert_uuid4(election.id)
    assert election.status == "active"
    assert election.total_constituencies == 0
    assert_recent_utc(election.created_at, before)


def test_constituency_defaults(db: Session) -> None:
    before = utcnow()
    election = make_election(db)
    db.add(Constituency(id="3Nxyz", election_id=election.id, name="D1", region="77", type="rural"))
    db.commit()
    constituency = reload(db, Constituency, "3Nxyz")
    assert constituency.id == "3Nxyz"  # the contract address, not a UUID
    assert constituency.status == "active"
    assert constituency.registered_voters == 0
    assert (constituency.bulletins_issued, constituency.votes_cast) == (0, 0)
    assert constituency.participation_rate == 0.0
    assert constituency.anomaly_score == 0.0
    assert_recent_utc(constituency.last_update_time, before)
    assert_recent_utc(constituency.created_at, before)


def test_transaction_defaults(db: Session) -> None:
    before = utcnow()
    constituency = make_constituency(db)
    tx = Transaction(
        constituency_id=constituency.id, block_height=1, timestamp=T0, type="vote", raw_data={}
    )
    db.add(tx)
    db.commit()
    tx = reload(db, Transaction, tx.id)
    assert_uuid4(tx.id)
    assert tx.operation_data is None
    assert_recent_utc(tx.created_at, before)


def test_alert_defaults(db: Session) -> None:
    before = utcnow()
    alert = reload(db, Alert, make_alert(db).id)
    assert_uuid4(alert.id)
    assert alert.status == "active"
    assert alert.notes == []
    assert alert.description is None
    assert alert.details is None
    assert alert.resolved_at is None
    assert alert.assigned_to is None
    assert_recent_utc(alert.created_at, before)


def test_each_alert_gets_its_own_notes_list(db: Session) -> None:
    first, second = make_alert(db), make_alert(db)
    first.notes.append("only on the first")
    db.commit()
    assert reload(db, Alert, second.id).notes == []


def test_hourly_stats_defaults(db: Session) -> None:
    before = utcnow()
    stats = reload(db, HourlyStats, make_hourly_stats(db).id)
    assert_uuid4(stats.id)
    assert (stats.bulletins_issued, stats.votes_cast, stats.transaction_count) == (0, 0, 0)
    assert (stats.bulletin_velocity, stats.vote_velocity) == (0.0, 0.0)
    assert_recent_utc(stats.created_at, before)


def test_file_processing_job_defaults(db: Session) -> None:
    before = utcnow()
    job = reload(db, FileProcessingJob, make_job(db).id)
    assert_uuid4(job.id)
    assert job.status == "processing"
    assert job.transactions_processed == 0
    assert job.details is None
    assert job.completed_at is None
    assert_recent_utc(job.started_at, before)


def test_file_processing_job_has_no_created_at() -> None:
    # The seed gives jobs started_at instead of the TimestampMixin.
    assert "created_at" not in FileProcessingJob.__table__.c


def test_uuid_ids_differ_between_rows(db: Session) -> None:
    assert make_election(db).id != make_election(db).id


# -- timestamps -----------------------------------------------------------------------------


def test_naive_datetime_is_stored_as_utc(db: Session) -> None:
    election = make_election(
        db, start_date=datetime(2026, 9, 18, 5), end_date=datetime(2026, 9, 21, 5)
    )
    election = reload(db, Election, election.id)
    assert election.start_date == T0
    assert election.start_date.utcoffset() == timedelta(0)


def test_aware_datetime_comes_back_as_the_same_instant_in_utc(db: Session) -> None:
    moscow = timezone(timedelta(hours=3))
    tx = make_transaction(db, timestamp=datetime(2026, 9, 18, 8, 0, 0, 123456, tzinfo=moscow))
    stored = reload(db, Transaction, tx.id).timestamp
    assert stored == T0.replace(microsecond=123456)
    assert stored.utcoffset() == timedelta(0)


def test_json_columns_round_trip(db: Session) -> None:
    raw = {"params": [{"key": "operation", "stringValue": "vote"}], "fee": 0, "ok": True}
    tx = make_transaction(db, raw_data=raw, operation_data={"vote": [1, 0]})
    stored = reload(db, Transaction, tx.id)
    assert stored.raw_data == raw
    assert stored.operation_data == {"vote": [1, 0]}
    alert = make_alert(db, details={"window": ["05:00", "06:00"], "ratio": 5.5})
    assert reload(db, Alert, alert.id).details == {"window": ["05:00", "06:00"], "ratio": 5.5}


def test_alert_notes_append_in_place_is_saved(db: Session) -> None:
    alert = make_alert(db)
    alert.notes.append("called the commission")
    db.commit()
    assert reload(db, Alert, alert.id).notes == ["called the commission"]


# -- relationships --------------------------------------------------------------------------

RELATIONSHIPS = [
    (Election, "constituencies", Constituency, "election"),
    (Constituency, "transactions", Transaction, "constituency"),
    (Constituency, "alerts", Alert, "constituency"),
    (Constituency, "hourly_stats", HourlyStats, "constituency"),
]


@pytest.mark.parametrize(
    ("parent", "collection", "child", "reference"),
    RELATIONSHIPS,
    ids=[f"{p.__name__}.{c}" for p, c, _, _ in RELATIONSHIPS],
)
def test_relationships_back_populate_each_other(
    parent: type, collection: str, child: type, reference: str
) -> None:
    one_to_many: RelationshipProperty[Any] = inspect(parent).relationships[collection]
    many_to_one: RelationshipProperty[Any] = inspect(child).relationships[reference]
    assert one_to_many.mapper.class_ is child
    assert one_to_many.back_populates == reference
    assert many_to_one.mapper.class_ is parent
    assert many_to_one.back_populates == collection


def test_election_constituencies_and_constituency_election(db: Session) -> None:
    election = make_election(db)
    first = make_constituency(db, election_id=election.id)
    second = make_constituency(db, election_id=election.id)
    make_constituency(db)  # another election's
    db.expire_all()
    assert {c.id for c in election.constituencies} == {first.id, second.id}
    assert first.election is election


def test_constituency_alerts_and_alert_constituency(db: Session) -> None:
    constituency = make_constituency(db)
    alert = make_alert(db, constituency_id=constituency.id)
    db.expire_all()
    assert constituency.alerts == [alert]
    assert alert.constituency is constituency


def test_constituency_hourly_stats_and_stats_constituency(db: Session) -> None:
    constituency = make_constituency(db)
    stats = make_hourly_stats(db, constituency_id=constituency.id)
    db.expire_all()
    assert constituency.hourly_stats == [stats]
    assert stats.constituency is constituency


def test_constituency_transactions_and_transaction_constituency(db: Session) -> None:
    constituency = make_constituency(db)
    tx = make_transaction(db, constituency_id=constituency.id)
    db.expire_all()
    assert tx.constituency is constituency
    loaded = db.scalars(
        select(Constituency)
        .where(Constituency.id == constituency.id)
        .options(selectinload(Constituency.transactions))
    ).one()
    assert loaded.transactions == [tx]


def test_constituency_transactions_are_never_lazy_loaded(db: Session) -> None:
    # A constituency can hold millions of transactions: loading them must be explicit.
    constituency = make_constituency(db)
    make_transaction(db, constituency_id=constituency.id)
    db.expire_all()
    with pytest.raises(InvalidRequestError, match="raise_on_sql"):
        _ = constituency.transactions


def test_setting_the_reference_adds_to_the_collection_in_memory() -> None:
    constituency = Constituency(id="3Nmem", name="D", region="1", type="urban")
    alert = Alert(type="x", severity="info", title="t", detected_at=T0)
    stats = HourlyStats(hour=T0)
    tx = Transaction(block_height=1, timestamp=T0, type="vote", raw_data={})
    alert.constituency = constituency
    stats.constituency = constituency
    tx.constituency = constituency
    assert constituency.alerts == [alert]
    assert constituency.hourly_stats == [stats]
    assert constituency.transactions == [tx]


def test_appending_to_the_collection_sets_the_reference(db: Session) -> None:
    election = make_election(db)
    constituency = Constituency(id="3Nnew", name="D", region="1", type="urban")
    election.constituencies.append(constituency)
    assert constituency.election is election
    db.commit()
    assert reload(db, Constituency, "3Nnew").election_id == election.id
