"""The pages: login, overview, constituency, alerts and an alert's triage.

Reads call the ``dashboard`` service functions the JSON twins call; actions call the API's own
route functions, so a form is validated, authorised, audited and refused exactly as the API.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from election_monitor import alerts as alert_service
from election_monitor.accounts import sessions
from election_monitor.accounts.errors import PermissionDeniedError, RateLimitedError
from election_monitor.accounts.roles import Role
from election_monitor.alerts.lifecycle import allowed_next, lifecycle_state
from election_monitor.api.deps import DbSession
from election_monitor.api.routes import alerts as alert_routes
from election_monitor.api.schemas import AssignRequest, NoteCreate, SnoozeRequest, StatusChange
from election_monitor.api.security import clear_session_cookie, client_ip, set_session_cookie
from election_monitor.crud import AlertCRUD, ConstituencyCRUD
from election_monitor.dashboard import lists
from election_monitor.dashboard.expected import constituency_expected
from election_monitor.dashboard.jobs import job_totals
from election_monitor.dashboard.lists import Window
from election_monitor.dashboard.regions import region_grid
from election_monitor.dashboard.score import constituency_score
from election_monitor.dashboard.series import alert_series, constituency_series
from election_monitor.dashboard.summary import election_summary
from election_monitor.enums import (
    AlertSeverity,
    AlertStatus,
    ConstituencyStatus,
    ConstituencyType,
    values,
)
from election_monitor.exceptions import (
    ConflictError,
    ElectionMonitorError,
    InvalidInputError,
    NotFoundError,
)
from election_monitor.web import charts
from election_monitor.web.access import WebUser, check_csrf, check_role
from election_monitor.web.i18n import LANG_COOKIE, LANGUAGES, translations
from election_monitor.web.rendering import language_of, render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _choice(value: str | None, allowed: list[str], name: str) -> str | None:
    """An optional filter value that must be one of ``allowed`` (empty means no filter)."""
    if not value:
        return None
    if value not in allowed:
        raise InvalidInputError(f"{name} must be one of {allowed}, got {value!r}")
    return value


def _score(value: str | None) -> float | None:
    """The score filter: empty means none; otherwise a number of at least 0."""
    if not value:
        return None
    try:
        score = float(value)
    except ValueError:
        raise InvalidInputError(f"min_score must be a number, got {value!r}") from None
    if not score >= 0:
        raise InvalidInputError("min_score must be 0 or more")
    return score


def _safe_next(path: str | None) -> str:
    """Only local paths: a login link cannot send the user to another site."""
    if not path or not path.startswith("/") or path.startswith("//"):
        return "/"
    return path


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/") -> HTMLResponse:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", response_class=HTMLResponse)
def login_submit(
    request: Request,
    db: DbSession,
    username: Annotated[str, Form(max_length=200)] = "",
    password: Annotated[str, Form(max_length=1000)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
) -> Response:
    try:
        done = sessions.login(
            db,
            username=username,
            password=password,
            ip=client_ip(request),
            user_agent=request.headers.get("user-agent"),
        )
    except ElectionMonitorError as exc:
        db.commit()  # keep the failed attempt for the rate limit
        context = {"next": _safe_next(next), "error": str(exc), "username": username}
        if isinstance(exc, RateLimitedError):
            page = render(request, "login.html", context, status_code=429)
            page.headers["Retry-After"] = str(exc.retry_after)
            return page
        return render(request, "login.html", context, status_code=401)
    db.commit()
    response = RedirectResponse(_safe_next(next), status_code=303)
    set_session_cookie(request, response, done)
    return response


@router.post("/logout")
def logout(principal: WebUser, db: DbSession, csrf_token: Annotated[str, Form()] = "") -> Response:
    check_csrf(principal, csrf_token)
    if principal.session_id is not None:
        sessions.logout(db, session_id=principal.session_id, actor=principal)
        db.commit()
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(response)
    return response


@router.get("/lang/{language}")
def switch_language(language: str, next: str = "/") -> Response:
    response = RedirectResponse(_safe_next(next), status_code=303)
    if language in LANGUAGES:
        response.set_cookie(LANG_COOKIE, language, max_age=365 * 86400, samesite="lax")
    return response


@router.get("/", response_class=HTMLResponse)
def overview(
    request: Request,
    principal: WebUser,
    db: DbSession,
    election_id: str | None = None,
    region: str | None = None,
    type: str | None = None,
    status: str | None = None,
    min_score: Annotated[str | None, Query(max_length=40)] = None,
    sort: str = "-anomaly_score",
    skip: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    elections, _ = lists.elections(db, Window(0, 100))
    context: dict[str, object] = {
        "elections": elections,
        "election": None,
        "summary": None,
        "tiles": [],
        "rows": [],
        "total": 0,
        "skip": skip,
        "limit": PAGE_SIZE,
        "filters": {
            "region": region,
            "type": type,
            "status": status,
            "sort": sort,
            "min_score": min_score,
        },
        "files": None,
        "statuses": values(ConstituencyStatus),
        "types": values(ConstituencyType),
        "error": None,
    }
    if not elections:
        return render(request, "overview.html", context)
    chosen = next((e for e in elections if e.id == election_id), elections[0])
    context["election"] = chosen
    context["summary"] = election_summary(db, election_id=chosen.id)
    context["tiles"] = region_grid(db, election_id=chosen.id)
    context["files"] = job_totals(db, election_id=chosen.id)
    try:
        rows, total = lists.constituencies(
            db,
            Window(skip, PAGE_SIZE),
            election_id=chosen.id,
            region=region or None,
            status=_choice(status, values(ConstituencyStatus), "status"),
            type=_choice(type, values(ConstituencyType), "type"),
            min_score=_score(min_score),
            sort=sort,
        )
    except InvalidInputError as exc:
        context["error"] = str(exc)
        return render(request, "overview.html", context, status_code=422)
    context["rows"], context["total"] = rows, total
    return render(request, "overview.html", context)


@router.get("/constituencies/{constituency_id}", response_class=HTMLResponse)
def constituency_page(
    request: Request, constituency_id: str, principal: WebUser, db: DbSession
) -> HTMLResponse:
    constituency = ConstituencyCRUD(db).get_or_raise(constituency_id)
    series = constituency_series(db, constituency_id=constituency_id)
    score = constituency_score(db, constituency_id=constituency_id)
    found, _ = lists.alerts(db, Window(0, 200), constituency_id=constituency_id)
    hours = list(
        zip(
            series.hours,
            series.bulletins_issued,
            series.votes_cast,
            series.cumulative_bulletins,
            series.cumulative_votes,
            series.vote_velocity,
            strict=True,
        )
    )
    zone = constituency.timezone or constituency.election.timezone
    labels = _labels(request)
    expected = constituency_expected(db, constituency_id=constituency_id)
    figures = {}
    if series.hours:
        figures = {
            "hourly": charts.hourly_figure(series, expected, zone, labels),
            "cumulative": charts.cumulative_figure(series, zone, labels),
            "velocity": charts.velocity_figure(series, zone, labels),
        }
    context = {
        "c": constituency,
        "zone": zone,
        "series": series,
        "hours": hours,
        "score": score,
        "alerts": found,
        "figures": figures,
        "labels": labels,
    }
    return render(request, "constituency.html", context)


def _labels(request: Request) -> dict[str, str]:
    return charts.chart_labels(translations(language_of(request)).gettext)


@router.get("/alerts", response_class=HTMLResponse)
def alerts_page(
    request: Request,
    principal: WebUser,
    db: DbSession,
    election_id: str | None = None,
    region: str | None = None,
    type: str | None = None,
    status: str | None = None,
    severity: str | None = None,
    assigned_to: str | None = None,
    sort: str = "severity",
    skip: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    filters = {
        "election_id": election_id,
        "region": region,
        "type": type,
        "status": status,
        "severity": severity,
        "assigned_to": assigned_to,
        "sort": sort,
    }
    context: dict[str, object] = {
        "rows": [],
        "total": 0,
        "skip": skip,
        "limit": PAGE_SIZE,
        "filters": filters,
        "statuses": values(AlertStatus),
        "severities": values(AlertSeverity),
        "error": None,
    }
    try:
        rows, total = lists.alerts(
            db,
            Window(skip, PAGE_SIZE),
            election_id=election_id or None,
            region=region or None,
            type=type or None,
            status=_choice(status, values(AlertStatus), "status"),
            severity=_choice(severity, values(AlertSeverity), "severity"),
            assigned_to=assigned_to or None,
            sort=sort,
        )
    except InvalidInputError as exc:
        context["error"] = str(exc)
        return render(request, "alerts.html", context, status_code=422)
    context["rows"], context["total"] = rows, total
    return render(request, "alerts.html", context)


def _alert_page(
    request: Request,
    db: DbSession,
    alert_id: str,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    alert = AlertCRUD(db).get_or_raise(alert_id)
    zone = alert.constituency.timezone or alert.constituency.election.timezone
    around = alert_series(db, alert_id=alert_id)
    labels = _labels(request)
    figure = None
    if around.series.hours:
        figure = charts.window_figure(
            around.series, zone, labels, around.window_start, around.window_end
        )
    context = {
        "alert": alert,
        "figure": figure,
        "labels": labels,
        "detail": alert_routes.detail(alert),
        "history": alert_service.history(db, alert_id=alert_id),
        "allowed": [s for s in allowed_next(alert.status) if s != AlertStatus.SNOOZED.value],
        # The snooze form follows the transition table, like the status buttons.
        "can_snooze": AlertStatus.SNOOZED.value in allowed_next(alert.status),
        "until_worse": bool(lifecycle_state(alert).get("until_worse")),
        "zone": zone,
        "error": error,
    }
    return render(request, "alert.html", context, status_code=status_code)


@router.get("/alerts/{alert_id}", response_class=HTMLResponse)
def alert_page(request: Request, alert_id: str, principal: WebUser, db: DbSession) -> HTMLResponse:
    return _alert_page(request, db, alert_id)


def _act(
    request: Request, db: DbSession, principal: WebUser, alert_id: str, csrf: str, action: str,
    **fields: str,
) -> Response:  # fmt: skip
    """Run one alert action through the API's route function; errors show on the page."""
    try:
        check_csrf(principal, csrf)
        # The role the API's route asks for: snoozing is for leads, the rest for observers.
        check_role(principal, Role.LEAD if action == "snooze" else Role.OBSERVER)
        if action == "note":
            alert_routes.add_note(alert_id, NoteCreate(text=fields["text"]), principal, db)
        elif action == "status":
            body = StatusChange.model_validate({"status": fields["status"]})
            alert_routes.change_status(alert_id, body, principal, db)
        elif action == "snooze":
            body_snooze = SnoozeRequest.model_validate(
                {"until": fields["until"] or None, "until_worse": bool(fields["until_worse"])}
            )
            alert_routes.snooze(alert_id, body_snooze, principal, db)
        else:
            body_assign = AssignRequest(assignee=fields["assignee"])
            alert_routes.assign(alert_id, body_assign, principal, db)
    except PermissionDeniedError as exc:
        db.rollback()
        return _alert_page(request, db, alert_id, str(exc), 403)
    except ValidationError as exc:
        db.rollback()
        message = "; ".join(str(e["msg"]) for e in exc.errors())
        return _alert_page(request, db, alert_id, message, 422)
    except NotFoundError:
        raise
    except ElectionMonitorError as exc:
        db.rollback()
        code = 409 if isinstance(exc, ConflictError) else 422
        return _alert_page(request, db, alert_id, str(exc), code)
    return RedirectResponse(f"/alerts/{quote(alert_id)}", status_code=303)


@router.post("/alerts/{alert_id}/note")
def post_note(
    request: Request,
    alert_id: str,
    principal: WebUser,
    db: DbSession,
    text: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    return _act(request, db, principal, alert_id, csrf_token, "note", text=text)


@router.post("/alerts/{alert_id}/status")
def post_status(
    request: Request,
    alert_id: str,
    principal: WebUser,
    db: DbSession,
    status: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    return _act(request, db, principal, alert_id, csrf_token, "status", status=status)


@router.post("/alerts/{alert_id}/assign")
def post_assign(
    request: Request,
    alert_id: str,
    principal: WebUser,
    db: DbSession,
    assignee: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    return _act(request, db, principal, alert_id, csrf_token, "assign", assignee=assignee)


@router.post("/alerts/{alert_id}/snooze")
def post_snooze(
    request: Request,
    alert_id: str,
    principal: WebUser,
    db: DbSession,
    until: Annotated[str, Form(max_length=40)] = "",
    until_worse: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Snooze until a time (UTC), until the evidence worsens, or both: the API's body."""
    return _act(
        request, db, principal, alert_id, csrf_token, "snooze", until=until, until_worse=until_worse
    )
