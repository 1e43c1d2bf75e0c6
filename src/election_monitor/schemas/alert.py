"""Alert schemas: Base / Create / Update / Response."""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from election_monitor.enums import AlertSeverity, AlertStatus
from election_monitor.schemas.base import BaseSchema, UTCDatetime, check_member


class AlertBase(BaseSchema):
    """Base schema for Alert model."""

    constituency_id: str
    type: str
    severity: str
    status: str = "active"
    title: str
    description: str | None = None
    details: dict[str, Any] | None = None
    notes: list[str] = Field(default_factory=list)
    detected_at: UTCDatetime
    resolved_at: UTCDatetime | None = None
    assigned_to: str | None = None

    @field_validator("severity")
    @classmethod
    def validate_severity(cls, v: str) -> str:
        """Validate alert severity."""
        return check_member(v, AlertSeverity, "Severity")

    @field_validator("status")
    @classmethod
    def validate_status(cls, v: str) -> str:
        """Validate alert status."""
        return check_member(v, AlertStatus, "Status")


class AlertCreate(AlertBase):
    """Schema for creating an Alert."""


class AlertUpdate(BaseSchema):
    """Schema for updating an Alert."""

    status: str | None = None
    notes: list[str] | None = None
    resolved_at: UTCDatetime | None = None
    assigned_to: str | None = None

    @field_validator("status")
    @classmethod
    def validate_status(cls, v: str | None) -> str | None:
        """Validate alert status when it is given."""
        return None if v is None else check_member(v, AlertStatus, "Status")


class AlertResponse(AlertBase):
    """Schema for Alert response."""

    id: str
    created_at: UTCDatetime
