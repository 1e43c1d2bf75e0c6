"""Streaming writers: rows in, a CSV or Parquet file out, one batch in memory at a time."""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import IO, Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from election_monitor.export.tables import Table
from election_monitor.timeutil import ensure_utc

#: A spreadsheet runs a cell that starts with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """A text cell a spreadsheet will show as text (OWASP: prefix a single quote)."""
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return ensure_utc(value).isoformat().replace("+00:00", "Z")
    if isinstance(value, int | float):
        return repr(value) if isinstance(value, float) else str(value)
    if isinstance(value, dict | list):
        return neutralise(orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode())
    return neutralise(str(value))


def write_csv(handle: IO[str], table: Table, batches: Iterable[Sequence[Any]]) -> int:
    """Header, then every row; returns the number of rows."""
    writer = csv.writer(handle, lineterminator="\n")
    writer.writerow([c.name for c in table.columns])
    rows = 0
    for batch in batches:
        writer.writerows([csv_cell(v) for v in row] for row in batch)
        rows += len(batch)
    return rows


def _arrow_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return ensure_utc(value)
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return value


def write_parquet(path: str, table: Table, batches: Iterable[Sequence[Any]]) -> int:
    """One row group per batch, zstd-compressed; returns the number of rows."""
    schema = table.schema
    rows = 0
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        for batch in batches:
            columns = list(zip(*batch, strict=True)) if batch else [()] * len(schema)
            arrays = [
                pa.array([_arrow_value(v) for v in col], type=field.type)
                for col, field in zip(columns, schema, strict=True)
            ]
            writer.write_batch(pa.RecordBatch.from_arrays(arrays, schema=schema))
            rows += len(batch)
    return rows
