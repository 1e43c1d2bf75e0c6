"""The raw node dump (deg-dump): JSON Lines, one block per line, gzip chunks per shard.

``data/shard-<k>/<first>-<last>.jsonl.gz`` holds blocks ``first..last`` of shard ``k``;
transactions are type-105 wrappers around the 103/104 call with its state diff in
``results`` (docs/formats.md). A dump has no rollback lines: a rolled-back transaction is
simply not in the final chain.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Mapping
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray

from election_monitor.simulate import events as ev
from election_monitor.simulate import ids
from election_monitor.simulate.formats.chain import block_times
from election_monitor.simulate.formats.templates import (
    Columns,
    Matrix,
    Part,
    Slot,
    Template,
    assemble,
    chars,
    dump_entries,
    json_bytes,
)
from election_monitor.simulate.generator import ISSUE_FAIL_REASON, REJECT_REASON
from election_monitor.simulate.population import ConstituencySpec

BLOCKS_PER_FILE = 1000

WID, TXID, SIG, TS, SENDER = (
    Slot("wid", 44),
    Slot("txid", 44),
    Slot("sig", ids.SIG_WIDTH),
    Slot("ts", 13),
    Slot("sender", 44),
)
USER, BLOB_A, MASKED, BLOB_B, UIK = (
    Slot("user", 64),
    Slot("a", 44),
    Slot("a44", 44),
    Slot("b", 44),
    Slot("uik", 4),
)


def _templates(spec: ConstituencySpec) -> dict[int, Template]:
    def head(sender: list[bytes | Slot]) -> list[bytes | Slot]:
        return [
            b'{"type":105,"id":"',
            WID,
            b'","tx":{"type":104,"id":"',
            TXID,
            b'","contractId":"' + spec.contract_id.encode() + b'","senderPublicKey":"',
            *sender,
            b'","timestamp":',
            TS,
            b',"version":2,"proofs":["',
            SIG,
            b'"],"params":[',
        ]

    vote_params: list[Part] = [
        b'{"key":"operation","type":"string","value":"vote"},'
        b'{"key":"vote","type":"binary","value":"base64:',
        BLOB_A,
        b'"},{"key":"blindSig","type":"binary","value":"base64:',
        BLOB_B,
        b'"}]},"results":[',
    ]
    issue_params: list[Part] = [
        b'{"key":"operation","type":"string","value":"blindSigIssue"},'
        b'{"key":"primaryUikRegionCode","type":"string","value":"'
        + spec.region_code.encode()
        + b'"},{"key":"primaryUikNumber","type":"integer","value":',
        UIK,
        b'},{"key":"data","type":"string","value":"[{\\"userId\\":\\"',
        USER,
        b'\\",\\"maskedSig\\":\\"',
        MASKED,
        b'\\"}]"}]},"results":[',
    ]
    issuer: list[Part] = [spec.issuer_key.encode()]
    return {
        ev.KIND_VOTE * 2 + 1: Template(
            [
                *head([SENDER]),
                *vote_params,
                b'{"key":"VOTE_',
                SENDER,
                b'","type":"binary","value":"base64:',
                BLOB_A,
                b'"}]}',
            ]
        ),
        ev.KIND_VOTE * 2: Template(
            [
                *head([SENDER]),
                *vote_params,
                b'{"key":"FAIL_',
                SENDER,
                b"_",
                TXID,
                b'_vote","type":"string","value":"' + REJECT_REASON.encode() + b'"}]}',
            ]
        ),
        ev.KIND_ISSUE * 2 + 1: Template(
            [
                *head(list(issuer)),
                *issue_params,
                b'{"key":"BLINDSIG_',
                USER,
                b"_",
                TS,
                b'","type":"binary","value":"base64:',
                BLOB_B,
                b'"}]}',
            ]
        ),
        ev.KIND_ISSUE * 2: Template(
            [
                *head(list(issuer)),
                *issue_params,
                b'{"key":"FAIL_',
                TXID,
                b'_blindSig","type":"string","value":"' + ISSUE_FAIL_REASON.encode() + b'"}]}',
            ]
        ),
    }


class DumpRenderer:
    """Transaction JSON objects (without separators) in the order of the events given."""

    def __init__(self, specs: Mapping[int, ConstituencySpec], rng: np.random.Generator) -> None:
        self._specs = specs
        self._rng = rng
        self._templates: dict[int, dict[int, Template]] = {}

    def render(self, batch: ev.Events, calls: Mapping[int, dict[int, ev.Payload]]) -> list[bytes]:
        """One JSON object per event."""
        fast = batch["payload"] < 0
        wrappers = ids.base58(self._rng, len(batch))
        codes = batch["kind"].astype(np.int64) * 2 + batch["accepted"]
        fast_rows = np.flatnonzero(fast)
        keys = batch["cidx"][fast_rows].astype(np.int64) * 8 + codes[fast_rows]
        groups = []
        for key in np.unique(keys).tolist():
            rows = fast_rows[keys == key]
            cidx, code = divmod(key, 8)
            if cidx not in self._templates:
                self._templates[cidx] = _templates(self._specs[cidx])
            wid = chars(wrappers[rows], 44)
            cols = Columns(batch[rows], {"wid": partial(_given, wid)})
            groups.append((rows, self._templates[cidx][code].render(cols, len(rows))))
        singles = {}
        for i in np.flatnonzero(~fast).tolist():
            row = batch[i]
            call = ev.resolve(calls[int(row["cidx"])].pop(int(row["payload"])))
            singles[i] = self._special(row, call, wrappers[i].decode())
        return assemble(len(batch), groups, singles)

    def _special(self, row: Any, call: ev.Call, wrapper: str) -> bytes:
        tx: dict[str, Any] = {"type": call.tx_type, "id": row["txid"].decode()}
        if call.tx_type == 104:
            tx["contractId"] = self._specs[int(row["cidx"])].contract_id
        tx |= {
            "senderPublicKey": call.sender,
            "timestamp": int(row["ts"]),
            "version": 2,
            "proofs": [row["sig"].decode()],
            "params": dump_entries(call.params),
        }
        if call.tx_type == 103:
            tx |= call.extra
        return json_bytes(
            {"type": 105, "id": wrapper, "tx": tx, "results": dump_entries(call.diff)}
        )


def _given(matrix: Matrix, _batch: ev.Events) -> Matrix:
    return matrix


class DumpWriter:
    """Writes one shard's blocks into rotating ``<first>-<last>.jsonl.gz`` chunks."""

    def __init__(self, folder: Path, level: int) -> None:
        self.folder = folder
        self.level = level
        self.files: list[Path] = []
        self._raw: io.BufferedWriter | None = None
        self._gz: gzip.GzipFile | None = None
        self._first = 0
        self._last = 0
        folder.mkdir(parents=True, exist_ok=True)

    def write(self, rows: list[bytes], batch: ev.Events, heights: NDArray[np.int64]) -> None:
        """Append the blocks of a sorted batch."""
        if not len(batch):
            return
        starts = np.flatnonzero(np.r_[True, heights[1:] != heights[:-1]]).tolist()
        ends = [*starts[1:], len(batch)]
        times = block_times(batch)
        for lo, hi in zip(starts, ends, strict=True):
            height = int(heights[lo])
            gz = self._open(height)
            gz.write(
                b'{"height":%d,"timestamp":%d,"transactions":[' % (height, int(times[lo]))
                + b",".join(rows[lo:hi])
                + b"]}\n"
            )
            self._last = height
            if self._last - self._first + 1 >= BLOCKS_PER_FILE:
                self.close()

    def _open(self, height: int) -> gzip.GzipFile:
        if self._gz is None:
            self._first = height
            self._raw = open(self.folder / "partial.jsonl.gz", "wb")  # noqa: SIM115
            self._gz = gzip.GzipFile(
                filename="", mode="wb", fileobj=self._raw, compresslevel=self.level, mtime=0
            )
        return self._gz

    def close(self) -> None:
        """Finish the current chunk and give it its height-range name."""
        if self._gz is None or self._raw is None:
            return
        self._gz.close()
        self._raw.close()
        final = self.folder / f"{self._first}-{self._last}.jsonl.gz"
        (self.folder / "partial.jsonl.gz").replace(final)
        self.files.append(final)
        self._gz = self._raw = None
