"""Reader of raw node block dumps (deg-dump): JSON Lines, one block per line.

``{"height": int, "timestamp": ms, "transactions": [...]}``; the transactions of interest are
executed-contract wrappers ``{"type": 105, "id": ..., "tx": {103|104 call}, "results": [diff]}``.
This is the only format with block heights, which the integrity checks need, so the height
(and the block time) travel with every record. Everything else in a block (transfers, other
wrapper kinds) is counted in ``ReadStats.ignored``, not reported as an error.

A block line that is not valid JSON, or lacks its height, timestamp or transaction list, is one
``RowError`` for the line; a bad transaction inside a good block is one ``RowError`` (same
line, reason prefixed ``transaction <n>``) and its neighbours are still read.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson

from election_monitor.ingest import jsontext
from election_monitor.ingest.interpret import interpret
from election_monitor.ingest.limits import (
    DEFAULT_LIMITS,
    LINE_TOO_LONG,
    BoundError,
    Limits,
    check_uint,
    shown,
    unreadable,
)
from election_monitor.ingest.opener import CONTAINER_ERRORS, TextSource, damaged, open_sources
from election_monitor.ingest.records import ChainRecord, ReadStats, Row, RowError

#: The executed-contract wrapper that carries a 103/104 call and its state diff.
WRAPPER_TYPE = 105
CALL_TYPES = (103, 104)
BINARY_PREFIX = "base64:"
_PREFIX_LEN = len(BINARY_PREFIX)

_loads = jsontext.loads
_JSONError = jsontext.JSONDecodeError


class _BadRowError(Exception):
    """A block or transaction that cannot be read; the message is the row error's reason."""


def _decode_entries(entries: Any, what: str) -> dict[str, Any]:
    """``[{"key": K, "type": T, "value": V}, ...]`` -> ``{K: V}``, ``base64:`` stripped."""
    if type(entries) is not list:
        raise _BadRowError(f"{what} is not a JSON array")
    decoded: dict[str, Any] = {}
    for index, entry in enumerate(entries, 1):
        if type(entry) is not dict:
            raise _BadRowError(f"bad {what} entry {index}: not a JSON object")
        key = entry.get("key")
        if type(key) is not str:
            raise _BadRowError(f"bad {what} entry {index}: no string key")
        if "value" not in entry:
            raise _BadRowError(f"bad {what} entry {index} ({key}): no value")
        value = entry["value"]
        if entry.get("type") == "binary" and type(value) is str and value.startswith(BINARY_PREFIX):
            value = value[_PREFIX_LEN:]
        decoded[key] = value
    return decoded


def _int_field(container: dict[str, Any], key: str) -> int | None:
    """A whole non-negative 64-bit number, None if absent or not one (``BoundError`` if wider)."""
    return check_uint(container.get(key), key)


