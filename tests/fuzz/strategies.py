"""Hypothesis strategies for whole input files: valid rows mixed with hostile mutations.

A generated :class:`FuzzFile` is the bytes of one file in one of the formats the readers accept
(deg-export, deg-dump, hourly-csv), optionally inside a gzip or zip container, together with the
ids of the rows that are valid and must therefore be inserted. Mutated rows get ids of their own
(``M…``), so a mutation never collides with a valid row's content.

Mutations cover every field: its type, its length (at and past the field limit), its encoding
(invalid UTF-8, BOM, NUL, lone CR, CRLF), numbers at and past every 64-bit bound, quoting and
JSON nesting (at and past the depth limit).
"""

from __future__ import annotations

import gzip
import io
import json
import zipfile
from dataclasses import dataclass, field
from typing import Any

import orjson
from hypothesis import strategies as st

from tests import fixtures_formats as ff
from tests.pipeline.chain import HOUR_MS, T0

#: The limits the fuzz run configures (small, so "at and past" the limit stays cheap).
MAX_FIELD_CHARS = 2_000
MAX_LINE_CHARS = 8_000
MAX_JSON_DEPTH = 8
FORMATS = ("deg-export", "deg-dump", "hourly-csv")
CONTAINERS = ("plain", "gzip", "zip")

INT_BOUNDS = [
    0, 1, -1, 2**31 - 1, 2**31, -(2**31) - 1, 2**32, 2**53, 2**53 + 1, 2**63 - 1, 2**63,
    -(2**63), -(2**63) - 1, 2**64 - 1, 2**64, 2**128,
]  # fmt: skip
NUMBER_TEXTS = [
    "1e308", "1e309", "-1e309", "NaN", "Infinity", "-0", "0.0", "1.5", " 12 ", "+5", "0x10",
    "1_000", "١٢٣", "²", "12\x00", "007", "-9223372036854775809", "9223372036854775807",
    "9223372036854775808", "18446744073709551616", "253402300799999", "253402300800000",
    "9" * 4301, "1" + "0" * 5000,
]  # fmt: skip
SPECIAL_TEXTS = [
    "", " ", "\x00", "\ufeff", "\r", "\r\n", "\n", '"', '""', "'", ";", ";;", "\\", '\\"',
    "\u2028", "\u0085", "\x1a", "null", "true", "[]", "{}", '"quoted"', "\t",
    "Выборы", "\U0001f5f3", "a" * (MAX_FIELD_CHARS - 10), "b" * (MAX_FIELD_CHARS + 1),
]  # fmt: skip
#: Byte sequences that are not valid UTF-8 (or are only in part).
RAW_BYTES = [b"\xff\xfe", b"\xc3", b"\x98", b"\xed\xa0\x80", b"\xef\xbb\xbf", b"\x00\x00", b"\x80"]


def nested(depth: int, kind: str) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = [value] if kind == "list" else {"a": value}
    return value


@dataclass
class FuzzFile:
    """One generated file: its name, its bytes, and what a correct ingest must do with it."""

    name: str
    data: bytes
    fmt: str
    container: str
    valid_ids: set[str] = field(default_factory=set)
    #: The container is damaged on purpose: the file may fail as a whole (rows before stand).
    damaged: bool = False


# --- values --------------------------------------------------------------------------------

hostile_int = st.one_of(st.sampled_from(INT_BOUNDS), st.integers())
hostile_text = st.one_of(
    st.sampled_from(SPECIAL_TEXTS + NUMBER_TEXTS),
    st.text(max_size=40),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=MAX_FIELD_CHARS - 2,
            max_size=MAX_FIELD_CHARS + 2),
    hostile_int.map(str),
)  # fmt: skip
#: Stands for a number too wide for Python's int-string limit; ``json_text`` writes it raw.
HUGE = "\x01huge\x01"
HUGE_DIGITS = "9" * 5000

hostile_json: st.SearchStrategy[Any] = st.one_of(
    hostile_int,
    st.just(HUGE),
    hostile_text,
    st.sampled_from([None, True, False, 1.5, -0.0, 1e308]),
    st.builds(
        nested,
        st.sampled_from([MAX_JSON_DEPTH - 2, MAX_JSON_DEPTH, MAX_JSON_DEPTH + 1, 200]),
        st.sampled_from(["list", "dict"]),
    ),
    st.recursive(
        st.one_of(st.none(), st.booleans(), hostile_int, st.text(max_size=8)),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner,
                                                                     max_size=3),
        max_leaves=8,
    ),
)  # fmt: skip


def json_text(value: Any) -> str:
    """JSON of any value, integers of any width included (orjson refuses those past 64 bits)."""
    try:
        text = orjson.dumps(value).decode()
    except (TypeError, orjson.JSONEncodeError):
        text = json.dumps(value, ensure_ascii=False)
    return text.replace(json.dumps(HUGE), HUGE_DIGITS).replace(
        orjson.dumps(HUGE).decode(), HUGE_DIGITS
    )


