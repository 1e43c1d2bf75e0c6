"""Shapes of the dashboard's read models (the JSON twins of its pages)."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from election_monitor.schemas import ElectionResponse
from election_monitor.schemas.base import BaseSchema, UTCDatetime


class ConstituencyCounts(BaseSchema):
    """How many constituencies, and how many in each status."""

    total: int
    by_status: dict[str, int] = Field(description="active, offline, completed (all present)")
    inferred: int = Field(description="created from chain data, registry entry still missing")
    awaiting_data: int = Field(
        default=0, description="nothing loaded for them yet: their data has not arrived"
    )


class Participation(BaseSchema):
    """Totals over the election's constituencies."""

    registered_voters: int
    voters_listed: int
    bulletins_issued: int
    votes_cast: int
    rejected_votes: int
    participation_rate: float = Field(description="votes_cast / registered_voters, in %")
    bulletin_rate: float = Field(description="bulletins_issued / registered_voters, in %")


class AlertCounts(BaseSchema):
    """Alerts of the election's constituencies."""

    total: int
    open: int = Field(description="active, investigating or snoozed")
    by_status: dict[str, int]
    by_severity: dict[str, int] = Field(description="all alerts, by severity")
    open_by_severity: dict[str, int] = Field(description="open alerts, by severity")


class ElectionSummary(BaseSchema):
    """The dashboard's headline for one election."""

    election: ElectionResponse
    constituencies: ConstituencyCounts
    participation: Participation
    alerts: AlertCounts
    last_data_time: UTCDatetime | None = Field(description="newest transaction time seen")
    last_update_time: UTCDatetime | None = Field(description="newest totals refresh")
    generated_at: UTCDatetime


class HourlySeries(BaseSchema):
    """Columns of equal length, one entry per UTC hour (gaps filled with zeros)."""

    constituency_id: str | None = None
    election_id: str | None = None
    hours: list[UTCDatetime]
    bulletins_issued: list[int]
    votes_cast: list[int] = Field(description="unique voters with an accepted vote that hour")
    vote_calls: list[int]
    rejected_votes: list[int]
    transaction_count: list[int]
    bulletin_velocity: list[float] = Field(description="per minute")
    vote_velocity: list[float] = Field(description="per minute")
    cumulative_bulletins: list[int]
    cumulative_votes: list[int] = Field(
        description="running sum of hourly votes_cast (a voter voting in two hours counts twice)"
    )


class ConstituencyScore(BaseSchema):
    """A constituency's anomaly score and what contributes to it."""

    constituency_id: str
    name: str
    anomaly_score: float
    components: list[dict[str, Any]] = Field(
        description="per family: type, evidence, weight, contribution, title"
    )
    data_time: UTCDatetime | None = Field(description="newest data the score considered")


class RegionTile(BaseSchema):
    """One region of the overview's grid."""

    region: str
    constituencies: int
    open_alerts: int
    worst_severity: str | None = Field(description="of its open alerts; null when none")


class ExpectedSeries(BaseSchema):
    """One constituency's votes per settled hour against the detection model's expectation."""

    constituency_id: str
    hours: list[UTCDatetime] = Field(description="settled UTC hours (up to the data horizon)")
    votes_cast: list[int]
    expected: list[float | None] = Field(description="expected voters; null outside voting")
    lower: list[float | None] = Field(description="lower edge of the band (quantile `level`)")
    upper: list[float | None] = Field(description="upper edge of the band (1 - `level`)")
    level: float = Field(description="tail probability of each band edge")


class AlertWindowSeries(BaseSchema):
    """The hours around an alert: its window and its constituency's series around it."""

    alert_id: str
    window_start: UTCDatetime
    window_end: UTCDatetime
    series: HourlySeries


class JobTotals(BaseSchema):
    """Files loaded and the rows they settled."""

    files: int
    by_status: dict[str, int]
    rows_inserted: int
    rows_duplicate: int
    rows_rejected: int
