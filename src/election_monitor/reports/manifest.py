"""The reproducibility manifest: what a report was built from, and a digest of what it states.

Figures are the data-derived numbers only (counts, participation, the hourly curve, scores,
which alerts detection raises); what people did (status, notes, assignment) is reported but
cannot be re-derived from the input files, so it is not part of the digest.
"""

from __future__ import annotations

import hashlib
from typing import Any

import orjson
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from election_monitor import __version__
from election_monitor.models import (
    Constituency,
    ContractEvent,
    Election,
    FileProcessingJob,
    HourlyStats,
    RejectedRow,
    Transaction,
    TransactionRollback,
)
from election_monitor.reports.content import ElectionReport, Totals

FORMAT = "elmon-report-manifest/1"


def canonical(value: Any) -> bytes:
    """The one JSON spelling of a value: sorted keys, no spaces (what the digests hash)."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS)


def sha256_of(value: Any) -> str:
    return hashlib.sha256(canonical(value)).hexdigest()


def _totals(t: Totals) -> dict[str, Any]:
    return t.model_dump(mode="json")


def report_figures(report: ElectionReport) -> dict[str, Any]:
    """Every data-derived figure the report states, in a stable order."""
    s = report.scope
    alerts = sorted(
        [
            a.fingerprint,
            a.severity,
            None if a.magnitude is None else round(a.magnitude, 4),
        ]
        for g in report.alert_groups
        for a in g.alerts
    )
    return {
        "scope": {
            "constituencies": s.constituencies,
            "data_horizon": s.data_horizon.isoformat() if s.data_horizon else None,
            "rows_inserted": s.rows_inserted,
            "rows_duplicate": s.rows_duplicate,
            "rows_rejected": s.rows_rejected,
            "rejected_by_reason": s.rejected_by_reason,
        },
        "national": _totals(report.national),
        "regions": [_totals(r) for r in report.regions],
        "hourly": [[p.hour.isoformat(), p.bulletins_issued, p.votes_cast] for p in report.hourly],
        "ranking": [[c.id, c.anomaly_score, c.participation] for c in report.ranked],
        "alerts": alerts,
    }


def row_counts(db: Session, *, election_id: str) -> dict[str, int]:
    """The election's rows per table (transactions, events, stats, rejected rows, ...)."""
    ids = select(Constituency.id).where(Constituency.election_id == election_id)

    def count(model: Any, column: Any) -> int:
        return int(db.scalar(select(func.count()).select_from(model).where(column.in_(ids))) or 0)

    rejected = (
        select(func.count())
        .select_from(RejectedRow)
        .join(FileProcessingJob, FileProcessingJob.id == RejectedRow.job_id)
        .where(FileProcessingJob.election_id == election_id)
    )
    return {
        "constituencies": int(db.scalar(select(func.count()).select_from(ids.subquery())) or 0),
        "contract_events": count(ContractEvent, ContractEvent.constituency_id),
        "hourly_stats": count(HourlyStats, HourlyStats.constituency_id),
        "rejected_rows": int(db.scalar(rejected) or 0),
        "transaction_rollbacks": count(TransactionRollback, TransactionRollback.constituency_id),
        "transactions": count(Transaction, Transaction.constituency_id),
    }


def registry(db: Session, *, election_id: str) -> list[dict[str, Any]]:
    """The registry entries the constituencies came from (chain-inferred ones are left out:
    loading the files creates them again)."""
    rows = db.scalars(
        select(Constituency)
        .where(Constituency.election_id == election_id, Constituency.inferred.is_not(True))
        .order_by(Constituency.id)
    )
    return [
        {
            "id": c.id,
            "name": c.name,
            "region": c.region,
            "type": c.type,
            "registered_voters": c.registered_voters or 0,
            "timezone": c.timezone,
        }
        for c in rows
    ]


def build_manifest(db: Session, report: ElectionReport) -> dict[str, Any]:
    """The manifest of one report (embedded in it, and written beside it as JSON)."""
    election = db.get(Election, report.scope.election_id)
    assert election is not None  # the report was built from it
    figures = report_figures(report)
    return {
        "format": FORMAT,
        "software": {"name": "election-monitor", "version": __version__},
        "election": {
            "id": election.id,
            "name": election.name,
            "start_date": report.scope.election_start.isoformat(),
            "end_date": report.scope.election_end.isoformat(),
            "timezone": report.scope.timezone,
            "status": election.status,
        },
        "filters": report.filters.as_manifest(),
        "data_horizon": report.generated_for.isoformat(),
        "inputs": [f.model_dump(mode="json") for f in report.scope.files],
        "registry": registry(db, election_id=election.id),
        "detection_settings": report.settings,
        "row_counts": row_counts(db, election_id=election.id),
        "figures": figures,
        "figures_sha256": sha256_of(figures),
    }
