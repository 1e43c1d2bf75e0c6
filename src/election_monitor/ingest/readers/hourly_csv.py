"""Reader of the hourly CSV (hourly-csv): a simple documented format for other chains and tools.

Header line required, ``;``-separated, columns ``tx_id;constituency_id;block_height;timestamp;
type`` plus optional ``sender;status;params``, in any order (the header names them; unknown
columns are kept in ``raw``). The verdict comes from ``status`` (there is no state diff), the
parameters are already decoded (``params`` is a JSON object).

Tools write this file with a CSV library or by joining strings, so both are read: a field may
be CSV-quoted (``"{""a"": 1}"``, as Python's ``csv.writer`` does for JSON), and the last
column may hold unquoted ``;`` (it takes the rest of the line). Quoting is detected per line,
so unquoted files take the fast ``str.split`` path.

The header is counted in ``ReadStats.skipped``. A file whose header lacks a required column
yields one ``RowError`` for the header and one for every data line after it (so that counts
stay exact), naming the missing columns.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from election_monitor.ingest import jsontext
from election_monitor.ingest.interpret import KNOWN_OPERATIONS, interpret, iso_to_ms
from election_monitor.ingest.limits import (
    DEFAULT_LIMITS,
    LINE_TOO_LONG,
    BoundError,
    Limits,
    check_fields,
    parse_uint,
    shown,
    unreadable,
)
from election_monitor.ingest.opener import (
    CONTAINER_ERRORS,
    TextSource,
    contract_id_from_name,
    damaged,
    open_sources,
)
from election_monitor.ingest.records import ChainRecord, ReadStats, Row, RowError

REQUIRED_COLUMNS = ("tx_id", "constituency_id", "block_height", "timestamp", "type")
OPTIONAL_COLUMNS = ("sender", "status", "params")
ACCEPTED = "accepted"
REJECTED = "rejected"

_loads = jsontext.loads
_JSONError = jsontext.JSONDecodeError


#: A private-use character standing in for a CR while the csv module parses a line.
_CR_STAND_IN = "\ue000"


class _BadRowError(Exception):
    """A row that cannot be read; the message is the row error's reason."""


def _split_line(line: str, maxsplit: int = -1) -> list[str]:
    """Split on ``;`` (at most ``maxsplit`` times); CSV quoting is honoured when present."""
    fields = line.split(";", maxsplit)
    # A quoted field starts right after a ";" (or at the line start): only then use csv.
    if (line.startswith('"') or ';"' in line) and any(f.startswith('"') for f in fields):
        return _csv_fields(line)
    return fields


def _csv_fields(line: str) -> list[str]:
    """The fields of a CSV-quoted line; a broken quoting is a ``_BadRowError``, not a fault."""
    # The csv module refuses a CR outside quotes, but a lone CR is part of the line
    # (docs/formats.md): it is parsed as a stand-in character and put back.
    stand_in = _CR_STAND_IN if "\r" in line and _CR_STAND_IN not in line else None
    text = line.replace("\r", stand_in) if stand_in else line
    if csv.field_size_limit() < len(text):  # its own limit is 131,072; ours is checked later
        csv.field_size_limit(len(text))
    try:
        fields = next(csv.reader((text,), delimiter=";", quotechar='"'))
    except csv.Error as exc:
        raise _BadRowError(f"bad CSV quoting: {exc}") from None
    return [field.replace(stand_in, "\r") for field in fields] if stand_in else fields


def _parse_header(line: str) -> list[str]:
    """The column names of a header line (trimmed, lower-case); ``_BadRowError`` if unusable."""
    columns = [name.strip().lower() for name in _split_line(line)]
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise _BadRowError(f"bad header: missing column(s) {', '.join(missing)}")
    repeated = sorted({name for name in columns if columns.count(name) > 1})
    if repeated:
        raise _BadRowError(f"bad header: repeated column(s) {', '.join(repeated)}")
    return columns


def _parse_timestamp(text: str) -> int:
    """Epoch milliseconds from epoch ms digits or ISO-8601 (naive means UTC)."""
    ms = parse_uint(text, "timestamp")
    if ms is not None:
        return ms
    try:
        return iso_to_ms(text)
    except ValueError:
        raise _BadRowError(f"bad timestamp {shown(text)} (expected ISO-8601 or epoch ms)") from None


