"""FileProcessingJobCRUD: the filters and the progress updates of a job."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from election_monitor.crud import FileProcessingJobCRUD
from election_monitor.exceptions import InvalidInputError, NotFoundError
from election_monitor.schemas import (
    FileProcessingJobCreate,
    FileProcessingJobResponse,
    FileProcessingJobUpdate,
)
from election_monitor.timeutil import utcnow
from tests.factories import T0, make_job

MINUTE = timedelta(minutes=1)


def test_create_from_schema_stores_every_field(db: Session) -> None:
    created = FileProcessingJobCRUD(db).create(
        FileProcessingJobCreate(filename="3Nabc_dump.zip", started_at=T0)
    )
    db.expire_all()
    stored = FileProcessingJobCRUD(db).get_or_raise(created.id)
    assert (stored.filename, stored.status, stored.started_at) == (
        "3Nabc_dump.zip",
        "processing",
        T0,
    )
    assert stored.transactions_processed == 0


def test_response_validates_the_stored_job(db: Session) -> None:
    job = make_job(db, filename="a.csv")
    response = FileProcessingJobResponse.model_validate(job)
    assert (response.id, response.filename, response.status) == (job.id, "a.csv", "processing")


def test_update_from_schema_changes_only_the_fields_set(db: Session) -> None:
    job = make_job(db, details="reading")
    FileProcessingJobCRUD(db).update(
        db_obj=job, obj_in=FileProcessingJobUpdate(transactions_processed=50)
    )
    db.expire_all()
    stored = FileProcessingJobCRUD(db).get_or_raise(job.id)
    assert (stored.transactions_processed, stored.details) == (50, "reading")
    assert stored.status == "processing"


def test_get_multi_orders_by_start_time(db: Session) -> None:
    later = make_job(db, started_at=T0 + MINUTE)
    earlier = make_job(db, started_at=T0)
    assert FileProcessingJobCRUD(db).get_multi() == [earlier, later]


def test_get_by_status_filters_on_status(db: Session) -> None:
    failed = make_job(db, status="failed")
    make_job(db)
    assert FileProcessingJobCRUD(db).get_by_status(status="failed") == [failed]


def test_get_by_filename_returns_the_newest_job_for_the_file(db: Session) -> None:
    make_job(db, filename="3Nabc_dump.zip", started_at=T0, status="failed")
    retry = make_job(db, filename="3Nabc_dump.zip", started_at=T0 + MINUTE)
    make_job(db, filename="other.zip", started_at=T0 + 2 * MINUTE)
    assert FileProcessingJobCRUD(db).get_by_filename(filename="3Nabc_dump.zip") == retry


def test_get_by_filename_returns_none_for_an_unknown_file(db: Session) -> None:
    assert FileProcessingJobCRUD(db).get_by_filename(filename="never-seen.csv") is None


def test_update_status_sets_status_and_details(db: Session) -> None:
    job = make_job(db)
    FileProcessingJobCRUD(db).update_status(id=job.id, status="failed", details="bad zip")
    db.expire_all()
    stored = FileProcessingJobCRUD(db).get_or_raise(job.id)
    assert (stored.status, stored.details) == ("failed", "bad zip")


def test_update_status_without_details_keeps_the_old_details(db: Session) -> None:
    job = make_job(db, details="12 rows rejected")
    updated = FileProcessingJobCRUD(db).update_status(id=job.id, status="completed")
    assert updated.details == "12 rows rejected"


@pytest.mark.parametrize("status", ["completed", "failed"])
def test_update_status_to_a_final_status_stamps_completed_at(db: Session, status: str) -> None:
    job = make_job(db)
    before = utcnow()
    updated = FileProcessingJobCRUD(db).update_status(id=job.id, status=status)
    assert updated.completed_at is not None
    assert updated.completed_at >= before - timedelta(seconds=1)


def test_update_status_keeps_an_existing_completed_at(db: Session) -> None:
    job = make_job(db, status="failed", completed_at=T0)
    updated = FileProcessingJobCRUD(db).update_status(id=job.id, status="completed")
    assert updated.completed_at == T0


def test_update_status_processing_leaves_completed_at_empty(db: Session) -> None:
    job = make_job(db)
    assert (
        FileProcessingJobCRUD(db).update_status(id=job.id, status="processing").completed_at is None
    )


def test_update_status_rejects_an_unknown_status_naming_allowed_values(db: Session) -> None:
    job = make_job(db)
    with pytest.raises(InvalidInputError, match=r"\['processing', 'completed', 'failed'\]"):
        FileProcessingJobCRUD(db).update_status(id=job.id, status="done")
    db.expire_all()
    assert FileProcessingJobCRUD(db).get_or_raise(job.id).status == "processing"


def test_increment_processed_count_is_additive(db: Session) -> None:
    job = make_job(db)
    crud = FileProcessingJobCRUD(db)
    assert crud.increment_processed_count(id=job.id).transactions_processed == 1
    assert crud.increment_processed_count(id=job.id, count=250).transactions_processed == 251
    db.expire_all()
    assert crud.get_or_raise(job.id).transactions_processed == 251


def test_increment_processed_count_adds_to_the_stored_value(db: Session) -> None:
    # Another worker counted rows since this session read the job: the addition happens in
    # SQL, so their rows are not lost to this session's stale copy.
    job = make_job(db, transactions_processed=10)
    db.connection().execute(
        text("UPDATE file_processing_jobs SET transactions_processed = 20 WHERE id = :id"),
        {"id": job.id},
    )
    assert job.transactions_processed == 10
    updated = FileProcessingJobCRUD(db).increment_processed_count(id=job.id, count=5)
    assert updated.transactions_processed == 25


def test_mark_completed_sets_status_and_stamps_completed_at(db: Session) -> None:
    job = make_job(db)
    before = utcnow()
    FileProcessingJobCRUD(db).mark_completed(id=job.id)
    db.expire_all()
    stored = FileProcessingJobCRUD(db).get_or_raise(job.id)
    assert stored.status == "completed"
    assert stored.completed_at is not None
    assert stored.completed_at.utcoffset() == timedelta(0)
    assert stored.completed_at >= before - timedelta(seconds=1)


JOB_UPDATES: dict[str, Callable[[FileProcessingJobCRUD], Any]] = {
    "update_status": lambda crud: crud.update_status(id="no-such-job", status="failed"),
    "increment_processed_count": lambda crud: crud.increment_processed_count(id="no-such-job"),
    "mark_completed": lambda crud: crud.mark_completed(id="no-such-job"),
}


@pytest.mark.parametrize("method", JOB_UPDATES)
def test_job_updates_of_a_missing_id_raise_not_found(db: Session, method: str) -> None:
    with pytest.raises(NotFoundError, match="FileProcessingJob 'no-such-job' not found"):
        JOB_UPDATES[method](FileProcessingJobCRUD(db))
