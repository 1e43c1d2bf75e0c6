"""Ingest's announcements: refreshed constituency totals per batch, and job progress."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, select

from election_monitor.events.service import publish, publish_job
from election_monitor.models import Constituency

TOTAL_FIELDS = (
    "id",
    "election_id",
    "status",
    "registered_voters",
    "bulletins_issued",
    "votes_cast",
    "participation_rate",
    "rejected_votes",
    "anomaly_score",
    "last_data_time",
)


class EventsHook:
    """An ingest ``BatchHook``: one ``constituencies.refreshed`` event per election and batch.

    Put it last in the hook list, so the totals include what earlier hooks changed.
    """

    def __call__(self, conn: Connection, batch: Any) -> None:
        touched = set(batch.constituencies) | {c for c, _ in batch.buckets}
        if not touched:
            return
        columns = [getattr(Constituency, name) for name in TOTAL_FIELDS]
        by_election: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for row in conn.execute(
            select(*columns).where(Constituency.id.in_(sorted(touched))).order_by(Constituency.id)
        ):
            by_election[row.election_id].append(dict(zip(TOTAL_FIELDS, row, strict=True)))
        for election_id, constituencies in by_election.items():
            publish(
                conn,
                kind="constituencies.refreshed",
                election_id=election_id,
                data={"election_id": election_id, "constituencies": constituencies},
            )


def job_progress(engine: Engine, job_id: str) -> Any:
    """An ingest ``progress`` callback announcing the job after each committed batch."""

    def progress(_path: Path, _rows: int) -> None:
        with engine.begin() as conn:
            publish_job(conn, job_id, kind="job.progress")

    return progress