# --- valid calls ---------------------------------------------------------------------------


@st.composite
def valid_call(draw: st.DrawFn, n: int, contract: str = ff.CONTRACT) -> ff.Call:
    """A call inside the election window, with an id and voter unique to position ``n``."""
    ts = T0 + draw(st.integers(0, 40 * HOUR_MS))
    kind = draw(st.sampled_from(["vote", "issue", "failed_vote", "event"]))
    tx_id = f"V{n:05d}{kind[0]}"
    if kind == "vote":
        return ff.vote(tx_id, f"KEY{n:05d}", ts=ts, contract_id=contract)
    if kind == "failed_vote":
        return ff.vote(tx_id, f"KEY{n:05d}", failed="invalid signature", ts=ts,
                       contract_id=contract)  # fmt: skip
    if kind == "issue":
        users = [f"u{n:05d}x{i}" for i in range(draw(st.integers(1, 3)))]
        return ff.blind_sig_issue(tx_id, users, ts=ts, contract_id=contract)
    return ff.start_voting(tx_id, ts=ts, contract_id=contract)


# --- line-level damage ---------------------------------------------------------------------


@st.composite
def damaged_line(draw: st.DrawFn, text: str) -> bytes:
    """The bytes of a line after one textual or byte-level mutation."""
    how = draw(st.sampled_from(
        ["truncate", "insert_bytes", "insert_text", "bom", "crlf", "lone_cr", "quote", "double",
         "long", "nul"]
    ))  # fmt: skip
    data = text.encode("utf-8", "surrogatepass")
    pos = draw(st.integers(0, len(data)))
    if how == "truncate":
        return data[:pos]
    if how == "insert_bytes":
        return data[:pos] + draw(st.sampled_from(RAW_BYTES)) + data[pos:]
    if how == "insert_text":
        insert = draw(hostile_text).encode("utf-8", "surrogatepass")
        return data[:pos] + insert + data[pos:]
    if how == "bom":
        return b"\xef\xbb\xbf" + data
    if how == "crlf":
        return data + b"\r"
    if how == "lone_cr":
        return data[:pos] + b"\r" + data[pos:]
    if how == "quote":
        return b'"' + data.replace(b'"', b'""') + b'"'
    if how == "double":
        return data + b";" + data
    if how == "nul":
        return data[:pos] + b"\x00" + data[pos:]
    return data + b"x" * (MAX_LINE_CHARS + 1 - len(data))


# --- deg-export ----------------------------------------------------------------------------


def _escaped(value: Any) -> str:
    return json_text(value).replace(";", "\\u003b")


@st.composite
def export_mutant(draw: st.DrawFn, n: int) -> bytes:
    call = draw(valid_call(n))
    call.tx_id = f"M{n:05d}"
    fields = ff.export_fields(call)
    target = draw(st.sampled_from(["field", "entry", "json", "line"]))
    if target == "field":
        index = draw(st.integers(0, len(fields) - 1))
        value = draw(hostile_text)
        fields[index] = value if index != 0 else "M" + value
    elif target == "entry":
        index = draw(st.sampled_from([8, 9]))
        entries = orjson.loads(fields[index].replace("\\u003b", ";"))
        if entries:
            entry = entries[draw(st.integers(0, len(entries) - 1))]
            key = draw(st.sampled_from(["key", "stringValue", "intValue", "binaryValue",
                                        "boolValue", "extra"]))  # fmt: skip
            entry[key] = draw(hostile_json)
        else:
            entries.append(draw(hostile_json))
        fields[index] = _escaped(entries)
    elif target == "json":
        fields[draw(st.sampled_from([8, 9, 10]))] = _escaped(draw(hostile_json))
    text = ";".join(fields)
    if target == "line":
        return draw(damaged_line(text))
    return text.encode("utf-8", "surrogatepass")


# --- deg-dump ------------------------------------------------------------------------------


