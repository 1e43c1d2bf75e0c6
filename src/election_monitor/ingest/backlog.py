"""The detection backlog: what worker batches loaded, and the one pass that looks at it.

Input: each worker batch's touched constituency-hours (and conflicting transaction ids),
written by :class:`BacklogHook` in the batch's own transaction. Output: one run of the
incremental detection (``DetectionHook``: the exact rules for what was touched, then the
statistical pass) per drain, by the one worker holding a PostgreSQL advisory lock; drained rows
are deleted in the same transaction as the alerts they produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, delete, func, insert, select, text

from election_monitor.db.writerlock import LOCK_NAMESPACE
from election_monitor.detection.service import DetectionHook
from election_monitor.events import EventsHook
from election_monitor.ingest.batch import BatchResult
from election_monitor.ingest.records import RowError
from election_monitor.models import DetectionBacklog
from election_monitor.timeutil import utcnow

#: ``pg_try_advisory_lock(LOCK_NAMESPACE, DETECTION_KEY)``: the one worker draining detection.
DETECTION_KEY = 2


class BacklogHook:
    """An ingest hook recording what each batch touched, for the one detection pass later."""

    def __call__(self, conn: Connection, batch: BatchResult) -> None:
        hours = {(cid, hour) for cid, hour in batch.buckets}
        rows: list[dict[str, Any]] = [
            {"constituency_id": cid, "hour": hour, "conflict_tx_id": None} for cid, hour in hours
        ]
        with_hours = {cid for cid, _ in hours}
        rows += [
            {"constituency_id": cid, "hour": None, "conflict_tx_id": None}
            for cid in sorted(set(batch.constituencies) - with_hours)
        ]
        rows += [
            {"constituency_id": "", "hour": None, "conflict_tx_id": r.tx_id}
            for r in batch.rejections
            if r.kind == "conflict" and r.tx_id
        ]
        if rows:
            now = utcnow()
            conn.execute(insert(DetectionBacklog), [{**row, "created_at": now} for row in rows])


@dataclass
class _Touched:
    """What the drained backlog names, shaped like the batch a ``DetectionHook`` expects."""

    constituencies: set[str]
    buckets: set[tuple[str, datetime]]
    rejections: list[RowError]


def backlog_waiting(engine: Engine) -> bool:
    """Loaded data detection has not looked at yet."""
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(DetectionBacklog)).scalar_one() > 0


def drain_detection(engine: Engine, *, settings_path: Path | None = None) -> int:
    """Run detection for everything in the backlog, if no other worker is doing it now.

    Returns the passes run (0 when another worker holds the lock or nothing waits). The holder
    looks at the backlog again after releasing the lock, so rows committed by a worker whose
    own attempt found the lock taken are never left behind.
    """
    runs = 0
    while backlog_waiting(engine):
        if engine.dialect.name != "postgresql":
            # SQLite: the caller holds the writer lock, so this process is the only writer.
            while _drain_once(engine, settings_path):
                runs += 1
            return runs
        key = {"ns": LOCK_NAMESPACE, "key": DETECTION_KEY}
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as lock:
            if not lock.execute(text("SELECT pg_try_advisory_lock(:ns, :key)"), key).scalar_one():
                return runs
            try:
                while _drain_once(engine, settings_path):
                    runs += 1
            finally:
                lock.execute(text("SELECT pg_advisory_unlock(:ns, :key)"), key)
    return runs


def _drain_once(engine: Engine, settings_path: Path | None) -> bool:
    with engine.begin() as conn:
        rows = conn.execute(
            select(
                DetectionBacklog.id,
                DetectionBacklog.constituency_id,
                DetectionBacklog.hour,
                DetectionBacklog.conflict_tx_id,
            ).order_by(DetectionBacklog.id)
        ).all()
        if not rows:
            return False
        conflicts = sorted({r.conflict_tx_id for r in rows if r.conflict_tx_id})
        touched = _Touched(
            constituencies={r.constituency_id for r in rows if r.constituency_id},
            buckets={(r.constituency_id, r.hour) for r in rows if r.hour is not None},
            rejections=[
                RowError(source="", line=0, reason="conflict", text="", kind="conflict", tx_id=t)
                for t in conflicts
            ],
        )
        hook = DetectionHook(settings_path=settings_path)
        hook(conn, touched)
        hook.finish(conn)
        EventsHook()(conn, touched)
        conn.execute(delete(DetectionBacklog).where(DetectionBacklog.id <= rows[-1].id))
    return True
