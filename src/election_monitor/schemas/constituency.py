"""Constituency schemas: Base / Create / Update / Response."""

from __future__ import annotations

from pydantic import field_validator

from election_monitor.enums import (
    UNKNOWN_CONSTITUENCY_TYPE,
    ConstituencyStatus,
    ConstituencyType,
)
from election_monitor.schemas.base import (
    BaseSchema,
    UTCDatetime,
    check_member,
    check_timezone,
)


class ConstituencyBase(BaseSchema):
    """Base schema for Constituency model."""

    election_id: str
    name: str
    region: str
    type: str
    registered_voters: int = 0
    status: str = "active"
    timezone: str | None = None  # addition: IANA zone; None means the election's

    @field_validator("timezone")
    @classmethod
    def validate_timezone(cls, v: str | None) -> str | None:
        """An IANA time zone name, when given."""
        return None if v is None else check_timezone(v)

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
    # Additions: data provenance and the chain's facts about the voting.
    inferred: bool = False
    voters_listed: int = 0
    rejected_votes: int = 0
    revotes: int = 0
    voting_start: UTCDatetime | None = None
    voting_end: UTCDatetime | None = None
    revote_blocked: bool | None = None
    last_data_time: UTCDatetime | None = None

    @field_validator("type")
    @classmethod
    def validate_type(cls, v: str) -> str:
        """Stored rows may also be 'unknown' (created from data before the registry)."""
        if v == UNKNOWN_CONSTITUENCY_TYPE:
            return v
        return check_member(v, ConstituencyType, "Type")
