"""The Admin page (admins only): users with their role and state, each user's API tokens, and
the audit log with filters. Reads and changes go through the API's route functions
(``/api/v1/users``, ``/api/v1/audit``) and the accounts services, so they are checked and
audited exactly as there."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from election_monitor.accounts import audit, tokens, users
from election_monitor.accounts.errors import PermissionDeniedError
from election_monitor.accounts.roles import Role
from election_monitor.api.deps import DbSession
from election_monitor.api.routes.users import update_user
from election_monitor.api.schemas import UserUpdate
from election_monitor.exceptions import ElectionMonitorError, NotFoundError
from election_monitor.timeutil import parse_datetime
from election_monitor.web.access import WebUser, check_csrf, check_role
from election_monitor.web.rendering import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _page(
    request: Request, db: DbSession, filters: dict[str, str | None], skip: int,
    error: str | None = None, status_code: int = 200,
) -> HTMLResponse:  # fmt: skip
    errors: dict[str, str] = {}
    times = {}
    for name in ("since", "until"):
        value = filters.get(name)
        try:
            times[name] = parse_datetime(value) if value else None
        except ValueError:
            errors[name] = "enter a time like 2026-09-19T08:00 (UTC)"
            times[name] = None
    entries, total = audit.list_entries(
        db,
        actor=filters.get("actor") or None,
        action=filters.get("action") or None,
        entity_type=filters.get("entity_type") or None,
        entity_id=None,
        since=times["since"],
        until=times["until"],
        skip=skip,
        limit=PAGE_SIZE,
    )
    people = users.list_users(db)
    context = {
        "people": people,
        "tokens": {u.id: tokens.list_tokens(db, user=u, include_revoked=True) for u in people},
        "roles": [r.value for r in Role],
        "entries": entries,
        "total": total,
        "skip": skip,
        "limit": PAGE_SIZE,
        "filters": filters,
        "errors": errors,
        "error": error,
    }
    code = 422 if errors and status_code == 200 else status_code
    return render(request, "admin.html", context, status_code=code)


@router.get("/admin", response_class=HTMLResponse)
def admin_page(
    request: Request,
    principal: WebUser,
    db: DbSession,
    actor: Annotated[str | None, Query(max_length=200)] = None,
    action: Annotated[str | None, Query(max_length=200)] = None,
    entity_type: Annotated[str | None, Query(max_length=100)] = None,
    since: Annotated[str | None, Query(max_length=40)] = None,
    until: Annotated[str | None, Query(max_length=40)] = None,
    skip: Annotated[int, Query(ge=0, le=10**9)] = 0,
) -> HTMLResponse:
    check_role(principal, Role.ADMIN)
    filters = {"actor": actor, "action": action, "entity_type": entity_type, "since": since,
               "until": until}  # fmt: skip
    return _page(request, db, filters, skip)


@router.post("/admin/users/{user_id}")
def change_user(
    request: Request,
    user_id: str,
    principal: WebUser,
    db: DbSession,
    role: Annotated[str, Form(max_length=20)] = "",
    is_active: Annotated[str, Form(max_length=10)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    try:
        check_csrf(principal, csrf_token)
        check_role(principal, Role.ADMIN)
        body = UserUpdate.model_validate(
            {"role": role or None, "is_active": {"yes": True, "no": False}.get(is_active)}
        )
        update_user(user_id, body, principal, db)
    except PermissionDeniedError:
        raise
    except ValidationError as exc:
        message = "; ".join(str(e["msg"]) for e in exc.errors())
        return _page(request, db, {}, 0, message, 422)
    except NotFoundError:
        raise
    except ElectionMonitorError as exc:
        db.rollback()
        return _page(request, db, {}, 0, str(exc), 409)
    return RedirectResponse("/admin", status_code=303)
