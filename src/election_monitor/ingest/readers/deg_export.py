"""Reader of the official observer export (deg-export): 12 ``;``-separated fields per line.

``nestedTxId;type;signature;version;ts;senderPublicKey;fee;feeAssetId;params;diff;extra;rollback``

The export can hold over ten million rows per voting, so this is the hot path of the whole
ingest: one ``str.split(";")`` per line (``;`` inside JSON is written ``\\u003b``, so the split
is exact), ``orjson`` for the three JSON fields, no regular expressions and no ``csv`` module.

Every line ends as exactly one of: a ``ChainRecord``, a ``RowError`` (with a precise reason),
or a skipped blank line (counted in ``ReadStats.skipped``, never an error: exports often end
with an empty line). A bad line never stops the file.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from election_monitor.ingest import jsontext
from election_monitor.ingest.interpret import interpret
from election_monitor.ingest.limits import (
    DEFAULT_LIMITS,
    LINE_TOO_LONG,
    BoundError,
    Limits,
    check_fields,
    parse_uint,
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

#: The 12 fields of a line, in order; also the keys of ``ChainRecord.raw``.
FIELDS = (
    "nestedTxId",
    "type",
    "signature",
    "version",
    "ts",
    "senderPublicKey",
    "fee",
    "feeAssetId",
    "params",
    "diff",
    "extra",
    "rollback",
)
N_FIELDS = len(FIELDS)
#: The value keys an entry of params/diff may carry (exactly one of them).
VALUE_KEYS = frozenset({"stringValue", "intValue", "binaryValue", "boolValue"})
#: ``rollback`` values meaning "not rolled back" ("0" is accepted too) and "rolled back".
NOT_ROLLED_BACK = frozenset({"", "0"})
ROLLED_BACK = "-1"

_loads = jsontext.loads
_JSONError = jsontext.JSONDecodeError


class _BadRowError(Exception):
    """A line that is not a valid export record; the message is the row error's reason."""


def _entry_slow(entry: Any, what: str, index: int) -> tuple[str, Any]:
    """Decode an entry that is not exactly ``{"key": K, <value key>: V}``, or say what is wrong."""
    if not isinstance(entry, dict):
        raise _BadRowError(f"bad {what} entry {index}: not a JSON object")
    key = entry.get("key")
    if not isinstance(key, str):
        raise _BadRowError(f"bad {what} entry {index}: no string key")
    values = [name for name in entry if name in VALUE_KEYS]
    if len(values) != 1:
        raise _BadRowError(
            f"bad {what} entry {index} ({key}): expected one of "
            "stringValue/intValue/binaryValue/boolValue"
        )
    return key, entry[values[0]]


def _decode_entries_slow(entries: list[Any], what: str) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for index, entry in enumerate(entries, 1):
        key, value = _entry_slow(entry, what, index)
        decoded[key] = value
    return decoded


def _decode_entries(entries: Any, what: str) -> dict[str, Any]:
    """``[{"key": K, "stringValue": V}, ...]`` -> ``{K: V}`` (the last of a repeated key wins).

    Other value keys (intValue, binaryValue, boolValue), another key order, or extra keys next
    to exactly one value key are accepted too; anything else raises with the entry's number.
    """
    if type(entries) is not list:
        raise _BadRowError(f"{what} is not a JSON array")
    decoded: dict[str, Any] = {}
    try:
        # Fast path for the shape the export writes: exactly "key" then one value key.
        for entry in entries:
            name, value_name = entry
            key = entry[name]
            if name != "key" or value_name not in VALUE_KEYS or type(key) is not str:
                return _decode_entries_slow(entries, what)
            decoded[key] = entry[value_name]
    except (ValueError, TypeError, KeyError):
        return _decode_entries_slow(entries, what)
    return decoded


