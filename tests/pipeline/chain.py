"""A tiny voting written as observer-export lines, with the counts it must produce."""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

T0 = 1_789_718_400_000  # 2026-09-18 06:00:00 UTC, epoch ms
HOUR_MS = 3_600_000


def _json(value: Any) -> str:
    return orjson.dumps(value).decode().replace(";", "\\u003b")


def line(
    tx_id: str,
    ts: int,
    *,
    sender: str = "SENDER",
    params: list[dict[str, Any]] | None = None,
    diff: list[dict[str, Any]] | None = None,
    tx_type: int = 104,
    rollback: bool = False,
) -> str:
    extra = {"contractVersion": 3} if tx_type == 104 else {"contractName": "voting"}
    return ";".join(
        [
            tx_id,
            str(tx_type),
            f"SIG{tx_id}",
            "4",
            str(ts),
            sender,
            "0",
            "",
            _json(params or []),
            _json(diff or []),
            _json(extra),
            "-1" if rollback else "",
        ]
    )


@dataclass
class Voting:
    """Builds the lines of one contract and keeps the expected counts."""

    contract: str
    revote_blocked: bool = False
    lines: list[str] = field(default_factory=list)
    bulletins: int = 0
    voters: set[str] = field(default_factory=set)
    n: int = 0

    def _id(self, kind: str) -> str:
        self.n += 1
        return f"{self.contract}{kind}{self.n:05d}"

    def create(self, name: str = "Выборы депутатов") -> str:
        base = {
            "pollId": "1",
            "name": name,
            "dateStart": "2026-09-18T08:00:00+03:00",
            "dateEnd": "2026-09-20T20:00:00+03:00",
            "isRevoteBlocked": self.revote_blocked,
            "dimension": [[1, 1, 3]],
            "status": "Active",
        }
        text = line(
            self.contract,
            T0 - HOUR_MS,
            tx_type=103,
            diff=[{"key": "VOTING_BASE", "stringValue": _json(base)}],
        )
        self.lines.append(text)
        return text

    def call(self, operation: str, ts: int, **params: Any) -> str:
        entries = [{"key": "operation", "stringValue": operation}]
        entries += [{"key": k, "stringValue": v} for k, v in params.items()]
        text = line(self._id("E"), ts, params=entries)
        self.lines.append(text)
        return text

    def issue(self, ts: int, users: int = 1, *, fail: bool = False) -> str:
        tx_id = self._id("B")
        data = [{"userId": f"{tx_id}u{i}", "maskedSig": "c2ln"} for i in range(users)]
        params = [
            {"key": "operation", "stringValue": "blindSigIssue"},
            {"key": "primaryUikRegionCode", "stringValue": "77"},
            {"key": "primaryUikNumber", "intValue": 101},
            {"key": "data", "stringValue": _json(data)},
        ]
        if fail:
            diff = [{"key": f"FAIL_{tx_id}_blindSig", "stringValue": "not in list"}]
        else:
            diff = [{"key": f"BLINDSIG_{d['userId']}_{ts}", "binaryValue": "AA=="} for d in data]
            self.bulletins += users
        text = line(tx_id, ts, params=params, diff=diff)
        self.lines.append(text)
        return text

    def vote(self, ts: int, voter: str, *, reject: bool = False, count: bool = True) -> str:
        tx_id = self._id("V")
        params = [
            {"key": "operation", "stringValue": "vote"},
            {"key": "vote", "binaryValue": "dm90ZQ=="},
            {"key": "blindSig", "binaryValue": "c2ln"},
        ]
        if reject:
            diff = [{"key": f"FAIL_{voter}_{tx_id}_vote", "stringValue": "invalid blind signature"}]
        else:
            diff = [{"key": f"VOTE_{voter}", "binaryValue": "dm90ZQ=="}]
            if count:
                self.voters.add(voter)
        text = line(tx_id, ts, sender=voter, params=params, diff=diff)
        self.lines.append(text)
        return text


def write_csv(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path


def write_zip(path: Path, member: str, lines: list[str]) -> Path:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, "\n".join(lines) + "\n")
    return path
