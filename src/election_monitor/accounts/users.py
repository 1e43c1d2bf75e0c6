"""Users: create, list, change role, enable or disable, set a password; each change audited."""

from __future__ import annotations

import re

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from election_monitor.accounts import audit
from election_monitor.accounts.audit import Actor
from election_monitor.accounts.passwords import hash_password
from election_monitor.accounts.roles import Role, parse_role
from election_monitor.exceptions import ConflictError, InvalidInputError, NotFoundError
from election_monitor.models import LoginSession, User

USERNAME = re.compile(r"^[a-z0-9][a-z0-9_.@-]{1,63}$")


def normalize_username(username: str) -> str:
    """Lower-case and checked: 2-64 of a-z, 0-9 and ``_.@-``, starting alphanumeric."""
    name = username.strip().lower()
    if not USERNAME.match(name):
        raise InvalidInputError(
            "username must be 2-64 characters of a-z, 0-9 and _.@- "
            f"starting with a letter or digit, got {username!r}"
        )
    return name


def get_user(db: Session, user_id: str) -> User:
    """The user with this id, or ``NotFoundError``."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFoundError("User", user_id)
    return user


def get_by_username(db: Session, username: str) -> User | None:
    """The user with this name (case-insensitive), if any."""
    return db.scalars(select(User).where(User.username == username.strip().lower())).first()


def require_by_username(db: Session, username: str) -> User:
    """The user with this name, or ``NotFoundError``."""
    user = get_by_username(db, username)
    if user is None:
        raise NotFoundError("User", username)
    return user


def list_users(db: Session, *, role: str | None = None, active: bool | None = None) -> list[User]:
    """Users, by name, matching the filters given."""
    stmt = select(User).order_by(User.username)
    if role is not None:
        stmt = stmt.where(User.role == parse_role(role).value)
    if active is not None:
        stmt = stmt.where(User.is_active == active)
    return list(db.scalars(stmt))


def create_user(
    db: Session,
    *,
    username: str,
    password: str,
    role: str,
    actor: Actor,
    display_name: str | None = None,
) -> User:
    """A new active user; ``ConflictError`` when the name is taken."""
    name = normalize_username(username)
    parsed = parse_role(role)
    if get_by_username(db, name) is not None:
        raise ConflictError(f"a user named {name!r} already exists")
    user = User(
        username=name,
        display_name=display_name,
        password_hash=hash_password(password),
        role=parsed.value,
        is_active=True,
    )
    db.add(user)
    db.flush()
    audit.record(
        db,
        actor,
        action="user.create",
        entity_type="user",
        entity_id=user.id,
        details={"username": name, "role": parsed.value, "display_name": display_name},
    )
    return user


def _active_admins(db: Session) -> int:
    return int(
        db.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN.value, User.is_active.is_(True))
        )
        or 0
    )


def _keep_an_admin(db: Session, user: User) -> None:
    if user.role == Role.ADMIN and user.is_active and _active_admins(db) <= 1:
        raise ConflictError("refused: this is the last active admin")


def _end_sessions(db: Session, user: User) -> None:
    db.execute(delete(LoginSession).where(LoginSession.user_id == user.id))


def set_role(db: Session, *, user: User, role: str, actor: Actor) -> User:
    """Give the user another role (the last active admin keeps theirs)."""
    parsed = parse_role(role)
    if parsed.value == user.role:
        return user
    if parsed != Role.ADMIN:
        _keep_an_admin(db, user)
    previous = user.role
    user.role = parsed.value
    db.flush()
    audit.record(
        db,
        actor,
        action="user.set_role",
        entity_type="user",
        entity_id=user.id,
        details={"username": user.username, "from": previous, "to": parsed.value},
    )
    return user


def set_active(db: Session, *, user: User, active: bool, actor: Actor) -> User:
    """Enable or disable; disabling ends the user's web sessions and stops their tokens."""
    if user.is_active == active:
        return user
    if not active:
        _keep_an_admin(db, user)
        _end_sessions(db, user)
    user.is_active = active
    db.flush()
    audit.record(
        db,
        actor,
        action="user.enable" if active else "user.disable",
        entity_type="user",
        entity_id=user.id,
        details={"username": user.username},
    )
    return user


def set_password(db: Session, *, user: User, password: str, actor: Actor) -> User:
    """Replace the password; every web session of the user ends."""
    user.password_hash = hash_password(password)
    _end_sessions(db, user)
    db.flush()
    audit.record(
        db,
        actor,
        action="user.set_password",
        entity_type="user",
        entity_id=user.id,
        details={"username": user.username},
    )
    return user


def set_display_name(db: Session, *, user: User, display_name: str | None, actor: Actor) -> User:
    """Change how the user's name is shown."""
    if display_name == user.display_name:
        return user
    previous = user.display_name
    user.display_name = display_name
    db.flush()
    audit.record(
        db,
        actor,
        action="user.set_display_name",
        entity_type="user",
        entity_id=user.id,
        details={"username": user.username, "from": previous, "to": display_name},
    )
    return user
