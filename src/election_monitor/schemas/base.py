"""Shared schema base and field types."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import AfterValidator, BaseModel, ConfigDict

from election_monitor.enums import values
from election_monitor.timeutil import ensure_utc

#: A datetime that is always timezone-aware UTC; naive input is taken as UTC.
UTCDatetime = Annotated[datetime, AfterValidator(ensure_utc)]


class BaseSchema(BaseModel):
    """Base schema for all Pydantic models."""

    model_config = ConfigDict(from_attributes=True, arbitrary_types_allowed=True)


def check_member(value: str, enum: type[StrEnum], label: str) -> str:
    """The seed's membership check: the message names the allowed values."""
    allowed = values(enum)
    if value not in allowed:
        raise ValueError(f"{label} must be one of {allowed}")
    return value


def check_timezone(value: str) -> str:
    """An IANA time zone name; the error says what was expected."""
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(
            f"Unknown time zone {value!r}: use an IANA name such as Europe/Moscow"
        ) from exc
    return value
