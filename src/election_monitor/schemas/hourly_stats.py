"""HourlyStats schemas: Base / Create / Response."""

from __future__ import annotations

from election_monitor.schemas.base import BaseSchema, UTCDatetime


class HourlyStatsBase(BaseSchema):
    """Base schema for HourlyStats model."""

    constituency_id: str
    hour: UTCDatetime
    bulletins_issued: int = 0
    votes_cast: int = 0
    transaction_count: int = 0
    bulletin_velocity: float = 0.0
    vote_velocity: float = 0.0


class HourlyStatsCreate(HourlyStatsBase):
    """Schema for creating HourlyStats."""


class HourlyStatsResponse(HourlyStatsBase):
    """Schema for HourlyStats response."""

    id: str
    created_at: UTCDatetime
