"""The Admin page (admins only): users with their role and state, each user's API tokens, and
the audit log with filters; forms to create a user, create a token for a user (its secret is
shown once, on the answer to the form) and revoke one. Reads and changes go through the API's
route functions (``/api/v1/users``, ``/api/v1/audit``), schemas and the accounts services, so
they are validated, checked and audited exactly as there."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from election_monitor.accounts import audit, tokens, users
from election_monitor.accounts.errors import PermissionDeniedError
from election_monitor.accounts.roles import Role
from election_monitor.api.deps import DbSession
from election_monitor.api.routes.users import create_user, update_user
from election_monitor.api.schemas import TokenCreate, UserCreate, UserUpdate
from election_monitor.exceptions import (
    ConflictError,
    ElectionMonitorError,
    InvalidInputError,
    NotFoundError,
)
from election_monitor.timeutil import parse_datetime
from election_monitor.web.access import WebUser, check_csrf, check_role
from election_monitor.web.rendering import render

router = APIRouter(include_in_schema=False)
PAGE_SIZE = 50


def _page(
    request: Request, db: DbSession, filters: dict[str, str | None], skip: int,
    error: str | None = None, status_code: int = 200, **forms: Any,
) -> HTMLResponse:  # fmt: skip
    """The page; ``forms`` carries a refused form's values and errors, or a new token."""
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
        "new_user": forms.get("new_user", {}),
        "new_user_errors": forms.get("new_user_errors", {}),
        "new_token": forms.get("new_token", {}),
        "new_token_errors": forms.get("new_token_errors", {}),
        "created": forms.get("created"),
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


def _field_errors(exc: ValidationError, fields: tuple[str, ...]) -> dict[str, str]:
    """The schema's messages keyed by form field (one not tied to a field goes under "")."""
    found: dict[str, str] = {}
    for e in exc.errors():
        where = str(e["loc"][0]) if e["loc"] else ""
        key = where if where in fields else ""
        found[key] = "; ".join(filter(None, (found.get(key), str(e["msg"]))))
    return found


USER_FIELDS = ("username", "role", "password", "display_name")


@router.post("/admin/users")
def add_user(
    request: Request,
    principal: WebUser,
    db: DbSession,
    username: Annotated[str, Form(max_length=200)] = "",
    role: Annotated[str, Form(max_length=20)] = "",
    password: Annotated[str, Form(max_length=2000)] = "",
    display_name: Annotated[str, Form(max_length=400)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """A new user through the API's ``create_user``: 422 or 409 next to the field."""
    check_csrf(principal, csrf_token)
    check_role(principal, Role.ADMIN)
    given = {"username": username, "role": role, "display_name": display_name}
    try:
        body = UserCreate.model_validate(
            {"username": username, "password": password, "role": role or None,
             "display_name": display_name.strip() or None}
        )  # fmt: skip
        create_user(body, principal, db)
    except ValidationError as exc:
        errors = _field_errors(exc, USER_FIELDS)
        return _page(request, db, {}, 0, errors.pop("", None), 422, new_user=given,
                     new_user_errors=errors)  # fmt: skip
    except (InvalidInputError, ConflictError) as exc:
        # After the schema only the name can be refused: malformed (422) or taken (409).
        db.rollback()
        code = 409 if isinstance(exc, ConflictError) else 422
        return _page(request, db, {}, 0, None, code, new_user=given,
                     new_user_errors={"username": str(exc)})  # fmt: skip
    return RedirectResponse("/admin", status_code=303)


@router.post("/admin/tokens")
def add_token(
    request: Request,
    principal: WebUser,
    db: DbSession,
    user_id: Annotated[str, Form(max_length=64)] = "",
    name: Annotated[str, Form(max_length=400)] = "",
    expires_at: Annotated[str, Form(max_length=40)] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """A token for any user, with the API's schema and service. The secret is in this answer
    only (never stored, so never shown again); ``no-store`` keeps it out of caches."""
    check_csrf(principal, csrf_token)
    check_role(principal, Role.ADMIN)
    given = {"user_id": user_id, "name": name, "expires_at": expires_at}
    try:
        body = TokenCreate.model_validate({"name": name, "expires_at": expires_at or None})
        owner = users.get_user(db, user_id)
        token, secret = tokens.create_token(
            db, user=owner, name=body.name, expires_at=body.expires_at, actor=principal
        )
        db.commit()
    except ValidationError as exc:
        errors = _field_errors(exc, ("name", "expires_at"))
        return _page(request, db, {}, 0, errors.pop("", None), 422, new_token=given,
                     new_token_errors=errors)  # fmt: skip
    except NotFoundError:
        return _page(request, db, {}, 0, None, 422, new_token=given,
                     new_token_errors={"user_id": "choose an existing user"})  # fmt: skip
    except InvalidInputError as exc:
        db.rollback()
        field = "expires_at" if "expires_at" in str(exc) else "name"
        return _page(request, db, {}, 0, None, 422, new_token=given,
                     new_token_errors={field: str(exc)})  # fmt: skip
    created = {"owner": owner.username, "name": token.name, "secret": secret,
               "expires_at": token.expires_at}  # fmt: skip
    page = _page(request, db, {}, 0, None, 201, created=created)
    page.headers["Cache-Control"] = "no-store"
    return page


@router.post("/admin/users/{user_id}/tokens/{token_id}/revoke")
def revoke_token(
    user_id: str,
    token_id: str,
    principal: WebUser,
    db: DbSession,
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Revoke a user's token with the service the API uses (audited; a second time is a
    no-op; another user's token is not found)."""
    check_csrf(principal, csrf_token)
    check_role(principal, Role.ADMIN)
    owner = users.get_user(db, user_id)
    tokens.revoke_token(db, user=owner, token_id=token_id, actor=principal)
    db.commit()
    return RedirectResponse("/admin", status_code=303)
