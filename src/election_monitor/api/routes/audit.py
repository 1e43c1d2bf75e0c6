"""The audit log (admins only): read, never written or edited through the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from election_monitor.accounts import audit
from election_monitor.api.deps import Admin, DbSession, Paging
from election_monitor.api.pagination import Page, json_response, make_page
from election_monitor.api.routes._common import API_PREFIX, READ
from election_monitor.api.schemas import AuditEntryResponse
from election_monitor.schemas.base import UTCDatetime

router = APIRouter(prefix=f"{API_PREFIX}/audit", tags=["audit"])


@router.get(
    "",
    response_model=Page[AuditEntryResponse],
    summary="Audit log entries, newest first",
    responses=READ,
)
def list_audit(
    principal: Admin,
    db: DbSession,
    window: Paging,
    actor: Annotated[str | None, Query(description="username")] = None,
    action: Annotated[str | None, Query(description="e.g. alert.status, user.create")] = None,
    entity_type: Annotated[str | None, Query(description="e.g. alert, user, job")] = None,
    entity_id: Annotated[str | None, Query()] = None,
    since: Annotated[UTCDatetime | None, Query()] = None,
    until: Annotated[UTCDatetime | None, Query()] = None,
) -> Response:
    entries, total = audit.list_entries(
        db,
        actor=actor,
        action=action,
        entity_type=entity_type,
        entity_id=entity_id,
        since=since,
        until=until,
        skip=window.skip,
        limit=window.limit,
    )
    return json_response(
        make_page([AuditEntryResponse.model_validate(e) for e in entries], total, window)
    )
