"""Web logins: password check under a rate limit, then a server-side session.

The cookie holds a random secret; the table keeps its SHA-256, the user, the expiry and the
CSRF token the browser must echo on every change. Failed attempts are stored, so the limit
holds across several API processes.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, delete, func, select
from sqlalchemy.orm import Session

from election_monitor.accounts import audit
from election_monitor.accounts.audit import Actor
from election_monitor.accounts.errors import AuthenticationError, RateLimitedError
from election_monitor.accounts.passwords import (
    burn_verification_time,
    hasher,
    needs_rehash,
    verify_password,
)
from election_monitor.accounts.settings import get_auth_settings
from election_monitor.accounts.users import get_by_username
from election_monitor.models import LoginAttempt, LoginSession, User
from election_monitor.timeutil import ensure_utc, utcnow

#: Attempts older than this are deleted (each successful login cleans up).
ATTEMPTS_KEPT = timedelta(days=1)


@dataclass
class Login:
    """A successful login: the user, the session row and the cookie secret to set."""

    user: User
    session: LoginSession
    cookie_secret: str


def session_digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _check_rate(db: Session, *, username: str, ip: str | None) -> None:
    settings = get_auth_settings()
    now = utcnow()
    window_start = now - timedelta(seconds=settings.login_window_seconds)
    last_success = db.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    since = max(window_start, ensure_utc(last_success)) if last_success else window_start
    for _scope, condition, limit, start in _limits(username, ip, since, window_start):
        count, oldest = _failures(db, condition, start)
        if count >= limit and oldest is not None:
            wait = ensure_utc(oldest) + timedelta(seconds=settings.login_window_seconds) - now
            raise RateLimitedError(
                "too many failed logins; try again later", max(1, math.ceil(wait.total_seconds()))
            )


def _limits(
    username: str, ip: str | None, since: datetime, window_start: datetime
) -> list[tuple[str, ColumnElement[bool], int, datetime]]:
    """The lock-outs that apply: per account (since its last success) and per address."""
    settings = get_auth_settings()
    limits = [("account", LoginAttempt.username == username, settings.login_max_failures, since)]
    if ip:
        limits.append(
            ("address", LoginAttempt.ip == ip, settings.login_max_failures_per_ip, window_start)
        )
    return limits


def _failures(
    db: Session, condition: ColumnElement[bool], start: datetime
) -> tuple[int, datetime | None]:
    count, oldest = db.execute(
        select(func.count(), func.min(LoginAttempt.at)).where(
            condition, LoginAttempt.succeeded.is_(False), LoginAttempt.at >= start
        )
    ).one()
    return int(count), oldest


def _audit_lockout(db: Session, *, username: str, ip: str | None, user_agent: str | None) -> None:
    """Audit the failure that starts a lock-out (once per lock-out, not per refused try)."""
    settings = get_auth_settings()
    now = utcnow()
    window_start = now - timedelta(seconds=settings.login_window_seconds)
    last_success = db.scalar(
        select(func.max(LoginAttempt.at)).where(
            LoginAttempt.username == username, LoginAttempt.succeeded.is_(True)
        )
    )
    since = max(window_start, ensure_utc(last_success)) if last_success else window_start
    for scope, condition, limit, start in _limits(username, ip, since, window_start):
        count, _ = _failures(db, condition, start)
        if count == limit:
            audit.record(
                db,
                Actor(
                    username, None, "session", None, ip, (user_agent or None) and user_agent[:300]
                ),
                action="auth.locked_out",
                entity_type="user" if scope == "account" else "address",
                entity_id=username if scope == "account" else ip,
                details={
                    "scope": scope,
                    "failures": count,
                    "window_seconds": settings.login_window_seconds,
                },
            )


def _attempt(db: Session, *, username: str, ip: str | None, succeeded: bool) -> None:
    db.add(LoginAttempt(username=username, ip=ip, at=utcnow(), succeeded=succeeded))
    db.flush()


def login(
    db: Session, *, username: str, password: str, ip: str | None, user_agent: str | None
) -> Login:
    """Check the password (rate-limited) and open a session; commits the attempt."""
    name = username.strip().lower()[:200]
    _check_rate(db, username=name, ip=ip)
    user = get_by_username(db, name)
    if user is None:
        burn_verification_time(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.is_active
    _attempt(db, username=name, ip=ip, succeeded=ok)
    if not ok or user is None:
        _audit_lockout(db, username=name, ip=ip, user_agent=user_agent)
        db.commit()  # the failure counts even though the request fails
        raise AuthenticationError("invalid username or password")
    now = utcnow()
    if needs_rehash(user.password_hash):
        user.password_hash = hasher().hash(password)
    user.last_login_at = now
    db.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    db.execute(delete(LoginAttempt).where(LoginAttempt.at < now - ATTEMPTS_KEPT))
    secret = secrets.token_urlsafe(32)
    session = LoginSession(
        id=session_digest(secret),
        user_id=user.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + timedelta(hours=get_auth_settings().session_hours),
        ip=ip,
        user_agent=(user_agent or None) and user_agent[:300],
    )
    db.add(session)
    db.flush()
    audit.record(
        db,
        Actor(user.username, user.role, "session", user.id, ip, user_agent),
        action="auth.login",
        entity_type="user",
        entity_id=user.id,
    )
    return Login(user=user, session=session, cookie_secret=secret)


def authenticate_session(db: Session, secret: str) -> tuple[User, LoginSession]:
    """The active user and live session behind a cookie, or ``AuthenticationError``."""
    session = db.get(LoginSession, session_digest(secret))
    if session is None or ensure_utc(session.expires_at) <= utcnow():
        raise AuthenticationError("not signed in, or the session expired")
    user = db.get(User, session.user_id)
    if user is None or not user.is_active:
        raise AuthenticationError("the account is disabled")
    return user, session


def logout(db: Session, *, session_id: str, actor: Actor) -> None:
    """End one web session."""
    db.execute(delete(LoginSession).where(LoginSession.id == session_id))
    audit.record(db, actor, action="auth.logout", entity_type="user", entity_id=actor.user_id)
