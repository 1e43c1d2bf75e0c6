"""The observer export (deg-export): ``<contractId>_dump.zip`` or hourly CSV chunks.

12 ``;``-separated fields per line, no header, exactly as docs/formats.md states; rollback
lines repeat the original and end in ``-1``. One contract is generated and written at a time,
so memory stays flat whatever the size of the election.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import numpy as np

from election_monitor.simulate import events as ev
from election_monitor.simulate import ids
from election_monitor.simulate.formats.templates import (
    Columns,
    Part,
    Slot,
    Template,
    assemble,
    export_entries,
    json_bytes,
)
from election_monitor.simulate.generator import (
    ISSUE_FAIL_REASON,
    REJECT_REASON,
    ConstituencyGenerator,
)
from election_monitor.simulate.population import ConstituencySpec
from election_monitor.simulate.profile import HOUR_MS
from election_monitor.simulate.truth import Tally

TX_VERSION = b"2"
EXTRA_CALL = b'{"contractVersion":2}'
ZIP_DATE = (2026, 1, 1, 0, 0, 0)
STEP_MS = 6 * HOUR_MS  # generation window of a single-file export

TXID, SIG, TS, SENDER = (
    Slot("txid", 44),
    Slot("sig", ids.SIG_WIDTH),
    Slot("ts", 13),
    Slot("sender", 44),
)
USER, BLOB_A, BLOB_B, UIK = Slot("user", 64), Slot("a", 44), Slot("b", 44), Slot("uik", 4)
MASKED = Slot("a44", 44)  # a bulletin's maskedSig (blob_a)
_VOTE_PARAMS: list[Part] = [
    b';0;;[{"key":"operation","stringValue":"vote"},{"key":"vote","binaryValue":"',
    BLOB_A,
    b'"},{"key":"blindSig","binaryValue":"',
    BLOB_B,
    b'"}];',
]


def _templates(spec: ConstituencySpec) -> dict[int, Template]:
    head: list[Part] = [TXID, b";104;", SIG, b";" + TX_VERSION + b";", TS, b";"]
    tail: list[Part] = [b";" + EXTRA_CALL + b";\n"]
    issuer, region = spec.issuer_key.encode(), spec.region_code.encode()
    issue_params: list[Part] = [
        issuer,
        b';0;;[{"key":"operation","stringValue":"blindSigIssue"},'
        b'{"key":"primaryUikRegionCode","stringValue":"' + region + b'"},'
        b'{"key":"primaryUikNumber","intValue":',
        UIK,
        b'},{"key":"data","stringValue":"[{\\"userId\\":\\"',
        USER,
        b'\\",\\"maskedSig\\":\\"',
        MASKED,
        b'\\"}]"}];',
    ]
    return {
        _code(ev.KIND_VOTE, True): Template(
            [
                *head,
                SENDER,
                *_VOTE_PARAMS,
                b'[{"key":"VOTE_',
                SENDER,
                b'","binaryValue":"',
                BLOB_A,
                b'"}]',
                *tail,
            ]
        ),
        _code(ev.KIND_VOTE, False): Template(
            [
                *head,
                SENDER,
                *_VOTE_PARAMS,
                b'[{"key":"FAIL_',
                SENDER,
                b"_",
                TXID,
                b'_vote","stringValue":"' + REJECT_REASON.encode() + b'"}]',
                *tail,
            ]
        ),
        _code(ev.KIND_ISSUE, True): Template(
            [
                *head,
                *issue_params,
                b'[{"key":"BLINDSIG_',
                USER,
                b"_",
                TS,
                b'","binaryValue":"',
                BLOB_B,
                b'"}]',
                *tail,
            ]
        ),
        _code(ev.KIND_ISSUE, False): Template(
            [
                *head,
                *issue_params,
                b'[{"key":"FAIL_',
                TXID,
                b'_blindSig","stringValue":"' + ISSUE_FAIL_REASON.encode() + b'"}]',
                *tail,
            ]
        ),
    }


def _code(kind: int, accepted: bool) -> int:
    return kind * 2 + int(accepted)


class ExportRenderer:
    """Export lines of one or more contracts, in the order of the events given."""

    def __init__(self, specs: Mapping[int, ConstituencySpec]) -> None:
        self._specs = specs
        self._templates: dict[int, dict[int, Template]] = {}

    def render(self, batch: ev.Events, calls: Mapping[int, dict[int, ev.Payload]]) -> list[bytes]:
        """One line per event (rollback lines included)."""
        n = len(batch)
        fast = batch["payload"] < 0
        codes = batch["kind"].astype(np.int64) * 2 + batch["accepted"]
        groups = []
        fast_rows = np.flatnonzero(fast)
        keys = batch["cidx"][fast_rows].astype(np.int64) * 8 + codes[fast_rows]
        for key in np.unique(keys).tolist():
            rows = fast_rows[keys == key]
            cidx, code = divmod(key, 8)
            template = self._template(cidx, code)
            part = batch[rows]
            groups.append((rows, template.render(Columns(part), len(rows))))
        singles = {
            i: self._special(batch[i], calls[int(batch["cidx"][i])].pop(int(batch["payload"][i])))
            for i in np.flatnonzero(~fast).tolist()
        }
        out = assemble(n, groups, singles)
        for i in np.flatnonzero((batch["flags"] & ev.ROLLBACK_LINE) != 0).tolist():
            out[i] = out[i][:-1] + b"-1\n"
        return out

    def _template(self, cidx: int, code: int) -> Template:
        if cidx not in self._templates:
            self._templates[cidx] = _templates(self._specs[cidx])
        return self._templates[cidx][code]

    @staticmethod
    def _special(row: Any, payload: ev.Payload) -> bytes:
        call = ev.resolve(payload)
        fields = [
            bytes(row["txid"]),
            str(call.tx_type).encode(),
            bytes(row["sig"]),
            TX_VERSION,
            str(int(row["ts"])).encode(),
            call.sender.encode(),
            b"0",
            b"",
            json_bytes(export_entries(call.params)),
            json_bytes(export_entries(call.diff)),
            json_bytes(call.extra) if call.extra else EXTRA_CALL,
            b"",
        ]
        return b";".join(fields) + b"\n"


Progress = Callable[[int], None]


def write_single(
    gen: ConstituencyGenerator, outdir: Path, level: int, progress: Progress
) -> tuple[list[str], Tally]:
    """``<contractId>_dump.zip`` holding ``<contractId>.csv``."""
    cid = gen.spec.contract_id
    tally = Tally()
    renderer = ExportRenderer({gen.spec.index: gen.spec})
    calls = {gen.spec.index: gen.calls}
    info = zipfile.ZipInfo(f"{cid}.csv", date_time=ZIP_DATE)
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    setattr(info, "_compresslevel", level)  # noqa: B010 - ZipInfo has no public level in 3.11
    name = f"{cid}_dump.zip"
    until = gen.first_ms // HOUR_MS * HOUR_MS
    with zipfile.ZipFile(outdir / name, "w") as archive, archive.open(info, "w") as member:
        while not gen.done:
            until += STEP_MS
            batch = gen.emit(until)
            tally.update(batch)
            if len(batch):
                member.write(b"".join(renderer.render(batch, calls)))
                progress(len(batch))
    return [name], tally


def write_hourly(
    gen: ConstituencyGenerator, outdir: Path, progress: Progress
) -> tuple[list[str], Tally]:
    """Hourly chunks ``<contractId>_<YYYYMMDD>T<HH>.csv``; none for hours of an outage."""
    cid = gen.spec.contract_id
    tally = Tally()
    renderer = ExportRenderer({gen.spec.index: gen.spec})
    calls = {gen.spec.index: gen.calls}
    files: list[str] = []
    hour = gen.first_ms // HOUR_MS * HOUR_MS
    while not gen.done:
        batch = gen.emit(hour + HOUR_MS)
        tally.update(batch)
        if len(batch) or not offline_hour(gen, hour):
            name = f"{cid}_{chunk_stamp(hour)}.csv"
            (outdir / name).write_bytes(b"".join(renderer.render(batch, calls)))
            files.append(name)
            progress(len(batch))
        hour += HOUR_MS
    return files, tally


def offline_hour(gen: ConstituencyGenerator, hour_ms: int) -> bool:
    """Whether a UTC hour lies wholly inside an injected outage (its file is missing)."""
    return any(lo <= hour_ms and hour_ms + HOUR_MS <= hi for lo, hi in gen.offline)


def chunk_stamp(hour_ms: int) -> str:
    """``YYYYMMDDTHH`` of a UTC hour."""
    stamp = np.datetime_as_string(np.datetime64(hour_ms, "ms"), unit="h")
    return str(stamp).replace("-", "")
