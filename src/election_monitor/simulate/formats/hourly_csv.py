"""Hourly CSV files: the simple documented format for other chains and tools.

One file per constituency and UTC hour, ``<constituencyId>_<YYYYMMDD>_<HHMM>-<HHMM>.csv``,
with the header ``tx_id;constituency_id;block_height;timestamp;type;sender;status;params``.
A quiet hour gets a header-only file and an outage hour gets none, which is how a missing
file looks to the watcher. Like the dump, it has no rollback lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from election_monitor.simulate import events as ev
from election_monitor.simulate.formats.templates import (
    Columns,
    Matrix,
    Part,
    Slot,
    Template,
    assemble,
    decoded_params,
    digits,
    iso_ms,
    json_bytes,
)
from election_monitor.simulate.generator import ConstituencyGenerator
from election_monitor.simulate.population import ConstituencySpec
from election_monitor.simulate.profile import HOUR_MS

HEADER = b"tx_id;constituency_id;block_height;timestamp;type;sender;status;params\n"
TXID, ISO, SENDER = Slot("txid", 44), Slot("iso", 24), Slot("sender", 44)
USER, BLOB_A, MASKED, BLOB_B, UIK = (
    Slot("user", 64),
    Slot("a", 44),
    Slot("a44", 44),
    Slot("b", 44),
    Slot("uik", 4),
)


def _templates(spec: ConstituencySpec, width: int) -> dict[int, Template]:
    height = Slot("height", width)
    cid = spec.contract_id.encode()
    vote: list[Part] = [
        TXID,
        b";" + cid + b";",
        height,
        b";",
        ISO,
        b";vote;",
        SENDER,
    ]
    vote_params: list[Part] = [b';{"vote":"', BLOB_A, b'","blindSig":"', BLOB_B, b'"}\n']
    issue: list[Part] = [
        TXID,
        b";" + cid + b";",
        height,
        b";",
        ISO,
        b";blindSigIssue;" + spec.issuer_key.encode(),
    ]
    issue_params: list[Part] = [
        b';{"primaryUikRegionCode":"' + spec.region_code.encode() + b'","primaryUikNumber":',
        UIK,
        b',"data":[{"userId":"',
        USER,
        b'","maskedSig":"',
        MASKED,
        b'"}]}\n',
    ]
    return {
        ev.KIND_VOTE * 2 + 1: Template([*vote, b";accepted", *vote_params]),
        ev.KIND_VOTE * 2: Template([*vote, b";rejected", *vote_params]),
        ev.KIND_ISSUE * 2 + 1: Template([*issue, b";accepted", *issue_params]),
        ev.KIND_ISSUE * 2: Template([*issue, b";rejected", *issue_params]),
    }


class HourlyCsvRenderer:
    """Rows (without header) in the order of the events given."""

    def __init__(self, specs: Mapping[int, ConstituencySpec]) -> None:
        self._specs = specs
        self._templates: dict[tuple[int, int], dict[int, Template]] = {}

    def render(
        self,
        batch: ev.Events,
        heights: NDArray[np.int64],
        calls: Mapping[int, dict[int, ev.Payload]],
    ) -> list[bytes]:
        """One row per event."""
        fast = batch["payload"] < 0
        widths = np.char.str_len(heights.astype("U20")) if len(heights) else heights
        codes = batch["kind"].astype(np.int64) * 2 + batch["accepted"]
        fast_rows = np.flatnonzero(fast)
        keys = (
            batch["cidx"][fast_rows].astype(np.int64) * 1000
            + widths[fast_rows].astype(np.int64) * 8
            + codes[fast_rows]
        )
        groups = []
        for key in np.unique(keys).tolist():
            rows = fast_rows[keys == key]
            cidx, rest = divmod(key, 1000)
            width, code = divmod(rest, 8)
            if (cidx, width) not in self._templates:
                self._templates[cidx, width] = _templates(self._specs[cidx], width)
            height = digits(heights[rows], width)
            cols = Columns(batch[rows], {"iso": _iso, "height": partial(_given, height)})
            groups.append((rows, self._templates[cidx, width][code].render(cols, len(rows))))
        singles = {}
        for i in np.flatnonzero(~fast).tolist():
            row = batch[i]
            call = ev.resolve(calls[int(row["cidx"])].pop(int(row["payload"])))
            singles[i] = self._special(row, call, int(heights[i]))
        return assemble(len(batch), groups, singles)

    def _special(self, row: Any, call: ev.Call, height: int) -> bytes:
        spec = self._specs[int(row["cidx"])]
        status = b"accepted" if int(row["accepted"]) else b"rejected"
        iso = bytes(iso_ms(np.asarray([row["ts"]], np.int64))[0])
        return (
            b";".join(
                [
                    row["txid"],
                    spec.contract_id.encode(),
                    str(height).encode(),
                    iso,
                    call.operation.encode(),
                    call.sender.encode(),
                    status,
                    json_bytes(decoded_params(call)),
                ]
            )
            + b"\n"
        )


def _iso(batch: ev.Events) -> Matrix:
    return iso_ms(batch["ts"])


def _given(matrix: Matrix, _batch: ev.Events) -> Matrix:
    return matrix


def file_name(contract_id: str, hour_ms: int) -> str:
    """``<id>_<YYYYMMDD>_<HHMM>-<HHMM>.csv`` of a UTC hour."""
    start = np.datetime64(hour_ms, "ms").astype("datetime64[m]")
    end = (start + np.timedelta64(60, "m")).astype(object)
    first = start.astype(object)
    return f"{contract_id}_{first:%Y%m%d}_{first:%H%M}-{end:%H%M}.csv"


class HourlyCsvWriter:
    """Writes a shard's hour batches as one file per constituency and hour."""

    def __init__(self, folder: Path, gens: list[ConstituencyGenerator]) -> None:
        self.folder = folder
        self.gens = gens
        self.files: dict[int, list[str]] = {g.spec.index: [] for g in gens}

    def write(
        self, hour: int, rows: list[bytes], batch: ev.Events, active: dict[int, bool]
    ) -> None:
        """Files of one hour; ``active`` tells which constituencies expect a file."""
        cidx = batch["cidx"]
        for g in self.gens:
            index = g.spec.index
            mine = np.flatnonzero(cidx == index).tolist()
            if not mine and (not active[index] or _offline(g, hour)):
                continue
            name = file_name(g.spec.contract_id, hour)
            (self.folder / name).write_bytes(HEADER + b"".join(rows[i] for i in mine))
            self.files[index].append(name)


def _offline(gen: ConstituencyGenerator, hour_ms: int) -> bool:
    return any(lo <= hour_ms and hour_ms + HOUR_MS <= hi for lo, hi in gen.offline)
