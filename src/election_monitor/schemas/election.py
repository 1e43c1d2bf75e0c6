"""Election schemas: Base / Create / Update / Response."""

from __future__ import annotations

from pydantic import ValidationInfo, field_validator

from election_monitor.enums import ElectionStatus
from election_monitor.schemas.base import BaseSchema, UTCDatetime, check_member, check_timezone


def _validate_status(v: str | None) -> str | None:
    return None if v is None else check_member(v, ElectionStatus, "Status")


class ElectionBase(BaseSchema):
    """Base schema for Election model."""

    name: str
    start_date: UTCDatetime
    end_date: UTCDatetime
    status: str
    total_constituencies: int = 0
    timezone: str = "UTC"  # addition: IANA zone for local-time rules

    @field_validator("timezone")
    @classmethod
    def validate_timezone(cls, v: str) -> str:
        """An IANA time zone name such as Europe/Moscow."""
        return check_timezone(v)

    @field_validator("status")
    @classmethod
    def validate_status(cls, v: str) -> str:
        """Validate election status."""
        return check_member(v, ElectionStatus, "Status")

    @field_validator("end_date")
    @classmethod
    def validate_end_date(cls, v: UTCDatetime, info: ValidationInfo) -> UTCDatetime:
        """Validate that end_date is after start_date."""
        start = info.data.get("start_date")
        if start is not None and v <= start:
            raise ValueError("End date must be after start date")
        return v


class ElectionCreate(ElectionBase):
    """Schema for creating an Election."""


class ElectionUpdate(BaseSchema):
    """Schema for updating an Election."""

    name: str | None = None
    start_date: UTCDatetime | None = None
    end_date: UTCDatetime | None = None
    status: str | None = None
    total_constituencies: int | None = None

    @field_validator("status")
    @classmethod
    def validate_status(cls, v: str | None) -> str | None:
        """Validate election status when it is given."""
        return _validate_status(v)

    @field_validator("end_date")
    @classmethod
    def validate_end_date(cls, v: UTCDatetime | None, info: ValidationInfo) -> UTCDatetime | None:
        """When both dates are given, end_date must be after start_date."""
        start = info.data.get("start_date")
        if v is not None and start is not None and v <= start:
            raise ValueError("End date must be after start date")
        return v


class ElectionResponse(ElectionBase):
    """Schema for Election response."""

    id: str
    created_at: UTCDatetime
