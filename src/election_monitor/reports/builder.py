"""Build an election report's content from the stored tables, through the dashboard's own
read models where they exist (the summary, the hourly series, the score explanation), so a
report and the dashboard never disagree."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import asdict
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from election_monitor.crud.constituency import participation
from election_monitor.dashboard.schemas import HourlySeries
from election_monitor.dashboard.score import constituency_score
from election_monitor.dashboard.series import constituency_series, election_series
from election_monitor.dashboard.summary import election_summary
from election_monitor.detection.settings import SettingsFile, load_settings_file
from election_monitor.exceptions import NotFoundError
from election_monitor.models import Constituency, Election, HourlyStats
from election_monitor.reports import findings, scope
from election_monitor.reports.content import (
    Contribution,
    ElectionReport,
    HourPoint,
    RankedConstituency,
    ReportFilters,
    Scope,
    Totals,
)
from election_monitor.reports.i18n import check_language, translator
from election_monitor.timeutil import ensure_utc

#: The ranking table lists this many constituencies (the highest scores).
RANK_LIMIT = 25
#: Contributions shown per ranked constituency.
TOP_CONTRIBUTIONS = 3


def totals(name: str, rows: list[Constituency]) -> Totals:
    """Sums over constituencies; participation over registered voters, else voters listed."""
    registered = sum(c.registered_voters or 0 for c in rows)
    listed = sum(c.voters_listed or 0 for c in rows)
    votes = sum(c.votes_cast or 0 for c in rows)
    denominator = registered or listed
    return Totals(
        name=name,
        constituencies=len(rows),
        registered_voters=registered,
        voters_listed=listed,
        bulletins_issued=sum(c.bulletins_issued or 0 for c in rows),
        votes_cast=votes,
        rejected_votes=sum(c.rejected_votes or 0 for c in rows),
        denominator=denominator,
        participation=participation(votes, denominator),
    )


def _national(db: Session, election: Election, rows: list[Constituency], whole: bool) -> Totals:
    if not whole:
        return totals(election.name, rows)
    summary = election_summary(db, election_id=election.id).participation  # the dashboard's
    return Totals(
        name=election.name,
        constituencies=len(rows),
        registered_voters=summary.registered_voters,
        voters_listed=summary.voters_listed,
        bulletins_issued=summary.bulletins_issued,
        votes_cast=summary.votes_cast,
        rejected_votes=summary.rejected_votes,
        denominator=summary.registered_voters or summary.voters_listed,
        participation=summary.participation_rate,
    )


def _curve(
    db: Session, election_id: str, rows: list[Constituency], filters: ReportFilters
) -> list[HourPoint]:
    # ``until`` is exclusive; the series' end is inclusive.
    end = filters.until - timedelta(microseconds=1) if filters.until else None
    series: HourlySeries | None = None
    if filters.constituency is not None:
        series = constituency_series(
            db, constituency_id=filters.constituency, start=filters.since, end=end
        )
    elif filters.region is None:
        series = election_series(db, election_id=election_id, start=filters.since, end=end)
    if series is not None:
        return [
            HourPoint(hour=h, bulletins_issued=b, votes_cast=v)
            for h, b, v in zip(
                series.hours, series.bulletins_issued, series.votes_cast, strict=True
            )
        ]
    # A region: the same sums over its constituencies, gaps filled with zeros.
    h = HourlyStats
    stmt = (
        select(h.hour, func.sum(h.bulletins_issued), func.sum(h.votes_cast))
        .where(h.constituency_id.in_([c.id for c in rows]))
        .group_by(h.hour)
    )
    if filters.since is not None:
        stmt = stmt.where(h.hour >= filters.since)
    if end is not None:
        stmt = stmt.where(h.hour <= end)
    found = {ensure_utc(hour): (int(b or 0), int(v or 0)) for hour, b, v in db.execute(stmt)}
    points: list[HourPoint] = []
    if found:
        hour, last = min(found), max(found)
        while hour <= last:
            b, v = found.get(hour, (0, 0))
            points.append(HourPoint(hour=hour, bulletins_issued=b, votes_cast=v))
            hour += timedelta(hours=1)
    return points


def _ranked(db: Session, rows: list[Constituency]) -> list[RankedConstituency]:
    ordered = sorted(rows, key=lambda c: (-(c.anomaly_score or 0.0), c.id))[:RANK_LIMIT]
    ranked = []
    for c in ordered:
        explained = constituency_score(db, constituency_id=c.id)
        parts = sorted(
            explained.components,
            key=lambda x: (-float(x.get("contribution") or 0.0), str(x.get("type"))),
        )[:TOP_CONTRIBUTIONS]
        ranked.append(
            RankedConstituency(
                id=c.id,
                name=c.name,
                region=c.region,
                status=c.status or "active",
                participation=c.participation_rate or 0.0,
                anomaly_score=round(c.anomaly_score or 0.0, 4),
                top=[
                    Contribution(
                        family=str(x.get("family", "")),
                        type=str(x.get("type", "")),
                        contribution=round(float(x.get("contribution") or 0.0), 4),
                        title=str(x.get("title", "")),
                    )
                    for x in parts
                ],
            )
        )
    return ranked


def detection_settings(
    db: Session, election: Election, settings_file: SettingsFile | None
) -> dict[str, Any]:
    """The detection settings in effect for the election (defaults, file, type overrides)."""
    file = settings_file or load_settings_file()
    settings = file.for_election(election_id=election.id, election_name=election.name)
    return dict(sorted(asdict(settings).items()))


def build_election_report(
    db: Session,
    *,
    election_id: str,
    filters: ReportFilters | None = None,
    lang: str = "en",
    settings_path: Path | str | None = None,
    settings_file: SettingsFile | None = None,
    charts: bool = True,
) -> ElectionReport:
    """The report's content; ``NotFoundError`` / ``InvalidInputError`` for bad arguments."""
    filters = filters or ReportFilters()
    check_language(lang)
    scope.check_filters(filters)
    election = db.get(Election, election_id)
    if election is None:
        raise NotFoundError("Election", election_id)
    if settings_file is None and settings_path is not None:
        settings_file = load_settings_file(settings_path)
    rows = scope.constituencies_in_scope(db, election_id=election_id, filters=filters)
    whole = filters.region is None and filters.constituency is None
    t = translator(lang)

    files = scope.input_files(db, election_id=election_id)
    seen = [ensure_utc(c.last_data_time) for c in rows if c.last_data_time is not None]
    horizon: datetime | None = max(seen) if seen else None

    by_region: dict[str, list[Constituency]] = defaultdict(list)
    for c in rows:
        by_region[c.region].append(c)
    groups, alerts_total, dismissed = findings.collect(
        db,
        constituencies=rows,
        filters=filters,
        chart_labels={"votes": t("votes"), "bulletins": t("bulletins"), "title": t("chart_title")},
        charts=charts,
    )
    national = _national(db, election, rows, whole)
    return ElectionReport(
        lang=lang,
        filters=filters,
        scope=Scope(
            election_id=election.id,
            election_name=election.name,
            election_start=election.start_date,
            election_end=election.end_date,
            timezone=election.timezone or "UTC",
            constituencies=len(rows),
            period_start=filters.since,
            period_end=filters.until,
            data_horizon=horizon,
            files=files,
            rows_inserted=sum(f.rows_inserted for f in files),
            rows_duplicate=sum(f.rows_duplicate for f in files),
            rows_rejected=sum(f.rows_rejected for f in files),
            rejected_by_reason=scope.rejected_by_reason(db, election_id=election_id),
        ),
        has_data=horizon is not None,
        national=national,
        regions=[totals(name, by_region[name]) for name in sorted(by_region)],
        hourly=_curve(db, election_id, rows, filters),
        ranked=_ranked(db, rows),
        alert_groups=groups,
        alerts_total=alerts_total,
        alerts_dismissed=dismissed,
        settings=detection_settings(db, election, settings_file),
        generated_for=horizon or ensure_utc(election.end_date),
    )
