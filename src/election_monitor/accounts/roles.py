"""Roles, each including everything the ones below it may do.

- viewer: read everything except users and the audit log
- observer: + alert notes, status changes (except snoozing) and assignment
- lead: + uploads and job retries, snoozes, elections and constituencies ("settings")
- admin: + users and the audit log
"""

from __future__ import annotations

from enum import StrEnum

from election_monitor.exceptions import InvalidInputError


class Role(StrEnum):
    VIEWER = "viewer"
    OBSERVER = "observer"
    LEAD = "lead"
    ADMIN = "admin"


RANK = {Role.VIEWER: 0, Role.OBSERVER: 1, Role.LEAD: 2, Role.ADMIN: 3}


def parse_role(value: str) -> Role:
    """The role named ``value``, or ``InvalidInputError`` listing the allowed ones."""
    try:
        return Role(value)
    except ValueError:
        raise InvalidInputError(
            f"role must be one of {[r.value for r in Role]}, got {value!r}"
        ) from None


def role_allows(role: str | None, required: Role) -> bool:
    """Whether ``role`` includes the ``required`` one (unknown roles allow nothing)."""
    if role is None or role not in Role._value2member_map_:
        return False
    return RANK[Role(role)] >= RANK[required]
