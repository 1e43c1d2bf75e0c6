"""File jobs: uploads (streamed to disk, size-limited) that become ingest jobs, their progress,
their rejected rows, and the retry of a failed job."""

from __future__ import annotations

import shutil
import uuid
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.status import HTTP_202_ACCEPTED

from election_monitor.accounts import audit
from election_monitor.api import uploads
from election_monitor.api.deps import AppEngine, DbSession, Lead, Paging, Settings, Viewer
from election_monitor.api.errors import error_responses
from election_monitor.api.jobrunner import JobRunner
from election_monitor.api.pagination import Page, json_response, make_page
from election_monitor.api.routes._common import API_PREFIX, CHANGE, READ, READ_ONE, sort_query
from election_monitor.api.schemas import JobDetail, RejectedRowResponse, UploadResponse
from election_monitor.api.security import Principal
from election_monitor.crud import FileProcessingJobCRUD
from election_monitor.dashboard import lists
from election_monitor.dashboard.jobs import job_totals
from election_monitor.dashboard.paging import sort_values
from election_monitor.dashboard.schemas import JobTotals
from election_monitor.enums import JobStatus
from election_monitor.events import publish_job
from election_monitor.exceptions import (
    ConflictError,
    ElectionMonitorError,
    InvalidInputError,
    InvalidTransitionError,
    NotFoundError,
)
from election_monitor.ingest import jobs as ingest_jobs
from election_monitor.ingest.readers import detect_format
from election_monitor.models import Election, FileProcessingJob

router = APIRouter(prefix=API_PREFIX, tags=["jobs"])
SORTS = sort_values(lists.JOB_SORT)


class IngestFormat(StrEnum):
    AUTO = "auto"
    DEG_EXPORT = "deg-export"
    DEG_DUMP = "deg-dump"
    HOURLY_CSV = "hourly-csv"


@router.get(
    "/jobs/totals",
    response_model=JobTotals,
    summary="Files per status and the rows they inserted, skipped as duplicate or rejected",
    responses=READ,
)
def get_job_totals(
    principal: Viewer, db: DbSession, election_id: Annotated[str | None, Query()] = None
) -> JobTotals:
    return job_totals(db, election_id=election_id)


@router.get("/jobs", response_model=Page[JobDetail], summary="List file jobs", responses=READ)
def list_jobs(
    principal: Viewer,
    db: DbSession,
    window: Paging,
    status: Annotated[JobStatus | None, Query()] = None,
    election_id: Annotated[str | None, Query()] = None,
    filename: Annotated[str | None, Query()] = None,
    sort: Annotated[str, Query(**sort_query(SORTS, "-started_at"))] = "-started_at",
) -> Response:
    items, total = lists.jobs(
        db, window, status=status, election_id=election_id, filename=filename, sort=sort
    )
    return json_response(make_page([JobDetail.of(j) for j in items], total, window))


@router.get(
    "/jobs/{job_id}",
    response_model=JobDetail,
    summary="A job's status and progress (rows settled so far, inserted, duplicates, rejected)",
    responses=READ_ONE,
)
def get_job(job_id: str, principal: Viewer, db: DbSession) -> JobDetail:
    return JobDetail.of(FileProcessingJobCRUD(db).get_or_raise(job_id))


@router.get(
    "/jobs/{job_id}/rejected-rows",
    response_model=Page[RejectedRowResponse],
    summary="Rows the job rejected, with file, line and reason",
    responses=READ_ONE,
)
def get_rejected_rows(job_id: str, principal: Viewer, db: DbSession, window: Paging) -> Response:
    FileProcessingJobCRUD(db).get_or_raise(job_id)
    items, total = lists.rejected_rows(db, window, job_id=job_id)
    return json_response(
        make_page([RejectedRowResponse.model_validate(r) for r in items], total, window)
    )


def _runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.runner
    return runner


