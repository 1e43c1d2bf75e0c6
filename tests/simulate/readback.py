"""A tiny independent reader of the simulator's output, written from docs/formats.md only.

It shares no code with the simulator, so when both agree on the counts the files say what
truth.json says. It applies DESIGN.md's counting rules: first occurrence of a tx id wins,
rollback lines (``-1``) cancel every occurrence of their tx id, a vote is accepted when no diff
key starts with FAIL and the diff writes ``VOTE_<sender>``.
"""

from __future__ import annotations

import functools
import gzip
import json
import zipfile
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

EXPORT_FIELDS = 12


@dataclass
class Tx:
    tx_id: str
    contract: str
    operation: str
    ts: int
    sender: str
    params: dict[str, Any]
    diff: dict[str, Any]
    accepted: bool  # for hourly CSV: the status column
    height: int = 0


@dataclass
class Contract:
    txs: list[Tx] = field(default_factory=list)
    rolled_back: set[str] = field(default_factory=set)
    rollback_lines: int = 0
    duplicate_lines: int = 0

    def counts(self) -> dict[str, Any]:
        bulletins = votes = rejected = transactions = events = 0
        voters: set[str] = set()
        hourly: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        results = None
        revote_blocked = None
        for tx in self.txs:
            hour = datetime.fromtimestamp(tx.ts // 3_600_000 * 3600, UTC).strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            )
            if tx.operation in ("blindSigIssue", "vote"):
                transactions += 1
                hourly[hour]["transactions"] += 1
            else:
                events += 1
            if tx.tx_id in self.rolled_back:
                continue
            if tx.operation == "blindSigIssue" and tx.accepted:
                data = tx.params.get("data")
                n = len(data) if data is not None else len(tx.params.get("userIds", [None]))
                bulletins += n
                hourly[hour]["bulletins"] += n
            elif tx.operation == "vote":
                if tx.accepted:
                    votes += 1
                    hourly[hour]["votes"] += 1
                    voters.add(tx.sender)
                else:
                    rejected += 1
            elif tx.operation == "results":
                results = tx.params.get("results")
            elif tx.operation == "createContract":
                base = tx.diff.get("VOTING_BASE") or tx.params.get("VOTING_BASE")
                revote_blocked = base["isRevoteBlocked"]
        return {
            "bulletins_issued": bulletins,
            "votes_cast": len(voters),
            "accepted_votes": votes,
            "rejected_votes": rejected,
            "revotes": votes - len(voters),
            "transactions": transactions,
            "contract_events": events,
            "rollbacks": self.rollback_lines,
            "duplicate_tx_lines": self.duplicate_lines,
            "results": results,
            "revote_blocked": revote_blocked,
            "hourly": {h: dict(v) for h, v in hourly.items()},
        }


class Readback:
    """Transactions of every contract found in a simulator output folder."""

    def __init__(self) -> None:
        self.contracts: dict[str, Contract] = defaultdict(Contract)
        self._seen: set[str] = set()

    def add(self, tx: Tx) -> None:
        contract = self.contracts[tx.contract]
        if tx.tx_id in self._seen:
            contract.duplicate_lines += 1
            return
        self._seen.add(tx.tx_id)
        contract.txs.append(tx)


def _entries(raw: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for e in raw:
        (kind,) = [k for k in e if k != "key"]
        out[e["key"]] = e[kind]
    return out


def _decode_json_strings(params: dict[str, Any]) -> dict[str, Any]:
    out = dict(params)
    for key in ("data", "userIds", "userIdHashes", "results", "VOTING_BASE"):
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    return out


def _accepted_vote(sender: str, diff: dict[str, Any]) -> bool:
    return not any(k.startswith("FAIL") for k in diff) and f"VOTE_{sender}" in diff


def read_export_line(rb: Readback, line: str, file_contract: str) -> None:
    fields = line.split(";")
    assert len(fields) == EXPORT_FIELDS, (len(fields), line[:200])
    tx_id, tx_type, _sig, version, ts, sender, fee, fee_asset, params, diff, extra, rollback = (
        fields
    )
    assert tx_type in ("103", "104")
    assert version.isdigit()
    assert fee == "0"
    assert fee_asset == ""
    assert rollback in ("", "-1")
    p = _decode_json_strings(_entries(json.loads(params)))
    d = _decode_json_strings(_entries(json.loads(diff)))
    json.loads(extra)
    contract = tx_id if tx_type == "103" else file_contract
    if rollback == "-1":
        rb.contracts[contract].rolled_back.add(tx_id)
        rb.contracts[contract].rollback_lines += 1
        return
    operation = "createContract" if tx_type == "103" else p["operation"]
    accepted = (
        _accepted_vote(sender, d)
        if operation == "vote"
        else not any(k.startswith("FAIL") for k in d)
    )
    rb.add(Tx(tx_id, contract, operation, int(ts), sender, p, d, accepted))


@functools.lru_cache(maxsize=16)
def read_export(folder: Path) -> Readback:
    rb = Readback()
    for path in sorted(folder.iterdir()):
        contract = path.name.split("_")[0]
        if path.suffix == ".zip":
            with zipfile.ZipFile(path) as archive:
                (name,) = archive.namelist()
                assert name == f"{contract}.csv"
                text = archive.read(name).decode("utf-8")
        else:
            assert path.suffix == ".csv"
            text = path.read_text("utf-8")
        for line in text.splitlines():
            read_export_line(rb, line, contract)
    return rb


@functools.lru_cache(maxsize=16)
def read_dump(folder: Path) -> Readback:
    rb = Readback()
    for shard in sorted(folder.iterdir()):
        assert shard.name.startswith("shard-")
        last_height = 0
        chunks = sorted(shard.glob("*.jsonl.gz"), key=lambda p: int(p.name.split("-")[0]))
        for chunk in chunks:
            first, last = (int(x) for x in chunk.name.removesuffix(".jsonl.gz").split("-"))
            with gzip.open(chunk, "rt", encoding="utf-8") as fh:
                heights = []
                for line in fh:
                    block = json.loads(line)
                    assert block["height"] > last_height
                    last_height = block["height"]
                    heights.append(block["height"])
                    assert 1 <= len(block["transactions"]) <= 100
                    for wrapper in block["transactions"]:
                        assert wrapper["type"] == 105
                        tx = wrapper["tx"]
                        p = _decode_json_strings(_dump_entries(tx["params"]))
                        d = _decode_json_strings(_dump_entries(wrapper["results"]))
                        contract = tx["id"] if tx["type"] == 103 else tx["contractId"]
                        operation = "createContract" if tx["type"] == 103 else p["operation"]
                        sender = tx["senderPublicKey"]
                        accepted = (
                            _accepted_vote(sender, d)
                            if operation == "vote"
                            else not any(k.startswith("FAIL") for k in d)
                        )
                        rb.add(
                            Tx(
                                tx["id"],
                                contract,
                                operation,
                                tx["timestamp"],
                                sender,
                                p,
                                d,
                                accepted,
                                block["height"],
                            )
                        )
                assert heights[0] == first
                assert heights[-1] == last
    return rb


def _dump_entries(raw: list[dict[str, Any]]) -> dict[str, Any]:
    out = {}
    for e in raw:
        assert e["type"] in ("string", "integer", "boolean", "binary")
        value = e["value"]
        if e["type"] == "binary":
            assert value.startswith("base64:")
        out[e["key"]] = value
    return out


CSV_HEADER = "tx_id;constituency_id;block_height;timestamp;type;sender;status;params"


@functools.lru_cache(maxsize=16)
def read_hourly_csv(folder: Path) -> Readback:
    rb = Readback()
    for path in sorted(folder.iterdir()):
        stem = path.name.removesuffix(".csv")
        contract, day, window = stem.split("_")
        assert len(day) == 8
        assert len(window) == 9
        assert window[4] == "-"
        lines = path.read_text("utf-8").splitlines()
        assert lines[0] == CSV_HEADER
        for line in lines[1:]:
            tx_id, cid, height, stamp, operation, sender, status, params = line.split(";")
            assert cid == contract
            moment = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            ts = round(moment.timestamp() * 1000)
            p = json.loads(params)
            rb.add(Tx(tx_id, cid, operation, ts, sender, p, {}, status == "accepted", int(height)))
    return rb
