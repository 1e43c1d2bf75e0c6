"""Publish, read and prune stream events."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Engine, Row, delete, func, insert, select

from election_monitor.models import FileProcessingJob, StreamEvent
from election_monitor.timeutil import utcnow


def _plain(value: dict[str, Any]) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(orjson.dumps(value, default=str))
    return loaded


def publish(
    conn: Connection,
    *,
    kind: str,
    data: dict[str, Any],
    election_id: str | None = None,
    entity_id: str | None = None,
) -> None:
    """Add one event in the caller's transaction."""
    conn.execute(
        insert(StreamEvent).values(
            at=utcnow(), kind=kind, election_id=election_id, entity_id=entity_id, data=_plain(data)
        )
    )


JOB_FIELDS = (
    "id",
    "filename",
    "status",
    "election_id",
    "transactions_processed",
    "rows_inserted",
    "rows_duplicate",
    "rows_rejected",
    "size_bytes",
    "started_at",
    "completed_at",
)


def publish_job(conn: Connection, job_id: str, *, kind: str = "job.progress") -> None:
    """Announce a job's current counters (``job.created``, ``job.progress``, ``job.finished``)."""
    columns = [getattr(FileProcessingJob, name) for name in JOB_FIELDS]
    row = conn.execute(select(*columns).where(FileProcessingJob.id == job_id)).first()
    if row is None:
        return
    data = dict(zip(JOB_FIELDS, row, strict=True))
    data["job_id"] = data.pop("id")
    publish(conn, kind=kind, data=data, election_id=row.election_id, entity_id=job_id)


def latest_id(conn: Connection) -> int:
    """The newest event id (0 when there is none)."""
    return int(conn.scalar(select(func.max(StreamEvent.id))) or 0)


def oldest_id(conn: Connection) -> int | None:
    """The oldest event id still kept."""
    value = conn.scalar(select(func.min(StreamEvent.id)))
    return None if value is None else int(value)


def fetch_after(conn: Connection, after_id: int, *, limit: int = 500) -> Sequence[Row[Any]]:
    """Committed events with ``id > after_id``, in id order."""
    return conn.execute(
        select(
            StreamEvent.id,
            StreamEvent.at,
            StreamEvent.kind,
            StreamEvent.election_id,
            StreamEvent.entity_id,
            StreamEvent.data,
        )
        .where(StreamEvent.id > after_id)
        .order_by(StreamEvent.id)
        .limit(limit)
    ).all()


def prune(conn: Connection, *, older_than: datetime) -> int:
    """Delete events older than ``older_than``, always keeping the newest one."""
    newest = latest_id(conn)
    result = conn.execute(
        delete(StreamEvent).where(StreamEvent.at < older_than, StreamEvent.id < newest)
    )
    return int(result.rowcount or 0)


class StreamReader:
    """Follows the events table from a cursor, in id order, without skipping late commits.

    Ids are handed out when a row is inserted, not when it commits, so id 11 can be visible
    before id 10 (PostgreSQL; a long ingest batch holds its id until it commits). The reader
    stops at such a gap and waits up to ``gap_wait`` seconds for it to fill; a gap still open
    then was a rolled-back transaction and is skipped.
    """

    def __init__(self, engine: Engine, *, after_id: int | None, gap_wait: float = 15.0) -> None:
        self.engine = engine
        self.gap_wait = gap_wait
        self.reset = False  # the requested cursor was older than what is kept
        with engine.connect() as conn:
            newest = latest_id(conn)
            if after_id is None or after_id > newest:
                # A new client (or a database that was rebuilt) starts with what comes next.
                self.cursor = newest
            else:
                oldest = oldest_id(conn)
                if oldest is not None and after_id < oldest - 1:
                    self.reset = True
                    after_id = oldest - 1
                self.cursor = after_id
        self._gap_since: float | None = None

    def poll(self, *, limit: int = 500) -> list[Row[Any]]:
        """The next events that are safe to deliver; advances the cursor past them."""
        with self.engine.connect() as conn:
            rows = fetch_after(conn, self.cursor, limit=limit)
        out: list[Row[Any]] = []
        for row in rows:
            if row.id != self.cursor + 1:
                now = time.monotonic()
                if self._gap_since is None:
                    self._gap_since = now
                if now - self._gap_since < self.gap_wait:
                    break
            self._gap_since = None
            out.append(row)
            self.cursor = int(row.id)
        return out
