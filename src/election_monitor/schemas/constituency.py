"""Constituency schemas: Base / Create / Update / Response."""

from __future__ import annotations

from pydantic import field_validator

from election_monitor.enums import ConstituencyStatus, ConstituencyType
from election_monitor.schemas.base import BaseSchema, UTCDatetime, check_member


class ConstituencyBase(BaseSchema):
    """Base schema for Constituency model."""

    election_id: str
    name: str
    region: str
    type: str
    registered_voters: int = 0
    status: str = "active"

    @field_validator("type")
    @classmethod
    def validate_type(cls, v: str) -> str:
        """Validate constituency type."""
        return check_member(v, ConstituencyType, "Type")

    @field_validator("status")
    @classmethod
    def validate_status(cls, v: str) -> str:
        """Validate constituency status."""
        return check_member(v, ConstituencyStatus, "Status")


class ConstituencyCreate(ConstituencyBase):
    """Schema for creating a Constituency."""

    id: str  # smart contract address


class ConstituencyUpdate(BaseSchema):
    """Schema for updating a Constituency."""

    name: str | None = None
    region: str | None = None
    type: str | None = None
    registered_voters: int | None = None
    status: str | None = None
    bulletins_issued: int | None = None
    votes_cast: int | None = None
    participation_rate: float | None = None
    anomaly_score: float | None = None

    @field_validator("type")
    @classmethod
    def validate_type(cls, v: str | None) -> str | None:
        """Validate constituency type when it is given."""
        return None if v is None else check_member(v, ConstituencyType, "Type")

    @field_validator("status")
    @classmethod
    def validate_status(cls, v: str | None) -> str | None:
        """Validate constituency status when it is given."""
        return None if v is None else check_member(v, ConstituencyStatus, "Status")


class ConstituencyResponse(ConstituencyBase):
    """Schema for Constituency response."""

    id: str
    created_at: UTCDatetime
    last_update_time: UTCDatetime
    bulletins_issued: int
    votes_cast: int
    participation_rate: float
    anomaly_score: float
