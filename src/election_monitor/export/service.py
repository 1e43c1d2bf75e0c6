"""``export_table``: stream one table of one election to a CSV or Parquet file."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select

from election_monitor.exceptions import InvalidInputError, NotFoundError
from election_monitor.export.tables import ALERTS, CONSTITUENCIES, HOURLY, TRANSACTIONS, Table
from election_monitor.export.writers import write_csv, write_parquet
from election_monitor.models import Election

TABLES: dict[str, Table] = {t.name: t for t in (CONSTITUENCIES, HOURLY, ALERTS, TRANSACTIONS)}
FORMATS = ("csv", "parquet")
#: Rows fetched and written per batch (the memory bound).
BATCH_ROWS = 50_000


@dataclass(frozen=True)
class ExportResult:
    table: str
    format: str
    path: str
    rows: int


def format_for(path: Path, fmt: str | None) -> str:
    """The format asked for, else the one the suffix names."""
    chosen = fmt or path.suffix.lower().lstrip(".")
    if chosen not in FORMATS:
        raise InvalidInputError(
            f"export format must be one of {list(FORMATS)} (or a .csv / .parquet suffix), "
            f"got {chosen or path.name!r}"
        )
    return chosen


def _batches(engine: Engine, table: Table, election_id: str, size: int) -> Iterator[Sequence[Any]]:
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=size).execute(
            table.query(election_id)
        )
        for part in result.partitions(size):
            yield [tuple(row) for row in part]


def export_table(
    engine: Engine,
    *,
    table: str,
    election_id: str,
    output: Path,
    fmt: str | None = None,
    batch_rows: int = BATCH_ROWS,
) -> ExportResult:
    """Write ``table`` of the election to ``output``; the file appears only when complete."""
    if table not in TABLES:
        raise InvalidInputError(f"table must be one of {sorted(TABLES)}, got {table!r}")
    chosen = format_for(output, fmt)
    with engine.connect() as conn:
        if conn.scalar(select(Election.id).where(Election.id == election_id)) is None:
            raise NotFoundError("Election", election_id)
    spec = TABLES[table]
    folder = output.parent if str(output.parent) else Path(".")
    if not folder.is_dir():
        raise InvalidInputError(f"cannot write {output}: folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=".elmon-export-", suffix="." + chosen)
    except OSError as exc:
        raise InvalidInputError(f"cannot write {output}: {exc.strerror or exc}") from exc
    os.close(fd)
    try:
        batches = _batches(engine, spec, election_id, batch_rows)
        if chosen == "csv":
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                rows = write_csv(handle, spec, batches)
        else:
            rows = write_parquet(tmp, spec, batches)
        os.chmod(tmp, 0o644)
        os.replace(tmp, output)
    except OSError as exc:
        raise InvalidInputError(f"cannot write {output}: {exc.strerror or exc}") from exc
    finally:
        Path(tmp).unlink(missing_ok=True)
    return ExportResult(table=table, format=chosen, path=str(output), rows=rows)
