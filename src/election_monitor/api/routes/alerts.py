"""Alerts: list, show, history; change status, add a note, assign, snooze.

Every action goes through ``election_monitor.alerts`` (the lifecycle's rules and the alert's
own audit trail) and is also written to the audit log with the caller's address.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from election_monitor import alerts as alert_service
from election_monitor.accounts import audit
from election_monitor.accounts.users import get_by_username
from election_monitor.alerts.lifecycle import allowed_next, lifecycle_state
from election_monitor.api.deps import DbSession, Lead, Observer, Paging, Viewer
from election_monitor.api.pagination import Page, json_response, make_page
from election_monitor.api.routes._common import API_PREFIX, CHANGE, READ, READ_ONE, sort_query
from election_monitor.api.schemas import (
    AlertDetail,
    AlertEventResponse,
    AssignRequest,
    NoteCreate,
    SnoozeRequest,
    StatusChange,
)
from election_monitor.api.security import Principal
from election_monitor.crud import AlertCRUD
from election_monitor.dashboard import lists
from election_monitor.dashboard.paging import sort_values
from election_monitor.dashboard.schemas import AlertWindowSeries
from election_monitor.dashboard.series import alert_series
from election_monitor.enums import AlertSeverity, AlertStatus
from election_monitor.exceptions import InvalidInputError
from election_monitor.models import Alert
from election_monitor.schemas import AlertResponse
from election_monitor.schemas.base import UTCDatetime
from election_monitor.timeutil import parse_datetime, utcnow

router = APIRouter(prefix=f"{API_PREFIX}/alerts", tags=["alerts"])
SORTS = sort_values(lists.ALERT_SORT)


@router.get("", response_model=Page[AlertResponse], summary="List alerts", responses=READ)
def list_alerts(
    principal: Viewer,
    db: DbSession,
    window: Paging,
    constituency_id: Annotated[str | None, Query()] = None,
    election_id: Annotated[str | None, Query()] = None,
    region: Annotated[str | None, Query()] = None,
    type: Annotated[str | None, Query(description="e.g. votes_exceed_bulletins")] = None,
    status: Annotated[AlertStatus | None, Query()] = None,
    severity: Annotated[AlertSeverity | None, Query()] = None,
    assigned_to: Annotated[str | None, Query()] = None,
    detected_from: Annotated[UTCDatetime | None, Query(description="inclusive")] = None,
    detected_to: Annotated[UTCDatetime | None, Query(description="exclusive")] = None,
    sort: Annotated[
        str, Query(**sort_query(SORTS, "severity (most urgent first, then newest)"))
    ] = "severity",
) -> Response:
    items, total = lists.alerts(
        db,
        window,
        constituency_id=constituency_id,
        election_id=election_id,
        region=region,
        type=type,
        status=status,
        severity=severity,
        assigned_to=assigned_to,
        detected_from=detected_from,
        detected_to=detected_to,
        sort=sort,
    )
    return json_response(make_page([AlertResponse.model_validate(a) for a in items], total, window))


def detail(alert: Alert) -> AlertDetail:
    """The alert with what may happen to it next."""
    until = lifecycle_state(alert).get("snoozed_until")
    return AlertDetail(
        **AlertResponse.model_validate(alert).model_dump(),
        allowed_transitions=allowed_next(alert.status or AlertStatus.ACTIVE.value),
        snoozed_until=parse_datetime(str(until)) if until else None,
    )


@router.get(
    "/{alert_id}",
    response_model=AlertDetail,
    summary="Show an alert with its allowed next statuses",
    responses=READ_ONE,
)
def get_alert(alert_id: str, principal: Viewer, db: DbSession) -> Response:
    return json_response(detail(AlertCRUD(db).get_or_raise(alert_id)))


@router.get(
    "/{alert_id}/series",
    response_model=AlertWindowSeries,
    summary="The alert's constituency hour by hour around the alert's window",
    responses=READ_ONE,
)
def get_alert_series(alert_id: str, principal: Viewer, db: DbSession) -> Response:
    return json_response(alert_series(db, alert_id=alert_id))


@router.get(
    "/{alert_id}/history",
    response_model=list[AlertEventResponse],
    summary="The alert's audit trail, oldest first",
    responses=READ_ONE,
)
def get_history(alert_id: str, principal: Viewer, db: DbSession) -> list[AlertEventResponse]:
    return [
        AlertEventResponse.model_validate(e) for e in alert_service.history(db, alert_id=alert_id)
    ]


def _done(
    db: DbSession, principal: Principal, alert: Alert, action: str, **details: object
) -> AlertDetail:
    audit.record(
        db, principal, action=action, entity_type="alert", entity_id=alert.id, details=details
    )
    db.commit()
    db.refresh(alert)
    return detail(alert)


@router.post(
    "/{alert_id}/status",
    response_model=AlertDetail,
    summary="Change the status (409 when the lifecycle does not allow it)",
    responses=CHANGE,
)
def change_status(
    alert_id: str, body: StatusChange, principal: Observer, db: DbSession
) -> AlertDetail:
    if body.status == AlertStatus.SNOOZED:
        raise InvalidInputError("to snooze, use POST /api/v1/alerts/{id}/snooze (role lead)")
    before = AlertCRUD(db).get_or_raise(alert_id).status
    alert = alert_service.change_status(
        db, alert_id=alert_id, status=body.status.value, actor=principal.username
    )
    if body.note:
        alert_service.add_note(db, alert_id=alert_id, author=principal.username, text=body.note)
    return _done(db, principal, alert, "alert.status", **{"from": before, "to": alert.status})


@router.post(
    "/{alert_id}/notes",
    response_model=AlertDetail,
    summary="Add a note (stored with author and time)",
    responses=CHANGE,
)
def add_note(alert_id: str, body: NoteCreate, principal: Observer, db: DbSession) -> AlertDetail:
    alert = alert_service.add_note(db, alert_id=alert_id, author=principal.username, text=body.text)
    return _done(db, principal, alert, "alert.note", text=body.text)


@router.post(
    "/{alert_id}/assign",
    response_model=AlertDetail,
    summary="Assign to a user (null or empty unassigns)",
    responses=CHANGE,
)
def assign(alert_id: str, body: AssignRequest, principal: Observer, db: DbSession) -> AlertDetail:
    AlertCRUD(db).get_or_raise(alert_id)
    assignee = (body.assignee or "").strip()
    if assignee:
        user = get_by_username(db, assignee)
        if user is None or not user.is_active:
            raise InvalidInputError(f"no active user named {assignee!r} to assign to")
        assignee = user.username
    before = AlertCRUD(db).get_or_raise(alert_id).assigned_to
    alert = alert_service.assign(db, alert_id=alert_id, assignee=assignee, actor=principal.username)
    return _done(db, principal, alert, "alert.assign", **{"from": before, "to": assignee or None})


@router.post(
    "/{alert_id}/snooze",
    response_model=AlertDetail,
    summary="Snooze until a time and/or until the evidence worsens (role lead)",
    responses=CHANGE,
)
def snooze(alert_id: str, body: SnoozeRequest, principal: Lead, db: DbSession) -> AlertDetail:
    if body.until is not None and body.until <= utcnow():
        raise InvalidInputError("until must be in the future")
    before = AlertCRUD(db).get_or_raise(alert_id).status
    alert = alert_service.change_status(
        db,
        alert_id=alert_id,
        status=AlertStatus.SNOOZED.value,
        actor=principal.username,
        snooze_until=body.until,
        until_worse=body.until_worse,
    )
    return _done(
        db,
        principal,
        alert,
        "alert.snooze",
        **{"from": before, "until": body.until, "until_worse": body.until_worse},
    )
