"""API tokens: ``elmon_`` + 43 random characters, shown once; the table keeps a SHA-256."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from election_monitor.accounts import audit
from election_monitor.accounts.audit import Actor
from election_monitor.accounts.errors import AuthenticationError
from election_monitor.accounts.settings import get_auth_settings
from election_monitor.exceptions import InvalidInputError, NotFoundError
from election_monitor.models import ApiToken, User
from election_monitor.timeutil import ensure_utc, utcnow

PREFIX = "elmon_"


def new_secret() -> str:
    """A fresh token secret (256 bits of randomness)."""
    return PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    """What is stored and looked up: the SHA-256 of the secret, hex."""
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(
    db: Session,
    *,
    user: User,
    name: str,
    actor: Actor,
    expires_at: datetime | None = None,
) -> tuple[ApiToken, str]:
    """A new token for ``user``; returns the row and the secret (never retrievable again)."""
    if not name.strip():
        raise InvalidInputError("a token needs a name (what script or machine uses it)")
    if expires_at is not None and ensure_utc(expires_at) <= utcnow():
        raise InvalidInputError("expires_at must be in the future")
    secret = new_secret()
    token = ApiToken(
        user_id=user.id,
        name=name.strip(),
        token_hash=digest(secret),
        prefix=secret[: len(PREFIX) + 6],
        expires_at=expires_at,
    )
    db.add(token)
    db.flush()
    audit.record(
        db,
        actor,
        action="token.create",
        entity_type="api_token",
        entity_id=token.id,
        details={"name": token.name, "owner": user.username, "expires_at": expires_at},
    )
    return token, secret


def list_tokens(db: Session, *, user: User, include_revoked: bool = False) -> list[ApiToken]:
    """The user's tokens, newest first (no secrets: they are not stored)."""
    stmt = select(ApiToken).where(ApiToken.user_id == user.id)
    if not include_revoked:
        stmt = stmt.where(ApiToken.revoked_at.is_(None))
    return list(db.scalars(stmt.order_by(ApiToken.created_at.desc(), ApiToken.id)))


def revoke_token(db: Session, *, user: User, token_id: str, actor: Actor) -> ApiToken:
    """Revoke one of the user's own tokens (another user's is reported as not found)."""
    token = db.get(ApiToken, token_id)
    if token is None or token.user_id != user.id:
        raise NotFoundError("ApiToken", token_id)
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.flush()
        audit.record(
            db,
            actor,
            action="token.revoke",
            entity_type="api_token",
            entity_id=token.id,
            details={"name": token.name, "owner": user.username},
        )
    return token


def authenticate_token(db: Session, secret: str) -> tuple[User, ApiToken]:
    """The active user and live token behind ``secret``, or ``AuthenticationError``."""
    if not secret.startswith(PREFIX):
        raise AuthenticationError("invalid API token")
    found = db.execute(
        select(ApiToken, User)
        .join(User, User.id == ApiToken.user_id)
        .where(ApiToken.token_hash == digest(secret))
    ).first()
    now = utcnow()
    if found is None or found[0].revoked_at is not None:
        raise AuthenticationError("invalid or revoked API token")
    token, user = found
    if token.expires_at is not None and ensure_utc(token.expires_at) <= now:
        raise AuthenticationError("API token expired")
    if not user.is_active:
        raise AuthenticationError("the token's account is disabled")
    touch = timedelta(seconds=get_auth_settings().token_touch_seconds)
    # Written at most every few minutes: reads stay reads under load.
    if token.last_used_at is None or ensure_utc(token.last_used_at) + touch <= now:
        token.last_used_at = now
        db.commit()
    return user, token
