"""Filtered, sorted, paginated lists: the filters are those of the CRUD named queries
(constituency, region, type, status, severity, time range, block height), combined."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from election_monitor.crud.alert import SEVERITY_RANK
from election_monitor.dashboard.paging import order, page
from election_monitor.models import (
    Alert,
    Constituency,
    Election,
    FileProcessingJob,
    HourlyStats,
    RejectedRow,
    Transaction,
)

Page = tuple[list[Any], int]


@dataclass(frozen=True)
class Window:
    """Offset pagination: ``skip`` rows, then at most ``limit``."""

    skip: int = 0
    limit: int = 50


def _where(stmt: Select[Any], **conditions: tuple[Any, Any]) -> Select[Any]:
    for column, value in conditions.values():
        if value is not None:
            stmt = stmt.where(column == value)
    return stmt


ELECTION_SORT = {
    "name": Election.name,
    "start_date": Election.start_date,
    "end_date": Election.end_date,
    "status": Election.status,
    "created_at": Election.created_at,
}


def elections(
    db: Session,
    window: Window,
    *,
    status: str | None = None,
    start: datetime | None = None,
    end: datetime | None = None,
    sort: str = "-start_date",
) -> Page:
    """Elections, optionally by status and overlapping [start, end] (the CRUD's date range)."""
    stmt = _where(select(Election), status=(Election.status, status))
    if start is not None:
        stmt = stmt.where(Election.end_date >= start)
    if end is not None:
        stmt = stmt.where(Election.start_date <= end)
    return page(db, order(stmt, sort, ELECTION_SORT, Election.id), **vars(window))


CONSTITUENCY_SORT = {
    "id": Constituency.id,
    "name": Constituency.name,
    "region": Constituency.region,
    "type": Constituency.type,
    "status": Constituency.status,
    "registered_voters": Constituency.registered_voters,
    "bulletins_issued": Constituency.bulletins_issued,
    "votes_cast": Constituency.votes_cast,
    "participation_rate": Constituency.participation_rate,
    "anomaly_score": Constituency.anomaly_score,
    "last_data_time": Constituency.last_data_time,
    "created_at": Constituency.created_at,
}


def constituencies(
    db: Session,
    window: Window,
    *,
    election_id: str | None = None,
    region: str | None = None,
    status: str | None = None,
    type: str | None = None,
    min_score: float | None = None,
    sort: str = "name",
) -> Page:
    """Constituencies matching every filter given (the CRUD's ``filtered``), and an anomaly
    score of at least ``min_score``."""
    stmt = _where(
        select(Constituency),
        election_id=(Constituency.election_id, election_id),
        region=(Constituency.region, region),
        status=(Constituency.status, status),
        type=(Constituency.type, type),
    )
    if min_score is not None:
        stmt = stmt.where(Constituency.anomaly_score >= min_score)
    return page(db, order(stmt, sort, CONSTITUENCY_SORT, Constituency.id), **vars(window))


TRANSACTION_SORT = {
    "timestamp": Transaction.timestamp,
    "block_height": Transaction.block_height,
    "created_at": Transaction.created_at,
}


def transactions(
    db: Session,
    window: Window,
    *,
    constituency_id: str | None = None,
    type: str | None = None,
    start_time: datetime | None = None,
    end_time: datetime | None = None,
    block_height: int | None = None,
    min_block_height: int | None = None,
    max_block_height: int | None = None,
    sort: str = "timestamp",
) -> Page:
    """Transactions by constituency, type, [start_time, end_time) and block height."""
    stmt = _where(
        select(Transaction),
        constituency_id=(Transaction.constituency_id, constituency_id),
        type=(Transaction.type, type),
        block_height=(Transaction.block_height, block_height),
    )
    if start_time is not None:
        stmt = stmt.where(Transaction.timestamp >= start_time)
    if end_time is not None:
        stmt = stmt.where(Transaction.timestamp < end_time)
    if min_block_height is not None:
        stmt = stmt.where(Transaction.block_height >= min_block_height)
    if max_block_height is not None:
        stmt = stmt.where(Transaction.block_height <= max_block_height)
    return page(db, order(stmt, sort, TRANSACTION_SORT, Transaction.id), **vars(window))


HOURLY_SORT = {
    "hour": HourlyStats.hour,
    "bulletins_issued": HourlyStats.bulletins_issued,
    "votes_cast": HourlyStats.votes_cast,
    "transaction_count": HourlyStats.transaction_count,
    "vote_velocity": HourlyStats.vote_velocity,
}


def hourly_stats(
    db: Session,
    window: Window,
    *,
    constituency_id: str | None = None,
    election_id: str | None = None,
    start_hour: datetime | None = None,
    end_hour: datetime | None = None,
    sort: str = "hour",
) -> Page:
    """Hourly statistics by constituency or election and start_hour <= hour <= end_hour."""
    stmt = _where(select(HourlyStats), cid=(HourlyStats.constituency_id, constituency_id))
    if election_id is not None:
        stmt = stmt.join(Constituency, Constituency.id == HourlyStats.constituency_id).where(
            Constituency.election_id == election_id
        )
    if start_hour is not None:
        stmt = stmt.where(HourlyStats.hour >= start_hour)
    if end_hour is not None:
        stmt = stmt.where(HourlyStats.hour <= end_hour)
    tiebreak = (HourlyStats.constituency_id, HourlyStats.id)
    return page(db, order(stmt, sort, HOURLY_SORT, *tiebreak), **vars(window))


ALERT_SORT = {
    "detected_at": Alert.detected_at,
    # Ascending severity means most urgent first (critical, warning, info).
    "severity": SEVERITY_RANK,
    "status": Alert.status,
    "type": Alert.type,
    "constituency_id": Alert.constituency_id,
    "created_at": Alert.created_at,
}


def alerts(
    db: Session,
    window: Window,
    *,
    constituency_id: str | None = None,
    election_id: str | None = None,
    region: str | None = None,
    type: str | None = None,
    status: str | None = None,
    severity: str | None = None,
    assigned_to: str | None = None,
    detected_from: datetime | None = None,
    detected_to: datetime | None = None,
    sort: str = "severity",
) -> Page:
    """Alerts by constituency, election, region, type, status, severity, assignee, time."""
    stmt = _where(
        select(Alert),
        constituency_id=(Alert.constituency_id, constituency_id),
        type=(Alert.type, type),
        status=(Alert.status, status),
        severity=(Alert.severity, severity),
        assigned_to=(Alert.assigned_to, assigned_to),
    )
    if election_id is not None or region is not None:
        stmt = _where(
            stmt.join(Constituency, Constituency.id == Alert.constituency_id),
            election_id=(Constituency.election_id, election_id),
            region=(Constituency.region, region),
        )
    if detected_from is not None:
        stmt = stmt.where(Alert.detected_at >= detected_from)
    if detected_to is not None:
        stmt = stmt.where(Alert.detected_at < detected_to)
    tiebreak = (Alert.detected_at.desc(), Alert.id)
    return page(db, order(stmt, sort, ALERT_SORT, *tiebreak), **vars(window))


JOB_SORT = {
    "started_at": FileProcessingJob.started_at,
    "completed_at": FileProcessingJob.completed_at,
    "filename": FileProcessingJob.filename,
    "status": FileProcessingJob.status,
}


def jobs(
    db: Session,
    window: Window,
    *,
    status: str | None = None,
    election_id: str | None = None,
    filename: str | None = None,
    sort: str = "-started_at",
) -> Page:
    """File jobs by status, election and file name."""
    stmt = _where(
        select(FileProcessingJob),
        status=(FileProcessingJob.status, status),
        election_id=(FileProcessingJob.election_id, election_id),
        filename=(FileProcessingJob.filename, filename),
    )
    return page(db, order(stmt, sort, JOB_SORT, FileProcessingJob.id), **vars(window))


def rejected_rows(db: Session, window: Window, *, job_id: str) -> Page:
    """The rows a job rejected, in the order they were read."""
    stmt = select(RejectedRow).where(RejectedRow.job_id == job_id).order_by(RejectedRow.id)
    return page(db, stmt, **vars(window))
