"""Fixed-width line templates: many lines rendered at once as a byte matrix.

Bulletin and vote lines differ only in fixed-width fields (ids, keys, base64 blobs, 13-digit
timestamps, 4-digit polling stations), so a line kind is a template of literal bytes and field
slots. Rendering fills a ``(rows, width)`` uint8 matrix column block by column block and views
it as one byte string per row: no per-line Python formatting. That is what makes hundreds of
thousands of lines per second possible (issue 4).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import orjson
from numpy.typing import NDArray

from election_monitor.simulate import events as ev
from election_monitor.simulate import ids

_POW10 = 10 ** np.arange(18, -1, -1, dtype=np.int64)


@dataclass(frozen=True, slots=True)
class Slot:
    """A field of ``width`` bytes taken from column ``name``."""

    name: str
    width: int


Part = bytes | Slot
Matrix = NDArray[np.uint8]


class Template:
    """Literal bytes and slots; renders rows of equal width."""

    def __init__(self, parts: Sequence[Part]) -> None:
        layout: list[tuple[int, Part]] = []
        offset = 0
        for part in parts:
            if isinstance(part, bytes):
                if not part:
                    continue
                if layout and isinstance(layout[-1][1], bytes):
                    start, previous = layout[-1]
                    assert isinstance(previous, bytes)
                    layout[-1] = (start, previous + part)
                else:
                    layout.append((offset, part))
                offset += len(part)
            else:
                layout.append((offset, part))
                offset += part.width
        self.width = offset
        self._layout = [
            (start, np.frombuffer(p, np.uint8) if isinstance(p, bytes) else p)
            for start, p in layout
        ]

    def render(self, columns: Callable[[str], Matrix], n: int) -> NDArray[Any]:
        """The rows as an ``S<width>`` array; ``columns(name)`` gives a slot's matrix."""
        out = np.empty((n, self.width), np.uint8)
        for start, part in self._layout:
            if isinstance(part, Slot):
                out[:, start : start + part.width] = columns(part.name)
            else:
                out[:, start : start + len(part)] = part
        return out.reshape(-1).view(f"S{self.width}")


class Columns:
    """Slot matrices of a batch of events, computed on first use."""

    def __init__(
        self, batch: ev.Events, extra: dict[str, Callable[[ev.Events], Matrix]] | None = None
    ) -> None:
        self._batch = batch
        self._extra = extra or {}
        self._cache: dict[str, Matrix] = {}

    def __call__(self, name: str) -> Matrix:
        if name not in self._cache:
            self._cache[name] = self._make(name)
        return self._cache[name]

    def _make(self, name: str) -> Matrix:
        b = self._batch
        if name in self._extra:
            return self._extra[name](b)
        if name == "ts":
            return digits(b["ts"], 13)
        if name == "uik":
            return digits(b["uik"].astype(np.int64), 4)
        if name == "a44":
            return self("a")[:, :44]
        field, width = _FIELDS[name]
        return chars(b[field], width)


_FIELDS = {
    "txid": ("txid", 44),
    "sig": ("sig", ids.SIG_WIDTH),
    "sender": ("sender", 44),
    "user": ("user", 64),
    "a": ("blob_a", 44),
    "b": ("blob_b", 44),
}


def chars(values: NDArray[Any], width: int) -> Matrix:
    """A fixed-width bytes column as a ``(n, width)`` matrix."""
    out: Matrix = np.ascontiguousarray(values).view(np.uint8).reshape(len(values), width)
    return out


def digits(values: NDArray[np.int64], width: int) -> Matrix:
    """Non-negative integers as zero-padded decimal digits, ``(n, width)``."""
    out: Matrix = ((values[:, None] // _POW10[-width:]) % 10 + 48).astype(np.uint8)
    return out


def iso_ms(ts: NDArray[np.int64]) -> Matrix:
    """Timestamps as ``YYYY-MM-DDTHH:MM:SS.mmmZ`` (24 bytes)."""
    text = np.datetime_as_string(ts.astype("datetime64[ms]"), unit="ms", timezone="UTC")
    return chars(text.astype("S24"), 24)


def assemble(
    n: int, groups: list[tuple[NDArray[np.int64], NDArray[Any]]], singles: dict[int, bytes]
) -> list[bytes]:
    """Rows in event order from rendered groups (row indices, rows) and one-off rows."""
    out = np.empty(n, dtype=object)
    for rows_idx, rows in groups:
        out[rows_idx] = rows
    for i, row in singles.items():
        out[i] = row
    result: list[bytes] = out.tolist()
    return result


def json_bytes(value: Any) -> bytes:
    """Compact UTF-8 JSON with ``;`` escaped as ``\\u003b`` (so ``split(";")`` stays safe)."""
    return orjson.dumps(value).replace(b";", b"\\u003b")


def export_entries(entries: list[ev.Entry]) -> list[dict[str, Any]]:
    """Params/diff entries in the export's ``{"key", "<type>Value"}`` shape."""
    names = {
        "string": "stringValue",
        "integer": "intValue",
        "boolean": "boolValue",
        "binary": "binaryValue",
    }
    return [{"key": e.key, names[e.type]: e.value} for e in entries]


def dump_entries(entries: list[ev.Entry]) -> list[dict[str, Any]]:
    """Entries in the node dump's ``{"key", "type", "value"}`` shape (binary: ``base64:``)."""
    return [
        {
            "key": e.key,
            "type": e.type,
            "value": f"base64:{e.value}" if e.type == "binary" else e.value,
        }
        for e in entries
    ]


def decoded_params(call: ev.Call) -> dict[str, Any]:
    """A call's params as the hourly CSV's JSON object (JSON strings decoded)."""
    out: dict[str, Any] = {
        e.key: e.decoded if e.decoded is not None else e.value
        for e in call.params
        if e.key != "operation"
    }
    if call.operation == "createContract":
        for e in call.diff:
            if e.key == "VOTING_BASE":
                out["VOTING_BASE"] = e.decoded
    return out
