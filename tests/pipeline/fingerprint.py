"""A fingerprint of every table's rows, for "this run ended in the same state as that one".

Left out: surrogate keys (UUIDs, autoincrement ids) and columns pointing at them, wall-clock
stamps (``*_at``, ``last_update_time``), and tables that record how the work was done rather
than what it found (the worker queue, the event stream, the outbox, migrations).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, Engine, select

import election_monitor.models  # noqa: F401  (registers every table)
from election_monitor.db.base import Base

#: Tables whose ``id`` is the chain's or the registry's own key, so it must match.
NATURAL_IDS = {"transactions", "contract_events", "constituencies", "elections"}
#: ``*_id`` columns naming natural keys (everything else ``*_id`` names a surrogate).
NATURAL_REFS = {"constituency_id", "election_id", "tx_id", "conflict_tx_id"}
#: Process records: they differ between a killed-and-resumed run and a clean one by design.
SKIPPED_TABLES = {
    "alembic_version",
    "file_queue",
    "stream_events",
    "notification_outbox",
    "detection_backlog",
}
WALL_CLOCK = {"last_update_time", "started_at", "completed_at", "computed_at"}
#: Keys inside JSON evidence that hold the wall-clock time of detection.
WALL_CLOCK_KEYS = {"last_seen"}


def _kept(table: str, column: Any) -> bool:
    name: str = column.name
    if name == "id":
        return table in NATURAL_IDS
    if name.endswith("_id") and name not in NATURAL_REFS:
        return False
    stamp = isinstance(column.type, DateTime) or hasattr(column.type, "impl")
    if stamp and (name.endswith("_at") or name == "at"):
        return False
    return name not in WALL_CLOCK


def kept_columns(table: str) -> list[str]:
    """The column names a fingerprint row of ``table`` holds, in order."""
    return [c.name for c in Base.metadata.tables[table].columns if _kept(table, c)]


def fingerprint(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every kept column of every table, rows sorted, as plain tuples."""
    out: dict[str, list[tuple[Any, ...]]] = {}
    with engine.connect() as conn:
        for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
            if table.name in SKIPPED_TABLES:
                continue
            columns = [c for c in table.columns if _kept(table.name, c)]
            rows = conn.execute(select(*columns)).all()
            out[table.name] = sorted((tuple(_plain(v) for v in row) for row in rows), key=repr)
    return out


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(
            sorted((k, repr(_plain(v))) for k, v in value.items() if k not in WALL_CLOCK_KEYS)
        )
    if isinstance(value, list):
        return tuple(repr(_plain(v)) for v in value)
    if isinstance(value, float):
        return round(value, 9)
    return value
