"""The durable file queue: ``elmon queue add`` puts files in, ``elmon worker`` takes them out.

Input: files and folders (folders walked lazily, in the order ``elmon ingest`` reads them).
Output: one ``file_queue`` row per file, in one batch per call; ``status`` and ``retry`` read
and reset them. Adding is cheap (a ``stat`` per file, no hashing): the worker's job hashes the
file when it loads it, and a file already loaded with the same bytes is skipped there.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, insert, select, update

from election_monitor.db.base import new_uuid
from election_monitor.enums import QueueState
from election_monitor.ingest.readers import iter_input_files
from election_monitor.models import DetectionBacklog, FileQueueEntry
from election_monitor.timeutil import utcnow

#: Rows inserted per transaction while a folder is walked.
ADD_CHUNK = 1_000
_DUMP_SUFFIXES = (".jsonl", ".jsonl.gz")
ACTIVE = (QueueState.QUEUED.value, QueueState.LEASED.value)


def walk_input_files(paths: Iterable[Path]) -> Iterator[Path]:
    """The files ``elmon ingest`` would read, in its order, yielded as the folders are walked."""
    return iter_input_files(paths)


def contract_key(path: Path) -> str:
    """The files that one writer must load one after the other, in queue order.

    A file's contract is the stem before the first ``_`` (``<contractId>_dump.zip``,
    ``<contractId>_<date>_<hours>.csv``). A node dump's blocks mix contracts and its chunks
    come in height order, so every dump chunk of one folder shares the folder's key.
    """
    name = path.name.lower()
    if name.endswith(_DUMP_SUFFIXES):
        return f"dump:{path.resolve().parent}"
    return path.name.split(".", 1)[0].split("_", 1)[0]


@dataclass
class AddResult:
    """What ``elmon queue add`` did."""

    batch_id: str
    added: int = 0
    already_queued: int = 0


def add_paths(
    engine: Engine,
    paths: Iterable[Path],
    *,
    election_id: str | None = None,
    fmt: str = "auto",
) -> AddResult:
    """Queue every input file under ``paths`` as one batch; a file still queued or leased is
    not queued twice."""
    result = AddResult(batch_id=new_uuid())
    files = walk_input_files(paths)
    while chunk := list(itertools.islice(files, ADD_CHUNK)):
        names = [str(p.resolve()) for p in chunk]
        with engine.begin() as conn:
            active = set(
                conn.scalars(
                    select(FileQueueEntry.path).where(
                        FileQueueEntry.path.in_(names), FileQueueEntry.state.in_(ACTIVE)
                    )
                )
            )
            now = utcnow()
            rows: list[dict[str, Any]] = []
            for path, name in zip(chunk, names, strict=True):
                if name in active:
                    result.already_queued += 1
                    continue
                active.add(name)
                rows.append(
                    {
                        "batch_id": result.batch_id,
                        "path": name,
                        "contract_key": contract_key(path),
                        "election_id": election_id,
                        "format": fmt,
                        "size_bytes": path.stat().st_size,
                        "state": QueueState.QUEUED.value,
                        "attempts": 0,
                        "created_at": now,
                    }
                )
            if rows:
                conn.execute(insert(FileQueueEntry), rows)
            result.added += len(rows)
    return result


@dataclass
class QueueStatus:
    """Counts per state, the leases held now, and the detection work waiting."""

    states: dict[str, int] = field(default_factory=dict)
    leases: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    detection_backlog: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "states": self.states,
            "leases": self.leases,
            "failed": self.failed,
            "detection_backlog": self.detection_backlog,
        }


def queue_status(engine: Engine, *, failed_limit: int = 20) -> QueueStatus:
    """The queue as an operator wants to see it."""
    status = QueueStatus(states={s.value: 0 for s in QueueState})
    now = utcnow()
    with engine.connect() as conn:
        for state, count in conn.execute(
            select(FileQueueEntry.state, func.count()).group_by(FileQueueEntry.state)
        ):
            status.states[state] = int(count)
        for row in conn.execute(
            select(
                FileQueueEntry.id,
                FileQueueEntry.path,
                FileQueueEntry.lease_owner,
                FileQueueEntry.lease_expires_at,
                FileQueueEntry.attempts,
            )
            .where(FileQueueEntry.state == QueueState.LEASED.value)
            .order_by(FileQueueEntry.id)
        ):
            expires = row.lease_expires_at
            status.leases.append(
                {
                    "id": row.id,
                    "path": row.path,
                    "owner": row.lease_owner,
                    "lease_expires_at": expires.isoformat() if expires else None,
                    "expired": bool(expires and expires < now),
                    "attempts": row.attempts,
                }
            )
        for failed in conn.execute(
            select(FileQueueEntry.id, FileQueueEntry.path, FileQueueEntry.last_error)
            .where(FileQueueEntry.state == QueueState.FAILED.value)
            .order_by(FileQueueEntry.id)
            .limit(failed_limit)
        ):
            status.failed.append({"id": failed.id, "path": failed.path, "error": failed.last_error})
        status.detection_backlog = int(
            conn.execute(select(func.count()).select_from(DetectionBacklog)).scalar_one()
        )
    return status


def retry_failed(engine: Engine, *, ids: Iterable[int] = ()) -> int:
    """Put failed entries (all, or those ``ids``) back in the queue; returns how many.

    The file's job keeps its checkpoint, so a retried file resumes after its settled rows.
    """
    wanted = list(ids)
    stmt = (
        update(FileQueueEntry)
        .where(FileQueueEntry.state == QueueState.FAILED.value)
        .values(
            state=QueueState.QUEUED.value,
            attempts=0,
            lease_owner=None,
            lease_expires_at=None,
            finished_at=None,
        )
    )
    if wanted:
        stmt = stmt.where(FileQueueEntry.id.in_(wanted))
    with engine.begin() as conn:
        return int(conn.execute(stmt).rowcount)