def _parse_row(
    row: dict[str, str], source: str, line: int, file_contract: str, limits: Limits
) -> ChainRecord:
    """Build the record of one row (a column -> text dict); ``_BadRowError`` if malformed."""
    tx_id = row["tx_id"].strip()
    if not tx_id:
        raise _BadRowError("missing tx_id")
    check_fields(list(row.values()), limits.max_field_chars, tuple(row))
    operation = row["type"].strip()
    if operation not in KNOWN_OPERATIONS:
        raise _BadRowError(f"unknown type {shown(operation)}")
    ts_ms = _parse_timestamp(row["timestamp"].strip())
    height_text = row["block_height"].strip()
    if not height_text:
        height = 0
    else:
        parsed_height = parse_uint(height_text, "block_height")
        if parsed_height is None:
            raise _BadRowError(f"bad block_height {shown(height_text)}")
        height = parsed_height
    status = row.get("status", "").strip().lower()
    if status in ("", ACCEPTED):
        accepted = True
    elif status == REJECTED:
        accepted = False
    else:
        raise _BadRowError(f"bad status {shown(status)} (expected accepted or rejected)")
    params_text = row.get("params", "").strip()
    params: dict[str, Any] = {}
    if params_text:
        try:
            parsed = _loads(params_text, max_depth=limits.max_json_depth)
        except _JSONError as exc:
            raise _BadRowError(f"bad JSON in params: {exc}") from None
        if type(parsed) is not dict:
            raise _BadRowError("params is not a JSON object")
        params = parsed
    sender = row.get("sender", "").strip() or None
    record = ChainRecord(
        source,
        line,
        tx_id,
        row["constituency_id"].strip() or file_contract,
        operation,
        ts_ms,
        height,
        sender,
        params,
        {},  # no state diff in this format: the verdict is the status column
        False,
        row,
    )
    record.accepted = accepted
    if not accepted:
        record.reject_reason = "status: rejected"
    return record


def read_source(
    source: TextSource, *, stats: ReadStats | None = None, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Row]:
    """Read one decoded hourly CSV text: header first, then a record or error per row."""
    name = source.name
    file_contract = contract_id_from_name(name)
    columns: list[str] | None = None
    maxsplit = -1
    header_error: str | None = None
    records = errors = skipped = number = 0
    max_line = limits.max_line_chars
    try:
        for number, (text, overlong) in enumerate(source.bounded_lines(max_line), 1):
            line = text.rstrip("\r\n")
            if overlong:
                errors += 1
                yield RowError(
                    name, number, f"{LINE_TOO_LONG}: longer than {max_line:,} characters", line
                )
                continue
            if not line.strip():
                skipped += 1
                continue
            if columns is None and header_error is None:
                try:
                    check_fields([line], limits.max_field_chars, ("header",))
                    columns = _parse_header(line)
                    # A JSON params column written last may hold ";": it takes the rest.
                    maxsplit = len(columns) - 1 if columns[-1] == "params" else -1
                    skipped += 1
                except (_BadRowError, BoundError, csv.Error) as exc:
                    header_error = f"no usable header (line {number})"
                    errors += 1
                    yield RowError(name, number, str(exc), line)
                continue
            if columns is None:
                errors += 1
                yield RowError(name, number, header_error or "no header", line)
                continue
            try:
                fields = _split_line(line, maxsplit)
                if len(fields) != len(columns):
                    raise _BadRowError(f"expected {len(columns)} fields, got {len(fields)}")
                row = dict(zip(columns, fields, strict=True))
                record = interpret(_parse_row(row, name, number, file_contract, limits))
            except (_BadRowError, BoundError) as exc:
                errors += 1
                yield RowError(name, number, str(exc), line)
                continue
            except Exception as exc:  # any other fault of one row rejects that row only
                errors += 1
                yield RowError(name, number, unreadable(exc), line)
                continue
            records += 1
            yield record
    except CONTAINER_ERRORS as exc:
        raise damaged(source, number, exc) from exc
    finally:
        if stats is not None:
            stats.add_source(
                name,
                source.encoding,
                lines=number,
                records=records,
                errors=errors,
                skipped=skipped,
            )


def read(
    path: Path, *, stats: ReadStats | None = None, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Row]:
    """Read an hourly CSV file (plain, ``.gz`` or ``.zip``)."""
    for source in open_sources(path, limits):
        yield from read_source(source, stats=stats, limits=limits)
