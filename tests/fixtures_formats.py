"""Write input files of every format from Python values, for tests of readers and the loader.

A :class:`Call` describes one contract call once; ``export_line``, ``dump_transaction`` and
``hourly_row`` render it in each format of ``docs/formats.md``, so a test can check that every
format reads (and counts) the same call the same way. Python values map to entry types as:
``str`` -> string, ``bool`` -> boolean, ``int`` -> integer, ``bytes`` -> binary (base64).
"""

from __future__ import annotations

import base64
import gzip
import zipfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

CONTRACT = "3NBbr5Ew5Ew6Cz7QoAvDcLq5xH6TbJ9KtVd8WY2mFgRs"
T0 = 1_726_380_000_000  # 2024-09-15T06:00:00Z in epoch ms

EXPORT_COLUMNS = (
    "nestedTxId;type;signature;version;ts;senderPublicKey;fee;feeAssetId;params;diff;extra;rollback"
)
HOURLY_COLUMNS = ("tx_id", "constituency_id", "block_height", "timestamp", "type", "sender",
                  "status", "params")  # fmt: skip


@dataclass
class Call:
    """One contract transaction, independent of the format it is written in."""

    tx_id: str
    operation: str  # "createContract" makes a type-103 transaction
    params: dict[str, Any] = field(default_factory=dict)  # without "operation"
    diff: dict[str, Any] = field(default_factory=dict)
    sender: str = "SenderKey1"
    ts: int = T0
    contract_id: str = CONTRACT
    rollback: bool = False
    version: int = 2
    signature: str = "Sig1"

    @property
    def tx_type(self) -> int:
        return 103 if self.operation == "createContract" else 104


# --- values -------------------------------------------------------------------------------


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def decoded(value: Any) -> Any:
    """What a reader returns for a value written from Python (bytes come back as base64)."""
    return b64(value) if isinstance(value, bytes) else value


def json_text(value: Any) -> str:
    return orjson.dumps(value).decode()


def json_error(text: str) -> str:
    """orjson's message for invalid JSON (readers quote it in row errors)."""
    try:
        orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        return str(exc)
    raise ValueError(f"valid JSON: {text!r}")


