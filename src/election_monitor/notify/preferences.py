"""A person's notification preferences: e-mail address, language, quiet hours, time zone."""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy.orm import Session

from election_monitor.accounts import audit
from election_monitor.accounts.audit import Actor
from election_monitor.exceptions import InvalidInputError, NotFoundError
from election_monitor.models import User
from election_monitor.notify.matching import parse_clock

LANGUAGES = ("en", "ru")
FIELDS = ("email", "language", "quiet_hours_start", "quiet_hours_end", "timezone")


def _check(changes: dict[str, str | None]) -> None:
    email = changes.get("email")
    if email and "@" not in email:
        raise InvalidInputError(f"not an e-mail address: {email!r}")
    language = changes.get("language")
    if "language" in changes and language not in LANGUAGES:
        raise InvalidInputError(f"language must be one of {list(LANGUAGES)}, got {language!r}")
    for key in ("quiet_hours_start", "quiet_hours_end"):
        value = changes.get(key)
        if value:
            try:
                parse_clock(value)
            except ValueError as exc:
                raise InvalidInputError(f"{key} must be HH:MM, got {value!r}") from exc
    zone = changes.get("timezone")
    if zone:
        try:
            ZoneInfo(zone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InvalidInputError(f"unknown time zone {zone!r} (use an IANA name)") from exc


def update_preferences(
    db: Session, *, user_id: str, changes: dict[str, str | None], actor: Actor
) -> User:
    """Apply the given fields (others unchanged); checked first."""
    user = db.get(User, user_id)
    if user is None:
        raise NotFoundError("User", user_id)
    changes = {k: v for k, v in changes.items() if k in FIELDS}
    _check(changes)
    for key, value in changes.items():
        setattr(user, key, value or (None if key != "language" else "en"))
    if bool(user.quiet_hours_start) != bool(user.quiet_hours_end):
        raise InvalidInputError("quiet hours need both a start and an end")
    db.flush()
    audit.record(
        db, actor, action="user.notification_preferences", entity_type="user",
        entity_id=user.id, details=changes,
    )  # fmt: skip
    return user