@st.composite
def dump_mutant(draw: st.DrawFn, n: int) -> bytes:
    call = draw(valid_call(n))
    call.tx_id = f"M{n:05d}"
    wrapper = ff.dump_transaction(call, wrapper_id=f"WM{n:05d}")
    block: dict[str, Any] = {"height": n + 1, "timestamp": call.ts, "transactions": [wrapper]}
    target = draw(st.sampled_from(["block", "wrapper", "tx", "entry", "line"]))
    if target == "block":
        block[draw(st.sampled_from(["height", "timestamp", "transactions", "extra"]))] = draw(
            hostile_json
        )
    elif target == "wrapper":
        wrapper[draw(st.sampled_from(["type", "id", "tx", "results", "height"]))] = draw(
            hostile_json
        )
    elif target == "tx":
        key = draw(st.sampled_from(
            ["type", "id", "senderPublicKey", "timestamp", "version", "params", "contractId"]
        ))  # fmt: skip
        value = draw(hostile_json)
        wrapper["tx"][key] = "M" + value if key == "id" and isinstance(value, str) else value
    elif target == "entry":
        entries = wrapper["tx"]["params"] if draw(st.booleans()) else wrapper["results"]
        if entries:
            entry = entries[draw(st.integers(0, len(entries) - 1))]
            entry[draw(st.sampled_from(["key", "type", "value"]))] = draw(hostile_json)
    text = json_text(block)
    if target == "line":
        return draw(damaged_line(text))
    return text.encode("utf-8", "surrogatepass")


def dump_block(calls: list[ff.Call], height: int) -> bytes:
    txs = [ff.dump_transaction(c) for c in calls]
    return ff.dump_block(height, calls[0].ts + 500, txs).encode()


# --- hourly-csv ----------------------------------------------------------------------------


@st.composite
def hourly_mutant(draw: st.DrawFn, n: int) -> bytes:
    call = draw(valid_call(n))
    call.tx_id = f"M{n:05d}"
    row = ff.hourly_row(call)
    column = draw(st.sampled_from([*ff.HOURLY_COLUMNS, "params_json"]))
    if column == "params_json":
        row["params"] = json_text(draw(hostile_json))
    else:
        value = draw(hostile_text)
        row[column] = "M" + value if column == "tx_id" else value
    text = ff.hourly_lines([row])[1]
    if draw(st.booleans()):
        return draw(damaged_line(text))
    return text.encode("utf-8", "surrogatepass")


def hourly_valid(call: ff.Call) -> bytes:
    return ff.hourly_lines([ff.hourly_row(call)])[1].encode()


# --- whole files ---------------------------------------------------------------------------


def _container(draw: st.DrawFn, name: str, body: bytes) -> tuple[str, bytes, str, bool]:
    container = draw(st.sampled_from(CONTAINERS))
    damaged = False
    if container == "gzip":
        data = gzip.compress(body)
        if draw(st.integers(0, 9)) == 0:  # now and then a truncated archive
            data, damaged = data[: draw(st.integers(0, max(0, len(data) - 1)))], True
        return name + ".gz", data, container, damaged
    if container == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(name, body)
            if draw(st.booleans()):
                archive.writestr("readme.md", b"not an input member")
        data = buffer.getvalue()
        if draw(st.integers(0, 9)) == 0:
            cut = draw(st.integers(0, max(0, len(data) - 1)))
            data, damaged = data[:cut], True
        return name.rsplit(".", 1)[0] + "_dump.zip", data, container, damaged
    return name, body, container, damaged


@st.composite
def fuzz_files(draw: st.DrawFn, formats: tuple[str, ...] = FORMATS, max_rows: int = 30) -> FuzzFile:
    """A whole file: valid rows and mutants interleaved, in some encoding and container."""
    fmt = draw(st.sampled_from(formats))
    plan = draw(st.lists(st.booleans(), min_size=1, max_size=max_rows))  # True: a valid row
    lines: list[bytes] = []
    valid: set[str] = set()
    for n, is_valid in enumerate(plan):
        if fmt == "deg-dump":
            if is_valid:
                calls = [draw(valid_call(n * 10 + i)) for i in range(draw(st.integers(1, 3)))]
                lines.append(dump_block(calls, n + 1))
                valid |= {c.tx_id for c in calls}
            else:
                lines.append(draw(dump_mutant(n * 10)))
        elif is_valid:
            call = draw(valid_call(n))
            render = ff.export_line(call).encode() if fmt == "deg-export" else hourly_valid(call)
            lines.append(render)
            valid.add(call.tx_id)
        else:
            mutant = export_mutant if fmt == "deg-export" else hourly_mutant
            lines.append(draw(mutant(n)))
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from([b"", b"   ", b"\t"])))  # blank lines are skipped
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    header = [";".join(ff.HOURLY_COLUMNS).encode()] if fmt == "hourly-csv" else []
    body = newline.join([*header, *lines]) + (newline if draw(st.booleans()) else b"")
    if draw(st.booleans()):
        body = b"\xef\xbb\xbf" + body
    stem = {"deg-export": f"{ff.CONTRACT}_dump.csv", "deg-dump": "1-1000.jsonl",
            "hourly-csv": "hourly.csv"}[fmt]  # fmt: skip
    name, data, container, damaged = _container(draw, stem, body)
    return FuzzFile(name=name, data=data, fmt=fmt, container=container, valid_ids=valid,
                    damaged=damaged)  # fmt: skip