def export_entries(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key, value in values.items():
        if isinstance(value, bytes):
            out.append({"key": key, "binaryValue": b64(value)})
        elif isinstance(value, bool):
            out.append({"key": key, "boolValue": value})
        elif isinstance(value, int):
            out.append({"key": key, "intValue": value})
        else:
            out.append({"key": key, "stringValue": value})
    return out


def dump_entries(values: Mapping[str, Any]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for key, value in values.items():
        if isinstance(value, bytes):
            out.append({"key": key, "type": "binary", "value": "base64:" + b64(value)})
        elif isinstance(value, bool):
            out.append({"key": key, "type": "boolean", "value": value})
        elif isinstance(value, int):
            out.append({"key": key, "type": "integer", "value": value})
        else:
            out.append({"key": key, "type": "string", "value": value})
    return out


# --- calls of each operation ---------------------------------------------------------------


def voting_base(
    *,
    name: str = "Выборы депутатов",
    date_start: str = "2024-09-15T08:00:00+03:00",
    date_end: str = "2024-09-17T20:00:00+03:00",
    revote_blocked: bool = False,
    options: int = 3,
) -> dict[str, Any]:
    return {
        "pollId": "poll-1",
        "name": name,
        "dateStart": date_start,
        "dateEnd": date_end,
        "isRevoteBlocked": revote_blocked,
        "dimension": [[1, 1, options]],
        "status": "Active",
    }


def create_contract(contract_id: str = CONTRACT, **base: Any) -> Call:
    return Call(
        tx_id=contract_id,
        operation="createContract",
        params={},
        diff={"VOTING_BASE": json_text(voting_base(**base))},
        sender="OrganizerKey",
        contract_id=contract_id,
    )


def voters_list(
    tx_id: str, hashes: Sequence[str], *, operation: str = "addVotersList", **kw: Any
) -> Call:
    listed = json_text(list(hashes))
    return Call(
        tx_id=tx_id,
        operation=operation,
        params={
            "userIdHashes": listed,
            "primaryUikRegionCode": "77",
            "primaryUikNumber": 101,
        },
        diff={f"VOTERS_LIST_{tx_id}": listed},
        sender="RegistratorKey",
        **kw,
    )


def start_voting(tx_id: str, date: str = "2024-09-15T08:00:00+03:00", **kw: Any) -> Call:
    return Call(tx_id=tx_id, operation="startVoting", params={"dateStart": date}, **kw)


def finish_voting(tx_id: str, date: str = "2024-09-17T20:00:00+03:00", **kw: Any) -> Call:
    return Call(tx_id=tx_id, operation="finishVoting", params={"dateEnd": date}, **kw)


def blind_sig_issue(
    tx_id: str,
    user_ids: Sequence[str] = ("aa01",),
    *,
    failed: str | None = None,
    old_form: bool = False,
    region: str = "77",
    uik: int = 101,
    **kw: Any,
) -> Call:
    """A bulletin issue; ``old_form`` writes ``userIds`` instead of ``data``."""
    ts = kw.pop("ts", T0)
    params: dict[str, Any] = {"primaryUikRegionCode": region, "primaryUikNumber": uik}
    if old_form:
        params["userIds"] = json_text(list(user_ids))
    else:
        params["data"] = json_text([{"userId": u, "maskedSig": b64(b"m" + u.encode())}
                                    for u in user_ids])  # fmt: skip
    if failed is not None:
        diff: dict[str, Any] = {f"FAIL_{tx_id}_blindSig": failed}
    else:
        diff = {f"BLINDSIG_{u}_{ts}": b"sig-" + u.encode() for u in user_ids}
    return Call(tx_id=tx_id, operation="blindSigIssue", params=params, diff=diff, ts=ts, **kw)


def vote(tx_id: str, sender: str, *, failed: str | None = None, **kw: Any) -> Call:
    """A vote by the one-time key ``sender``; ``failed`` is the contract's rejection reason."""
    params = {"vote": b"encrypted-" + sender.encode(), "blindSig": b"blind-" + sender.encode()}
    if failed is not None:
        diff: dict[str, Any] = {f"FAIL_{sender}_{tx_id}_vote": failed}
    else:
        diff = {f"VOTE_{sender}": b"encrypted-" + sender.encode()}
    return Call(tx_id=tx_id, operation="vote", params=params, diff=diff, sender=sender, **kw)


def results(tx_id: str, counts: Sequence[Sequence[int]], **kw: Any) -> Call:
    text = json_text([list(c) for c in counts])
    return Call(tx_id=tx_id, operation="results", params={"results": text},
                diff={"RESULTS": text}, **kw)  # fmt: skip


# --- deg-export ----------------------------------------------------------------------------


def _escaped_json(value: Any) -> str:
    # ";" can only occur inside JSON strings, where \u003b is the same character.
    return json_text(value).replace(";", "\\u003b")


def export_fields(call: Call) -> list[str]:
    """The 12 fields of a call's export line."""
    params = dict(call.params)
    if call.tx_type == 104:
        params = {"operation": call.operation, **params}
    extra: dict[str, Any] = (
        {"contractName": "voting", "image": "voting:1.0", "imageHash": "abc"}
        if call.tx_type == 103
        else {"contractVersion": 1}
    )
    return [
        call.tx_id,
        str(call.tx_type),
        call.signature,
        str(call.version),
        str(call.ts),
        call.sender,
        "0",
        "",
        _escaped_json(export_entries(params)),
        _escaped_json(export_entries(call.diff)),
        _escaped_json(extra),
        "-1" if call.rollback else "",
    ]


def export_line(call: Call) -> str:
    return ";".join(export_fields(call))


# --- deg-dump ------------------------------------------------------------------------------


def dump_transaction(call: Call, *, wrapper_id: str | None = None) -> dict[str, Any]:
    """The type-105 wrapper of a call, as a block's transaction."""
    params = dict(call.params)
    if call.tx_type == 104:
        params = {"operation": call.operation, **params}
    tx: dict[str, Any] = {
        "type": call.tx_type,
        "id": call.tx_id,
        "senderPublicKey": call.sender,
        "timestamp": call.ts,
        "version": call.version,
        "proofs": [call.signature],
        "params": dump_entries(params),
    }
    if call.tx_type == 104:
        tx["contractId"] = call.contract_id
    return {
        "type": 105,
        "id": wrapper_id or f"W{call.tx_id}",
        "tx": tx,
        "results": dump_entries(call.diff),
    }


def dump_block(height: int, timestamp: int, transactions: Iterable[dict[str, Any]]) -> str:
    return json_text({"height": height, "timestamp": timestamp, "transactions": list(transactions)})


# --- hourly-csv ----------------------------------------------------------------------------

_JSON_PARAMS = ("data", "userIds", "userIdHashes", "results")


def hourly_row(call: Call, *, height: int = 0, status: str | None = None) -> dict[str, str]:
    """A call as an hourly CSV row (params as decoded JSON; acceptance only via ``status``).

    ``status`` defaults to ``rejected`` when the call's diff has a ``FAIL`` key, else empty.
    """
    if status is None:
        status = "rejected" if any(key.startswith("FAIL") for key in call.diff) else ""
    params: dict[str, Any] = {}
    for key, value in call.params.items():
        if key in _JSON_PARAMS and isinstance(value, str):
            params[key] = orjson.loads(value)
        else:
            params[key] = decoded(value)
    if call.operation == "createContract":
        params["VOTING_BASE"] = orjson.loads(call.diff["VOTING_BASE"])
    return {
        "tx_id": call.tx_id,
        "constituency_id": call.contract_id,
        "block_height": str(height),
        "timestamp": str(call.ts),
        "type": call.operation,
        "sender": call.sender,
        "status": status,
        "params": json_text(params) if params else "",
    }


def hourly_lines(
    rows: Iterable[Mapping[str, str]], columns: Sequence[str] = HOURLY_COLUMNS
) -> list[str]:
    """A header and one ``;``-joined line per row (params last, so it may hold ``;``)."""
    return [";".join(columns), *(";".join(row.get(c, "") for c in columns) for row in rows)]


# --- files ---------------------------------------------------------------------------------


def encode_lines(lines: Iterable[str], *, encoding: str = "utf-8", newline: str = "\n") -> bytes:
    """Lines joined (each ended by ``newline``) and encoded; ``utf-8-sig`` adds the BOM."""
    return "".join(line + newline for line in lines).encode(encoding)


def write_text(
    path: Path, lines: Iterable[str], *, encoding: str = "utf-8", newline: str = "\n"
) -> Path:
    path.write_bytes(encode_lines(lines, encoding=encoding, newline=newline))
    return path


def write_gz(path: Path, lines: Iterable[str], *, encoding: str = "utf-8") -> Path:
    path.write_bytes(gzip.compress(encode_lines(lines, encoding=encoding)))
    return path


def write_zip(path: Path, members: Mapping[str, Iterable[str] | bytes]) -> Path:
    """A zip archive; each member is lines (written UTF-8) or raw bytes."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            data = content if isinstance(content, bytes) else encode_lines(content)
            archive.writestr(name, data)
    return path
