"""The report's content as data: what an election report states, before any rendering.

One ``ElectionReport`` is rendered to HTML and PDF by the same templates; its ``figures``
(see ``reports.figures``) are the numbers a third party can recompute from the input files.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from election_monitor.schemas.base import UTCDatetime


class ReportFilters(BaseModel):
    """What the report covers: every field is optional and narrows the scope."""

    model_config = ConfigDict(frozen=True)

    region: str | None = None
    constituency: str | None = None
    since: UTCDatetime | None = Field(default=None, description="inclusive (hourly curve, alerts)")
    until: UTCDatetime | None = Field(default=None, description="exclusive (hourly curve, alerts)")
    min_severity: str | None = Field(default=None, description="info, warning or critical")

    def as_manifest(self) -> dict[str, Any]:
        return self.model_dump(mode="json")


class InputFile(BaseModel):
    """One loaded file: what a third party needs to find it and check it is the same."""

    name: str
    sha256: str | None
    size_bytes: int | None
    format: str | None
    status: str | None
    rows_inserted: int
    rows_duplicate: int
    rows_rejected: int


class Totals(BaseModel):
    """Counts over a set of constituencies, with the participation and its denominator."""

    name: str
    constituencies: int
    registered_voters: int
    voters_listed: int
    bulletins_issued: int
    votes_cast: int
    rejected_votes: int
    denominator: int = Field(description="registered voters, else voters listed on the chain")
    participation: float = Field(description="votes_cast / denominator, in %")


class HourPoint(BaseModel):
    hour: UTCDatetime
    bulletins_issued: int
    votes_cast: int


class Contribution(BaseModel):
    family: str
    type: str
    contribution: float
    title: str


class RankedConstituency(BaseModel):
    id: str
    name: str
    region: str
    status: str
    participation: float
    anomaly_score: float
    top: list[Contribution]


class Handling(BaseModel):
    """One person's action on an alert (from its audit trail)."""

    at: UTCDatetime
    actor: str
    action: str
    to_value: str | None = None
    note: str | None = None


class ReportAlert(BaseModel):
    id: str
    fingerprint: str
    constituency_id: str
    constituency_name: str
    type: str
    severity: str
    status: str
    title: str
    description: str | None
    evidence: list[tuple[str, str]] = Field(description="key figures of the evidence, as text")
    last_seen: str | None
    magnitude: float | None
    notes: list[str]
    assigned_to: str | None
    handled_by: list[Handling]
    chart_svg: str = ""


class AlertGroup(BaseModel):
    severity: str
    type: str
    alerts: list[ReportAlert]


class Scope(BaseModel):
    election_id: str
    election_name: str
    election_start: UTCDatetime
    election_end: UTCDatetime
    timezone: str
    constituencies: int
    period_start: UTCDatetime | None
    period_end: UTCDatetime | None
    data_horizon: UTCDatetime | None = Field(description="newest transaction time in scope")
    files: list[InputFile]
    rows_inserted: int
    rows_duplicate: int
    rows_rejected: int
    rejected_by_reason: dict[str, int]


class ElectionReport(BaseModel):
    """Everything the election report states; rendering adds nothing but layout and words."""

    lang: str
    filters: ReportFilters
    scope: Scope
    has_data: bool
    national: Totals
    regions: list[Totals]
    hourly: list[HourPoint]
    ranked: list[RankedConstituency]
    alert_groups: list[AlertGroup]
    alerts_total: int
    alerts_dismissed: int = Field(description="withdrawn by detection: not stated as findings")
    settings: dict[str, Any]
    generated_for: datetime = Field(description="the report's own date: the data horizon")
