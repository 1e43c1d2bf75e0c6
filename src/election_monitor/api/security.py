"""Who is calling: a bearer API token or a session cookie; CSRF for cookie changes; roles.

Every route depends on ``require(role)`` except health, metrics and login. Bearer tokens are
not sent by browsers on their own, so only cookie-authenticated changes need the CSRF token
(header ``X-CSRF-Token``, or a ``csrf_token`` form field for HTML form posts).
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request, Response
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from election_monitor.accounts.audit import Actor
from election_monitor.accounts.errors import AuthenticationError, PermissionDeniedError
from election_monitor.accounts.roles import Role, role_allows
from election_monitor.accounts.sessions import Login, authenticate_session
from election_monitor.accounts.settings import get_auth_settings
from election_monitor.accounts.tokens import authenticate_token
from election_monitor.api.settings import ApiSettings

SESSION_COOKIE = "elmon_session"
CSRF_HEADER = "X-CSRF-Token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

bearer_scheme = HTTPBearer(
    auto_error=False, bearerFormat="elmon_…", description="An API token (POST /api/v1/auth/tokens)"
)
cookie_scheme = APIKeyCookie(
    name=SESSION_COOKIE, auto_error=False, description="Web login (POST /api/v1/auth/login)"
)


@dataclass(frozen=True)
class Principal(Actor):
    """An authenticated caller."""

    csrf_token: str | None = None
    session_id: str | None = None
    token_id: str | None = None


def client_ip(request: Request) -> str | None:
    """The caller's address (the first X-Forwarded-For hop when proxies are trusted)."""
    settings: ApiSettings = request.app.state.settings
    if settings.trust_proxy_headers:
        forwarded = request.headers.get("x-forwarded-for")
        if forwarded:
            return forwarded.split(",")[0].strip()[:100]
    return request.client.host if request.client else None


async def db_session(request: Request) -> AsyncIterator[Session]:
    """A session bound to the app's engine; closing it rolls back anything uncommitted.

    Async so that opening (no I/O) costs no thread hop; closing (which may talk to the
    database) runs in the thread pool.
    """
    db: Session = request.app.state.sessionmaker()
    try:
        yield db
    finally:
        await run_in_threadpool(db.close)


def current_principal(
    request: Request,
    db: Annotated[Session, Depends(db_session)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    cookie: Annotated[str | None, Depends(cookie_scheme)],
) -> Principal:
    """The caller, or ``AuthenticationError`` (401)."""
    ip = client_ip(request)
    agent = request.headers.get("user-agent")
    if bearer is not None:
        user, token = authenticate_token(db, bearer.credentials)
        principal = Principal(
            user.username, user.role, "token", user.id, ip, agent, token_id=token.id
        )
    elif cookie:
        user, login = authenticate_session(db, cookie)
        principal = Principal(
            user.username,
            user.role,
            "session",
            user.id,
            ip,
            agent,
            csrf_token=login.csrf_token,
            session_id=login.id,
        )
    else:
        raise AuthenticationError(
            "authentication required: send 'Authorization: Bearer <token>' or sign in"
        )
    request.state.principal = principal
    return principal


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def csrf_checked(
    request: Request, principal: Annotated[Principal, Depends(current_principal)]
) -> Principal:
    """Cookie-authenticated changes must echo the session's CSRF token."""
    if principal.via != "session" or request.method in SAFE_METHODS:
        return principal
    sent = request.headers.get(CSRF_HEADER)
    content_type = request.headers.get("content-type", "")
    if sent is None and content_type.startswith(FORM_TYPES[0]):
        form = await request.form()
        value = form.get("csrf_token")
        sent = value if isinstance(value, str) else None
    if sent is None:
        sent = request.query_params.get("csrf_token")  # multipart uploads from a plain form
    if (
        not sent
        or not principal.csrf_token
        or not secrets.compare_digest(sent, principal.csrf_token)
    ):
        raise PermissionDeniedError(f"missing or wrong CSRF token (send {CSRF_HEADER})")
    return principal


def require(role: Role) -> Callable[[Principal], Awaitable[Principal]]:
    """A dependency admitting callers whose role includes ``role`` (else 403)."""

    async def dependency(principal: Annotated[Principal, Depends(csrf_checked)]) -> Principal:
        if not role_allows(principal.role, role):
            raise PermissionDeniedError(
                f"this needs the {role.value} role or higher; you are {principal.role}"
            )
        return principal

    dependency.__name__ = f"require_{role.value}"
    return dependency


def set_session_cookie(request: Request, response: Response, login: Login) -> None:
    """Set the login cookie: HttpOnly, SameSite=Lax, Secure over HTTPS (or as configured)."""
    secure = get_auth_settings().cookie_secure
    if secure is None:
        secure = request.url.scheme == "https"
    response.set_cookie(
        SESSION_COOKIE,
        login.cookie_secret,
        max_age=int(get_auth_settings().session_hours * 3600),
        httponly=True,
        samesite="lax",
        secure=secure,
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="lax")
