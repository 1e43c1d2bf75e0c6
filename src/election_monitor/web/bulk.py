"""Bulk triage from the alert list: acknowledge (move to investigating) or snooze (until a
time and/or until worse) the selected alerts. Each alert goes through the API's own route
function, so every one is validated, refused or audited exactly as a single change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from election_monitor.accounts.errors import PermissionDeniedError
from election_monitor.accounts.roles import Role
from election_monitor.alerts.lifecycle import allowed_next
from election_monitor.api.deps import DbSession
from election_monitor.api.routes import alerts as alert_routes
from election_monitor.api.schemas import SnoozeRequest, StatusChange
from election_monitor.crud import AlertCRUD
from election_monitor.enums import AlertStatus
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.timeutil import ensure_utc, utcnow
from election_monitor.web.access import WebUser, check_csrf, check_role
from election_monitor.web.rendering import render

router = APIRouter(include_in_schema=False)
MAX_SELECTED = 500


def _back(next_path: str, **params: int) -> str:
    path = next_path if next_path.startswith("/alerts") else "/alerts"
    joiner = "&" if "?" in path else "?"
    return path + joiner + "&".join(f"{k}={v}" for k, v in params.items())


def _refuse(request: Request, message: str, field: str, code: int) -> HTMLResponse:
    context = {"message": message, "field": field}
    return render(request, "bulk_error.html", context, status_code=code)


@router.post("/alerts/bulk")
def bulk_action(
    request: Request,
    principal: WebUser,
    db: DbSession,
    alert_id: Annotated[list[str], Form()] = [],  # noqa: B006 (FastAPI reads the default)
    action: Annotated[str, Form()] = "",
    until: Annotated[str, Form(max_length=40)] = "",
    until_worse: Annotated[str, Form(max_length=10)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/alerts",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        check_csrf(principal, csrf_token)
        check_role(principal, Role.LEAD if action == "snooze" else Role.OBSERVER)
    except PermissionDeniedError as exc:
        return _refuse(request, str(exc), "action", 403)
    if action not in {"acknowledge", "snooze"}:
        return _refuse(request, "choose acknowledge or snooze", "action", 422)
    if not alert_id:
        return _refuse(request, "select at least one alert", "alert_id", 422)
    if len(alert_id) > MAX_SELECTED:
        return _refuse(request, f"select at most {MAX_SELECTED} alerts", "alert_id", 422)
    snooze = None
    if action == "snooze":
        try:
            wake = ensure_utc(datetime.fromisoformat(until)) if until else None
        except ValueError:
            return _refuse(request, "until: enter a time like 2026-09-19T08:00 (UTC)", "until", 422)
        if wake is not None and wake <= utcnow():
            return _refuse(request, "until must be in the future", "until", 422)
        if wake is None and not until_worse:
            return _refuse(request, "give a time, tick 'until worse', or both", "until", 422)
        snooze = SnoozeRequest(until=wake, until_worse=bool(until_worse))
    done = skipped = 0
    for one in dict.fromkeys(alert_id):  # each once, in the order shown
        alert = AlertCRUD(db).get_or_raise(one)
        target = AlertStatus.SNOOZED if snooze else AlertStatus.INVESTIGATING
        if target.value not in allowed_next(alert.status or AlertStatus.ACTIVE.value):
            skipped += 1  # already there, or resolved: the lifecycle does not allow it
            continue
        try:
            if snooze is not None:
                alert_routes.snooze(one, snooze, principal, db)
            else:
                alert_routes.change_status(one, StatusChange(status=target), principal, db)
        except ElectionMonitorError:
            db.rollback()
            skipped += 1
            continue
        done += 1
    return RedirectResponse(_back(next, done=done, skipped=skipped), status_code=303)
