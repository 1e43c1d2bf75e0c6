"""The Files and jobs page: upload (several files, drag and drop, through ``POST
/api/v1/uploads``), every job with its live counters, totals, and a job's rejected rows with
line and reason. Twins: ``/api/v1/jobs``, ``/api/v1/jobs/totals``, ``/api/v1/jobs/{id}`` and
``/api/v1/jobs/{id}/rejected-rows``, built by the same ``dashboard`` functions."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse

from election_monitor.accounts.roles import Role, role_allows
from election_monitor.api.deps import DbSession
from election_monitor.api.schemas import JobDetail, RejectedRowResponse
from election_monitor.crud import FileProcessingJobCRUD
from election_monitor.dashboard import lists
from election_monitor.dashboard.jobs import job_totals
from election_monitor.dashboard.lists import Window
from election_monitor.enums import JobStatus, values
from election_monitor.exceptions import InvalidInputError
from election_monitor.web.access import WebUser
from election_monitor.web.rendering import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


@router.get("/files", response_class=HTMLResponse)
def files_page(
    request: Request,
    principal: WebUser,
    db: DbSession,
    status: str | None = None,
    filename: Annotated[str | None, Query(max_length=500)] = None,
    sort: str = "-started_at",
    skip: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    elections, _ = lists.elections(db, Window(0, 100))
    context: dict[str, object] = {
        "jobs": [],
        "total": 0,
        "skip": skip,
        "limit": PAGE_SIZE,
        "filters": {"status": status, "filename": filename, "sort": sort},
        "statuses": values(JobStatus),
        "totals": job_totals(db),
        "elections": elections,
        "can_upload": role_allows(principal.role, Role.LEAD),
        "error": None,
    }
    try:
        if status and status not in values(JobStatus):
            raise InvalidInputError(f"status must be one of {values(JobStatus)}, got {status!r}")
        jobs, total = lists.jobs(
            db, Window(skip, PAGE_SIZE), status=status or None, filename=filename or None,
            sort=sort,
        )  # fmt: skip
    except InvalidInputError as exc:
        context["error"] = str(exc)
        return render(request, "files.html", context, status_code=422)
    context["jobs"], context["total"] = [JobDetail.of(j) for j in jobs], total
    return render(request, "files.html", context)


@router.get("/files/{job_id}", response_class=HTMLResponse)
def job_page(
    request: Request,
    job_id: str,
    principal: WebUser,
    db: DbSession,
    skip: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    job = JobDetail.of(FileProcessingJobCRUD(db).get_or_raise(job_id))
    rows, total = lists.rejected_rows(db, Window(skip, PAGE_SIZE), job_id=job_id)
    context = {
        "job": job,
        "rows": [RejectedRowResponse.model_validate(r) for r in rows],
        "total": total,
        "skip": skip,
        "limit": PAGE_SIZE,
    }
    return render(request, "job.html", context)