def _parse_transaction(
    wrapper: Any, index: int, height: int, block_ts: int, source: str, line: int
) -> ChainRecord | None:
    """The record of one block transaction; None when it is not a contract call we read."""
    if type(wrapper) is not dict:
        raise _BadRowError(f"transaction {index}: not a JSON object")
    if wrapper.get("type") != WRAPPER_TYPE:
        return None
    tx = wrapper.get("tx")
    if type(tx) is not dict:
        raise _BadRowError(f"transaction {index}: type-105 wrapper without a tx object")
    tx_type = tx.get("type")
    if tx_type not in CALL_TYPES or type(tx_type) is not int:
        return None
    tx_id = tx.get("id")
    if not tx_id or type(tx_id) is not str:
        raise _BadRowError(f"transaction {index}: missing nestedTxId (tx.id)")
    try:
        ts = _int_field(tx, "timestamp")
    except BoundError as exc:
        raise BoundError(f"transaction {index}: {exc}") from None
    if ts is None:
        raise _BadRowError(f"transaction {index}: bad ts {shown(tx.get('timestamp'))}")
    sender = tx.get("senderPublicKey")
    if not sender or type(sender) is not str:
        raise _BadRowError(f"transaction {index}: missing senderPublicKey")
    try:
        # A 103 may have no params at all; a missing diff is never normal.
        params = _decode_entries(tx.get("params", []), "params")
        if "results" not in wrapper:
            raise _BadRowError("missing results")
        diff = _decode_entries(wrapper["results"], "results")
    except _BadRowError as exc:
        raise _BadRowError(f"transaction {index}: {exc}") from None
    operation: Any
    contract_id: Any
    if tx_type == 103:
        operation = "createContract"
        contract_id = tx_id
    else:
        operation = params.get("operation")
        if not operation or type(operation) is not str:
            raise _BadRowError(f"transaction {index}: missing operation")
        contract_id = tx.get("contractId")
        if not contract_id or type(contract_id) is not str:
            raise _BadRowError(f"transaction {index}: missing contractId")
    raw = dict(wrapper)
    # The block's height and time join the wrapper; a wrapper's own fields of the same name
    # are kept under another name rather than overwritten.
    for key, renamed in (("height", "wrapperHeight"), ("timestamp", "wrapperTimestamp")):
        if key in raw:
            raw[renamed] = raw.pop(key)
    raw["height"] = height
    raw["timestamp"] = block_ts
    return ChainRecord(
        source,
        line,
        tx_id,
        contract_id,
        operation,
        ts,
        height,
        sender,
        params,
        diff,
        False,  # dumps hold the chain as it is: no rollback lines
        raw,
        tx_type,
    )


def _block(line: str, max_depth: int) -> tuple[int, int, list[Any]]:
    try:
        block = _loads(line, max_depth=max_depth)
    except _JSONError as exc:
        raise _BadRowError(f"bad JSON: {exc}") from None
    if type(block) is not dict:
        raise _BadRowError("block is not a JSON object")
    height = _int_field(block, "height")
    if height is None:
        raise _BadRowError(f"missing or bad height {shown(block.get('height'))}")
    block_ts = _int_field(block, "timestamp")
    if block_ts is None:
        raise _BadRowError(f"missing or bad block timestamp {shown(block.get('timestamp'))}")
    transactions = block.get("transactions")
    if type(transactions) is not list:
        raise _BadRowError("missing or bad transactions (expected a JSON array)")
    return height, block_ts, transactions


def read_source(
    source: TextSource, *, stats: ReadStats | None = None, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Row]:
    """Read one decoded dump text: the records and row errors of each block line."""
    name = source.name
    records = errors = skipped = ignored = number = 0
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
            try:
                height, block_ts, transactions = _block(line, limits.max_json_depth)
            except (_BadRowError, BoundError) as exc:
                errors += 1
                yield RowError(name, number, str(exc), line)
                continue
            except Exception as exc:  # any other fault of one line rejects that line only
                errors += 1
                yield RowError(name, number, unreadable(exc), line)
                continue
            for index, wrapper in enumerate(transactions, 1):
                try:
                    parsed = _parse_transaction(wrapper, index, height, block_ts, name, number)
                    record = None if parsed is None else interpret(parsed)
                except (_BadRowError, BoundError) as exc:
                    errors += 1
                    yield RowError(name, number, str(exc), _text(wrapper))
                    continue
                except Exception as exc:  # one transaction's fault rejects that one only
                    errors += 1
                    yield RowError(
                        name, number, f"transaction {index}: {unreadable(exc)}", _text(wrapper)
                    )
                    continue
                if record is None:
                    ignored += 1
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
                ignored=ignored,
            )


def _text(wrapper: Any) -> str:
    """A transaction as stored with its rejection (valid JSON: the block parsed)."""
    try:
        return orjson.dumps(wrapper).decode()
    except TypeError:
        return repr(wrapper)


def read(
    path: Path, *, stats: ReadStats | None = None, limits: Limits = DEFAULT_LIMITS
) -> Iterator[Row]:
    """Read one dump chunk (``.jsonl``, ``.jsonl.gz``, or a ``.zip`` of chunks)."""
    for source in open_sources(path, limits):
        yield from read_source(source, stats=stats, limits=limits)