@router.post(
    "/jobs/{job_id}/retry",
    response_model=JobDetail,
    status_code=HTTP_202_ACCEPTED,
    summary="Retry a failed job (it resumes after the rows it had settled)",
    responses=CHANGE,
)
def retry_job(job_id: str, request: Request, principal: Lead, db: DbSession) -> JobDetail:
    job = FileProcessingJobCRUD(db).get_or_raise(job_id)
    if job.status != JobStatus.FAILED:
        raise InvalidTransitionError("FileProcessingJob", job.status or "", "processing", [])
    if not job.path or not Path(job.path).is_file():
        raise ConflictError(f"the job's file is no longer available at {job.path!r}")
    runner = _runner(request)
    if runner.is_running(job_id):
        raise ConflictError("the job is already running")
    job.status = JobStatus.PROCESSING.value
    job.completed_at = None
    audit.record(
        db,
        principal,
        action="job.retry",
        entity_type="job",
        entity_id=job.id,
        details={"filename": job.filename},
    )
    db.commit()
    runner.submit(
        job_id=job.id, path=Path(job.path), election_id=job.election_id, fmt=job.format or "auto"
    )
    return JobDetail.of(job)


def _register_upload(
    engine: AppEngine,
    runner: JobRunner,
    principal: Principal,
    received: uploads.Received,
    *,
    election_id: str | None,
    fmt: str,
) -> UploadResponse:
    """Create (or find) the job for the stored file and queue it; runs in a thread."""
    if received.size == 0:
        raise InvalidInputError("the uploaded file is empty")
    if fmt == IngestFormat.AUTO:
        fmt = detect_format(received.path)
    with Session(engine) as db, db.begin():
        same = db.execute(
            select(FileProcessingJob.id, FileProcessingJob.status)
            .where(FileProcessingJob.sha256 == received.sha256)
            .order_by(FileProcessingJob.started_at.desc())
        ).all()
        for job_id, status in same:
            if status == JobStatus.COMPLETED:
                job = db.get(FileProcessingJob, job_id)
                return UploadResponse(job=JobDetail.of(job), action="duplicate")
            if status == JobStatus.PROCESSING and runner.is_running(job_id):
                raise ConflictError(f"these bytes are being ingested by job {job_id}")
        conn = db.connection()
        plan = ingest_jobs.plan_job(
            conn,
            path=received.path,
            fmt=fmt,
            sha256=received.sha256,
            size=received.size,
            election_id=election_id,
            reprocess=False,
        )
        publish_job(conn, plan.job_id, kind="job.created")
        audit.record(
            db,
            principal,
            action="job.upload",
            entity_type="job",
            entity_id=plan.job_id,
            details={
                "filename": received.path.name,
                "size": received.size,
                "format": fmt,
                "sha256": received.sha256,
                "election_id": election_id,
            },
        )
    runner.submit(job_id=plan.job_id, path=received.path, election_id=election_id, fmt=fmt)
    with Session(engine) as db:
        return UploadResponse(
            job=JobDetail.of(db.get(FileProcessingJob, plan.job_id)), action="new"
        )


def _check_election(engine: AppEngine, election_id: str) -> None:
    with Session(engine) as db:
        if db.get(Election, election_id) is None:
            raise NotFoundError("Election", election_id)


@router.post(
    "/uploads",
    response_model=UploadResponse,
    status_code=HTTP_202_ACCEPTED,
    summary="Upload a file (multipart, part 'file'); it is ingested by a background job",
    description="Streamed to disk under ELMON_UPLOAD_DIR and limited to ELMON_MAX_UPLOAD_MIB. "
    "Identical bytes already ingested are not loaded again (action 'duplicate'). "
    "Browser sessions send the CSRF token as X-CSRF-Token or ?csrf_token=.",
    responses=error_responses(401, 403, 404, 409, 413, 422),
    openapi_extra=uploads.OPENAPI_BODY,
)
async def upload(
    request: Request,
    principal: Lead,
    engine: AppEngine,
    settings: Settings,
    election_id: Annotated[
        str | None, Query(description="election for constituencies first seen in the file")
    ] = None,
    format: Annotated[IngestFormat, Query()] = IngestFormat.AUTO,
    csrf_token: Annotated[str | None, Query(description="browser sessions only")] = None,
) -> UploadResponse:
    if election_id is not None:
        await run_in_threadpool(_check_election, engine, election_id)
    directory = Path(settings.upload_dir) / uuid.uuid4().hex
    received = await uploads.receive(
        request, directory, max_bytes=settings.max_upload_mib * uploads.MIB
    )
    try:
        result = await run_in_threadpool(
            _register_upload,
            engine,
            _runner(request),
            principal,
            received,
            election_id=election_id,
            fmt=format.value,
        )
    except ElectionMonitorError:
        shutil.rmtree(directory, ignore_errors=True)
        raise
    if result.action == "duplicate":
        shutil.rmtree(directory, ignore_errors=True)
    return result