def _parse_fields(
    fields: list[str], source: str, line: int, file_contract: str, limits: Limits
) -> ChainRecord:
    """Build the (not yet interpreted) record of one split line; ``_BadRowError`` if malformed.

    Limits (field length, JSON depth, 64-bit ``ts``) raise ``BoundError``.
    """
    (
        tx_id,
        type_text,
        signature,
        version,
        ts_text,
        sender,
        fee,
        fee_asset,
        params_text,
        diff_text,
        extra_text,
        rollback_text,
    ) = fields
    if not tx_id:
        raise _BadRowError("missing nestedTxId")
    check_fields(fields, limits.max_field_chars, FIELDS)
    if type_text == "104":
        tx_type = 104
    elif type_text == "103":
        tx_type = 103
    else:
        raise _BadRowError(f"unknown type {type_text!r} (expected 103 or 104)")
    ts_ms = parse_uint(ts_text, "ts")
    if ts_ms is None:
        raise _BadRowError(f"bad ts {ts_text!r} (expected epoch milliseconds)")
    if not sender:
        raise _BadRowError("missing senderPublicKey")
    if rollback_text in NOT_ROLLED_BACK:
        rollback = False
    elif rollback_text == ROLLED_BACK:
        rollback = True
    else:
        raise _BadRowError(f"bad rollback {rollback_text!r} (expected empty or -1)")
    # Three separate try blocks (free when nothing is raised) name the field that is bad.
    depth = limits.max_json_depth
    try:
        params_json = _loads(params_text, max_depth=depth)
    except _JSONError as exc:
        raise _BadRowError(f"bad JSON in params: {exc}") from None
    try:
        diff_json = _loads(diff_text, max_depth=depth)
    except _JSONError as exc:
        raise _BadRowError(f"bad JSON in diff: {exc}") from None
    try:
        extra_json = _loads(extra_text, max_depth=depth)
    except _JSONError as exc:
        raise _BadRowError(f"bad JSON in extra: {exc}") from None
    if type(extra_json) is not dict:
        raise _BadRowError("extra is not a JSON object")
    params = _decode_entries(params_json, "params")
    diff = _decode_entries(diff_json, "diff")
    if tx_type == 104:
        operation = params.get("operation")
        if not operation or type(operation) is not str:
            raise _BadRowError("missing operation")
        contract_id = file_contract
    else:
        operation = "createContract"
        contract_id = tx_id
    raw = {
        "nestedTxId": tx_id,
        "type": type_text,
        "signature": signature,
        "version": version,
        "ts": ts_text,
        "senderPublicKey": sender,
        "fee": fee,
        "feeAssetId": fee_asset,
        "params": params_json,
        "diff": diff_json,
        "extra": extra_json,
        "rollback": rollback_text,
    }
    return ChainRecord(
        source,
        line,
        tx_id,
        contract_id,
        operation,
        ts_ms,
        0,  # the export carries no block height
        sender,
        params,
        diff,
        rollback,
        raw,
        tx_type,
    )


def read_source(
    source: TextSource, *, stats: ReadStats | None = None, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Row]:
    """Read one decoded export text: a record or a row error per non-blank line."""
    name = source.name
    file_contract = contract_id_from_name(name)
    records = errors = skipped = number = 0
    max_line = limits.max_line_chars
    try:
        for number, (line, overlong) in enumerate(source.bounded_lines(max_line), 1):
            if overlong:
                errors += 1
                yield RowError(
                    name, number, f"{LINE_TOO_LONG}: longer than {max_line:,} characters", line
                )
                continue
            fields = line.split(";")
            # Only the last field carries the line ending; stripping it avoids copying the line.
            fields[-1] = fields[-1].rstrip("\r\n")
            if len(fields) != N_FIELDS:
                if not line.strip():
                    skipped += 1
                    continue
                errors += 1
                yield RowError(
                    name, number, f"expected 12 fields, got {len(fields)}", line.rstrip("\r\n")
                )
                continue
            try:
                record = interpret(_parse_fields(fields, name, number, file_contract, limits))
            except (_BadRowError, BoundError) as exc:
                errors += 1
                yield RowError(name, number, str(exc), line.rstrip("\r\n"))
                continue
            except Exception as exc:  # any other fault of one row rejects that row only
                errors += 1
                yield RowError(name, number, unreadable(exc), line.rstrip("\r\n"))
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
    """Read a deg-export file (plain, ``.gz`` or ``.zip`` of one or more ``.csv``)."""
    for source in open_sources(path, limits):
        yield from read_source(source, stats=stats, limits=limits)
