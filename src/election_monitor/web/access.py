"""Who is looking at a page: the session cookie only (pages are for browsers), with the same
roles and CSRF rule as the API. Anonymous readers are sent to the login page."""

from __future__ import annotations

import secrets
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from election_monitor.accounts.errors import AuthenticationError, PermissionDeniedError
from election_monitor.accounts.roles import Role, role_allows
from election_monitor.accounts.sessions import authenticate_session
from election_monitor.api.security import SESSION_COOKIE, Principal, client_ip, db_session


class LoginRequiredError(Exception):
    """No valid session: the page answers with a redirect to ``/login``."""

    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


def web_principal(request: Request, db: Annotated[Session, Depends(db_session)]) -> Principal:
    """The signed-in user, or ``LoginRequiredError``."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        raise LoginRequiredError(request.url.path)
    try:
        user, login = authenticate_session(db, cookie)
    except AuthenticationError:
        raise LoginRequiredError(request.url.path) from None
    principal = Principal(
        user.username,
        user.role,
        "session",
        user.id,
        client_ip(request),
        request.headers.get("user-agent"),
        csrf_token=login.csrf_token,
        session_id=login.id,
    )
    request.state.principal = principal
    return principal


def check_csrf(principal: Principal, sent: str | None) -> None:
    """A form post must echo the session's CSRF token (403 otherwise)."""
    if (
        not sent
        or not principal.csrf_token
        or not secrets.compare_digest(sent, principal.csrf_token)
    ):
        raise PermissionDeniedError("missing or wrong CSRF token: reload the page and retry")


def check_role(principal: Principal, role: Role) -> None:
    if not role_allows(principal.role, role):
        raise PermissionDeniedError(
            f"this needs the {role.value} role or higher; you are {principal.role}"
        )


WebUser = Annotated[Principal, Depends(web_principal)]
