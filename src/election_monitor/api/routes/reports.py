"""Reports: the election report (HTML, PDF), an alert's evidence pack, the shift hand-over.

Each calls the same service function as the CLI (``elmon report``, ``elmon alerts export``,
``elmon report shift``), so the bytes are the same whichever way they were asked for.
"""

from __future__ import annotations

import hashlib
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field

from election_monitor.api.deps import DbSession, Viewer
from election_monitor.api.routes._common import API_PREFIX, READ_ONE
from election_monitor.dashboard.handover import Handover, build_handover
from election_monitor.reports.content import ReportFilters
from election_monitor.reports.evidence import evidence_pack
from election_monitor.reports.i18n import check_language
from election_monitor.reports.service import render_report
from election_monitor.schemas.base import UTCDatetime

router = APIRouter(prefix=API_PREFIX, tags=["reports"])

MEDIA = {"html": "text/html; charset=utf-8", "pdf": "application/pdf"}


class ReportRequest(BaseModel):
    """What ``elmon report`` takes, as JSON."""

    election_id: str
    format: Literal["html", "pdf"] = "pdf"
    lang: Literal["en", "ru"] = "en"
    filters: ReportFilters = Field(default_factory=ReportFilters)


@router.post(
    "/reports",
    summary="Build an election report (HTML or PDF, with its manifest in a header)",
    responses={**READ_ONE, 200: {"content": {"application/pdf": {}, "text/html": {}}}},
    response_class=Response,
)
def create_report(body: ReportRequest, principal: Viewer, db: DbSession) -> Response:
    data, manifest = render_report(
        db,
        election_id=body.election_id,
        fmt="." + body.format,
        lang=body.lang,
        filters=body.filters,
        report_name=f"report.{body.format}",
    )
    name = f"report-{body.election_id}.{body.format}"
    return Response(
        data,
        media_type=MEDIA[body.format],
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            "X-Elmon-Report-SHA256": hashlib.sha256(data).hexdigest(),
            "X-Elmon-Figures-SHA256": manifest["figures_sha256"],
        },
    )


@router.get(
    "/alerts/{alert_id}/evidence",
    summary="Download an alert's evidence pack (deterministic ZIP)",
    responses={**READ_ONE, 200: {"content": {"application/zip": {}}}},
    response_class=Response,
)
def download_evidence(
    alert_id: str,
    principal: Viewer,
    db: DbSession,
    lang: Annotated[Literal["en", "ru"], Query(description="narrative language")] = "en",
) -> Response:
    data = evidence_pack(db, alert_id=alert_id, lang=check_language(lang))
    return Response(
        data,
        media_type="application/zip",
        headers={
            "Content-Disposition": f'attachment; filename="evidence-{alert_id}.zip"',
            "X-Elmon-SHA256": hashlib.sha256(data).hexdigest(),
        },
    )


@router.get(
    "/elections/{election_id}/handover",
    response_model=Handover,
    summary="Shift hand-over: new, escalated, resolved alerts, snoozes, offline, who did what",
    responses=READ_ONE,
)
def handover(
    election_id: str,
    principal: Viewer,
    db: DbSession,
    since: Annotated[UTCDatetime, Query(description="start of the shift, inclusive")],
    until: Annotated[UTCDatetime, Query(description="end of the shift, exclusive")],
) -> Handover:
    return build_handover(db, election_id=election_id, since=since, until=until)
