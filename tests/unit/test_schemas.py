"""Schemas without a database: every validator accepts the seed's values and names the rest."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError

from election_monitor.enums import (
    AlertSeverity,
    AlertStatus,
    ConstituencyStatus,
    ConstituencyType,
    ElectionStatus,
    JobStatus,
    TransactionType,
)
from election_monitor.models import Alert, FileProcessingJob, HourlyStats, Transaction
from election_monitor.schemas import (
    AlertCreate,
    AlertResponse,
    AlertUpdate,
    ConstituencyCreate,
    ConstituencyResponse,
    ConstituencyUpdate,
    ElectionCreate,
    ElectionResponse,
    ElectionUpdate,
    FileProcessingJobCreate,
    FileProcessingJobResponse,
    FileProcessingJobUpdate,
    HourlyStatsCreate,
    HourlyStatsResponse,
    TransactionCreate,
    TransactionResponse,
)
from election_monitor.schemas.base import BaseSchema

T0 = datetime(2026, 9, 18, 5, 0, tzinfo=UTC)
MSK = timezone(timedelta(hours=3))


def error_message(exc_info: pytest.ExceptionInfo[ValidationError], field: str) -> str:
    """The message of the one validation error on ``field`` (fails if there is none)."""
    errors = [e for e in exc_info.value.errors() if e["loc"] == (field,)]
    assert len(errors) == 1, exc_info.value.errors()
    message: str = errors[0]["msg"]
    return message


def election(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "name": "State Duma 2026",
        "start_date": T0,
        "end_date": T0 + timedelta(days=3),
        "status": "active",
    }
    return data | overrides


def constituency(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": "3NBVqYXrapgJP9atQccdBPAgJPwHDKkh6A8",
        "election_id": "e1",
        "name": "District 1",
        "region": "77",
        "type": "urban",
    }
    return data | overrides


def transaction(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "constituency_id": "c1",
        "block_height": 12,
        "timestamp": T0,
        "type": "vote",
        "raw_data": {"operation": "vote"},
    }
    return data | overrides


def alert(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "constituency_id": "c1",
        "type": "unusual_spike",
        "severity": "warning",
        "title": "Vote velocity 5x expected",
        "detected_at": T0,
    }
    return data | overrides


def job(**overrides: Any) -> dict[str, Any]:
    data: dict[str, Any] = {"filename": "c1_dump.zip", "started_at": T0}
    return data | overrides


# -- Election -------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["active", "completed", "upcoming"])
def test_election_create_accepts_each_seed_status(status: str) -> None:
    assert ElectionCreate(**election(status=status)).status == status


@pytest.mark.parametrize("status", ["finished", "Active", ""])
def test_election_create_rejects_other_status_naming_allowed_values(status: str) -> None:
    with pytest.raises(ValidationError) as exc_info:
        ElectionCreate(**election(status=status))
    message = error_message(exc_info, "status")
    assert "Status must be one of ['active', 'completed', 'upcoming']" in message


def test_election_create_requires_status() -> None:
    data = election()
    del data["status"]
    with pytest.raises(ValidationError) as exc_info:
        ElectionCreate(**data)
    assert [e["type"] for e in exc_info.value.errors() if e["loc"] == ("status",)] == ["missing"]


def test_election_create_accepts_end_date_after_start_date() -> None:
    created = ElectionCreate(**election(end_date=T0 + timedelta(microseconds=1)))
    assert created.end_date > created.start_date
    assert created.total_constituencies == 0


@pytest.mark.parametrize("offset", [timedelta(0), -timedelta(hours=1)], ids=["equal", "before"])
def test_election_create_rejects_end_date_not_after_start_date(offset: timedelta) -> None:
    with pytest.raises(ValidationError) as exc_info:
        ElectionCreate(**election(end_date=T0 + offset))
    assert "End date must be after start date" in error_message(exc_info, "end_date")


def test_election_create_compares_dates_across_time_zones() -> None:
    # 10:00 in Moscow is 07:00 UTC, so an end at 08:00 UTC is after it.
    start = datetime(2026, 9, 18, 10, 0, tzinfo=MSK)
    created = ElectionCreate(**election(start_date=start, end_date=datetime(2026, 9, 18, 8, 0)))
    assert created.end_date - created.start_date == timedelta(hours=1)


def test_election_create_with_invalid_start_date_reports_only_start_date() -> None:
    with pytest.raises(ValidationError) as exc_info:
        ElectionCreate(**election(start_date="not a date"))
    assert [e["loc"] for e in exc_info.value.errors()] == [("start_date",)]


def test_election_create_makes_naive_datetimes_utc() -> None:
    created = ElectionCreate(
        **election(start_date=datetime(2026, 9, 18, 5), end_date="2026-09-21T05:00:00")
    )
    assert created.start_date == T0
    assert created.start_date.tzinfo is UTC
    assert created.end_date.tzinfo is UTC


def test_election_create_converts_aware_datetimes_to_utc() -> None:
    created = ElectionCreate(**election(start_date=datetime(2026, 9, 18, 8, 0, tzinfo=MSK)))
    assert created.start_date == T0
    assert created.start_date.utcoffset() == timedelta(0)


def test_election_update_fields_are_all_optional() -> None:
    update = ElectionUpdate()
    assert update.model_dump(exclude_unset=True) == {}
    assert set(update.model_dump().values()) == {None}


def test_election_update_dumps_only_the_fields_given() -> None:
    update = ElectionUpdate(status="completed")
    assert update.model_dump(exclude_unset=True) == {"status": "completed"}


@pytest.mark.parametrize("status", ["active", "completed", "upcoming"])
def test_election_update_accepts_each_seed_status(status: str) -> None:
    assert ElectionUpdate(status=status).status == status


def test_election_update_rejects_other_status_naming_allowed_values() -> None:
    with pytest.raises(ValidationError) as exc_info:
        ElectionUpdate(status="cancelled")
    message = error_message(exc_info, "status")
    assert "Status must be one of ['active', 'completed', 'upcoming']" in message


def test_election_update_rejects_end_date_before_start_date_when_both_given() -> None:
    with pytest.raises(ValidationError) as exc_info:
        ElectionUpdate(start_date=T0, end_date=T0 - timedelta(days=1))
    assert "End date must be after start date" in error_message(exc_info, "end_date")


def test_election_update_accepts_end_date_alone() -> None:
    # Without start_date the stored one is unknown here; the check needs both.
    update = ElectionUpdate(end_date=datetime(2026, 9, 21))
    assert update.end_date == datetime(2026, 9, 21, tzinfo=UTC)


# -- Constituency ---------------------------------------------------------------------------


@pytest.mark.parametrize("type_", ["urban", "rural", "suburban"])
def test_constituency_create_accepts_each_seed_type(type_: str) -> None:
    assert ConstituencyCreate(**constituency(type=type_)).type == type_


@pytest.mark.parametrize("type_", ["metropolitan", "Urban", ""])
def test_constituency_create_rejects_other_type_naming_allowed_values(type_: str) -> None:
    with pytest.raises(ValidationError) as exc_info:
        ConstituencyCreate(**constituency(type=type_))
    assert "Type must be one of ['urban', 'rural', 'suburban']" in error_message(exc_info, "type")


@pytest.mark.parametrize("status", ["active", "offline", "completed"])
def test_constituency_create_accepts_each_seed_status(status: str) -> None:
    assert ConstituencyCreate(**constituency(status=status)).status == status


def test_constituency_create_rejects_other_status_naming_allowed_values() -> None:
    with pytest.raises(ValidationError) as exc_info:
        ConstituencyCreate(**constituency(status="closed"))
    message = error_message(exc_info, "status")
    assert "Status must be one of ['active', 'offline', 'completed']" in message


def test_constituency_create_defaults_status_active_and_no_voters() -> None:
    created = ConstituencyCreate(**constituency())
    assert created.status == "active"
    assert created.registered_voters == 0


def test_constituency_create_requires_the_contract_address_id() -> None:
    data = constituency()
    del data["id"]
    with pytest.raises(ValidationError) as exc_info:
        ConstituencyCreate(**data)
    assert [e["type"] for e in exc_info.value.errors() if e["loc"] == ("id",)] == ["missing"]


def test_constituency_update_validates_type_and_status_when_given() -> None:
    assert ConstituencyUpdate(type="rural", status="offline").model_dump(exclude_unset=True) == {
        "type": "rural",
        "status": "offline",
    }
    with pytest.raises(ValidationError) as exc_info:
        ConstituencyUpdate(type="village", status="gone")
    assert "Type must be one of ['urban', 'rural', 'suburban']" in error_message(exc_info, "type")
    message = error_message(exc_info, "status")
    assert "Status must be one of ['active', 'offline', 'completed']" in message


def test_constituency_update_accepts_explicit_none() -> None:
    update = ConstituencyUpdate(type=None, status=None)
    assert update.type is None
    assert update.status is None


# -- Transaction ----------------------------------------------------------------------------


@pytest.mark.parametrize("type_", ["blindSigIssue", "vote"])
def test_transaction_create_accepts_each_seed_type(type_: str) -> None:
    assert TransactionCreate(**transaction(type=type_)).type == type_


@pytest.mark.parametrize("type_", ["blindsigissue", "transfer", "results"])
def test_transaction_create_rejects_other_type_naming_allowed_values(type_: str) -> None:
    with pytest.raises(ValidationError) as exc_info:
        TransactionCreate(**transaction(type=type_))
    assert "Type must be one of ['blindSigIssue', 'vote']" in error_message(exc_info, "type")


def test_transaction_create_id_is_optional_and_kept_when_given() -> None:
    assert TransactionCreate(**transaction()).id is None
    assert TransactionCreate(**transaction(id="5Kx9")).id == "5Kx9"


def test_transaction_create_requires_raw_data_and_defaults_operation_data_to_none() -> None:
    assert TransactionCreate(**transaction()).operation_data is None
    data = transaction()
    del data["raw_data"]
    with pytest.raises(ValidationError) as exc_info:
        TransactionCreate(**data)
    assert [e["loc"] for e in exc_info.value.errors()] == [("raw_data",)]


def test_transaction_create_makes_naive_timestamp_utc() -> None:
    created = TransactionCreate(**transaction(timestamp=datetime(2026, 9, 18, 5)))
    assert created.timestamp == T0
    assert created.timestamp.tzinfo is UTC


# -- Alert ----------------------------------------------------------------------------------


@pytest.mark.parametrize("severity", ["critical", "warning", "info"])
def test_alert_create_accepts_each_seed_severity(severity: str) -> None:
    assert AlertCreate(**alert(severity=severity)).severity == severity


@pytest.mark.parametrize("severity", ["high", "Critical", ""])
def test_alert_create_rejects_other_severity_naming_allowed_values(severity: str) -> None:
    with pytest.raises(ValidationError) as exc_info:
        AlertCreate(**alert(severity=severity))
    message = error_message(exc_info, "severity")
    assert "Severity must be one of ['critical', 'warning', 'info']" in message


@pytest.mark.parametrize("status", ["active", "investigating", "resolved", "snoozed"])
def test_alert_create_accepts_each_seed_status(status: str) -> None:
    assert AlertCreate(**alert(status=status)).status == status


def test_alert_create_rejects_other_status_naming_allowed_values() -> None:
    with pytest.raises(ValidationError) as exc_info:
        AlertCreate(**alert(status="closed"))
    message = error_message(exc_info, "status")
    assert "Status must be one of ['active', 'investigating', 'resolved', 'snoozed']" in message


def test_alert_create_defaults() -> None:
    created = AlertCreate(**alert())
    assert created.status == "active"
    assert created.notes == []
    assert created.description is None
    assert created.details is None
    assert created.resolved_at is None
    assert created.assigned_to is None


def test_alert_create_gives_each_alert_its_own_notes_list() -> None:
    first, second = AlertCreate(**alert()), AlertCreate(**alert())
    first.notes.append("checked")
    assert second.notes == []


def test_alert_create_makes_naive_datetimes_utc() -> None:
    created = AlertCreate(
        **alert(detected_at=datetime(2026, 9, 18, 5), resolved_at="2026-09-18T06:00:00")
    )
    assert created.detected_at == T0
    assert created.resolved_at == T0 + timedelta(hours=1)
    assert created.resolved_at.tzinfo is UTC


@pytest.mark.parametrize("status", ["active", "investigating", "resolved", "snoozed"])
def test_alert_update_accepts_each_seed_status(status: str) -> None:
    assert AlertUpdate(status=status).model_dump(exclude_unset=True) == {"status": status}


def test_alert_update_rejects_other_status_naming_allowed_values() -> None:
    with pytest.raises(ValidationError) as exc_info:
        AlertUpdate(status="dismissed")
    message = error_message(exc_info, "status")
    assert "Status must be one of ['active', 'investigating', 'resolved', 'snoozed']" in message


def test_alert_update_accepts_none_and_makes_resolved_at_utc() -> None:
    update = AlertUpdate(status=None, resolved_at=datetime(2026, 9, 18, 5))
    assert update.status is None
    assert update.resolved_at == T0


# -- HourlyStats ----------------------------------------------------------------------------


def test_hourly_stats_create_defaults_counters_to_zero_and_hour_to_utc() -> None:
    created = HourlyStatsCreate(constituency_id="c1", hour=datetime(2026, 9, 18, 5))
    assert created.hour == T0
    assert created.hour.tzinfo is UTC
    assert (created.bulletins_issued, created.votes_cast, created.transaction_count) == (0, 0, 0)
    assert (created.bulletin_velocity, created.vote_velocity) == (0.0, 0.0)


# -- FileProcessingJob ----------------------------------------------------------------------


@pytest.mark.parametrize("status", ["processing", "completed", "failed"])
def test_file_processing_job_create_accepts_each_job_status(status: str) -> None:
    assert FileProcessingJobCreate(**job(status=status)).status == status


def test_file_processing_job_create_rejects_other_status_naming_allowed_values() -> None:
    with pytest.raises(ValidationError) as exc_info:
        FileProcessingJobCreate(**job(status="done"))
    message = error_message(exc_info, "status")
    assert "Status must be one of ['processing', 'completed', 'failed']" in message


def test_file_processing_job_create_defaults_and_requires_started_at() -> None:
    created = FileProcessingJobCreate(**job())
    assert created.status == "processing"
    assert created.transactions_processed == 0
    assert created.details is None
    assert created.completed_at is None
    with pytest.raises(ValidationError) as exc_info:
        FileProcessingJobCreate.model_validate({"filename": "c1_dump.zip"})
    assert [e["loc"] for e in exc_info.value.errors()] == [("started_at",)]


def test_file_processing_job_update_validates_status_when_given() -> None:
    assert FileProcessingJobUpdate(status="failed").status == "failed"
    assert FileProcessingJobUpdate().status is None
    with pytest.raises(ValidationError) as exc_info:
        FileProcessingJobUpdate(status="paused")
    message = error_message(exc_info, "status")
    assert "Status must be one of ['processing', 'completed', 'failed']" in message


# -- Responses from ORM objects -------------------------------------------------------------

ALL_SCHEMAS: list[type[BaseModel]] = [
    ElectionCreate,
    ElectionUpdate,
    ElectionResponse,
    ConstituencyCreate,
    ConstituencyUpdate,
    ConstituencyResponse,
    TransactionCreate,
    TransactionResponse,
    AlertCreate,
    AlertUpdate,
    AlertResponse,
    HourlyStatsCreate,
    HourlyStatsResponse,
    FileProcessingJobCreate,
    FileProcessingJobUpdate,
    FileProcessingJobResponse,
]


@pytest.mark.parametrize("schema", ALL_SCHEMAS, ids=lambda s: s.__name__)
def test_every_schema_reads_attributes(schema: type[BaseModel]) -> None:
    assert issubclass(schema, BaseSchema)
    assert schema.model_config.get("from_attributes") is True


def test_enums_hold_exactly_the_seed_values() -> None:
    assert [*ElectionStatus] == ["active", "completed", "upcoming"]
    assert [*ConstituencyType] == ["urban", "rural", "suburban"]
    assert [*ConstituencyStatus] == ["active", "offline", "completed"]
    assert [*TransactionType] == ["blindSigIssue", "vote"]
    assert [*AlertSeverity] == ["critical", "warning", "info"]
    assert [*AlertStatus] == ["active", "investigating", "resolved", "snoozed"]
    assert [*JobStatus] == ["processing", "completed", "failed"]


def test_alert_response_validates_an_orm_object() -> None:
    orm = Alert(
        id="a1",
        constituency_id="c1",
        type="unusual_spike",
        severity="critical",
        status="active",
        title="Spike",
        description=None,
        details={"ratio": 5.0},
        notes=["first look"],
        detected_at=datetime(2026, 9, 18, 5),  # naive, as a SQLite row could be
        resolved_at=None,
        assigned_to="anna",
        created_at=T0,
    )
    response = AlertResponse.model_validate(orm)
    assert response.id == "a1"
    assert response.notes == ["first look"]
    assert response.details == {"ratio": 5.0}
    assert response.detected_at == T0
    assert response.detected_at.tzinfo is UTC


def test_transaction_response_validates_an_orm_object() -> None:
    orm = Transaction(
        id="tx1",
        constituency_id="c1",
        block_height=7,
        timestamp=T0,
        type="blindSigIssue",
        raw_data={"operation": "blindSigIssue"},
        operation_data=None,
        created_at=T0,
    )
    response = TransactionResponse.model_validate(orm)
    assert (response.id, response.block_height, response.type) == ("tx1", 7, "blindSigIssue")
    assert response.raw_data == {"operation": "blindSigIssue"}


def test_hourly_stats_and_job_responses_validate_orm_objects() -> None:
    stats = HourlyStats(
        id="h1",
        constituency_id="c1",
        hour=T0,
        bulletins_issued=3,
        votes_cast=2,
        transaction_count=5,
        bulletin_velocity=3.0,
        vote_velocity=2.0,
        created_at=T0,
    )
    assert HourlyStatsResponse.model_validate(stats).votes_cast == 2
    orm_job = FileProcessingJob(
        id="j1",
        filename="c1_dump.zip",
        status="completed",
        details=None,
        transactions_processed=10,
        started_at=T0,
        completed_at=T0 + timedelta(minutes=1),
    )
    response = FileProcessingJobResponse.model_validate(orm_job)
    assert (response.id, response.status, response.transactions_processed) == (
        "j1",
        "completed",
        10,
    )


def test_response_validation_of_an_orm_object_still_checks_values() -> None:
    orm = Alert(
        id="a1",
        constituency_id="c1",
        type="x",
        severity="urgent",
        status="active",
        title="t",
        notes=[],
        detected_at=T0,
        created_at=T0,
    )
    with pytest.raises(ValidationError) as exc_info:
        AlertResponse.model_validate(orm)
    assert "Severity must be one of" in error_message(exc_info, "severity")
