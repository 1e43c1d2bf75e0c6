"""Write a realistic observer export quickly (benchmarks only; the simulator is the real tool)."""

from __future__ import annotations

import base64
import hashlib
import random
from pathlib import Path

import orjson

EXTRA = '{"contractVersion":3}'
ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58(rng: random.Random, n: int = 44) -> str:
    return "".join(rng.choices(ALPHABET, k=n))


def write_export(path: Path, rows: int, *, contracts: int = 20, seed: int = 1) -> int:
    """One CSV of ``rows`` lines: per contract a createContract, then issuances and votes."""
    rng = random.Random(seed)
    t0 = 1_789_000_000_000
    per_contract = rows // contracts
    written = 0
    with path.open("w", encoding="utf-8") as out:
        for c in range(contracts):
            contract = b58(rng)
            base = {
                "name": f"Выборы {c}",
                "isRevoteBlocked": False,
                "dateStart": "2026-09-18T08:00:00+03:00",
                "dateEnd": "2026-09-20T20:00:00+03:00",
            }
            diff = orjson.dumps(
                [{"key": "VOTING_BASE", "stringValue": orjson.dumps(base).decode()}]
            ).decode()
            out.write(f"{contract};103;{b58(rng, 88)};2;{t0};{b58(rng)};0;;[];{diff};{{}};\n")
            written += 1
            for i in range((per_contract - 1) // 2):
                ts = t0 + i * 3000 + rng.randrange(1000)
                user = hashlib.sha1(f"{c}-{i}".encode()).hexdigest()
                data = orjson.dumps(
                    [{"userId": user, "maskedSig": base64.b64encode(rng.randbytes(32)).decode()}]
                ).decode()
                params = orjson.dumps(
                    [
                        {"key": "operation", "stringValue": "blindSigIssue"},
                        {"key": "primaryUikRegionCode", "stringValue": "77"},
                        {"key": "primaryUikNumber", "intValue": 100 + i % 50},
                        {"key": "data", "stringValue": data},
                    ]
                ).decode()
                diff = orjson.dumps(
                    [
                        {
                            "key": f"BLINDSIG_{user}_{ts}",
                            "binaryValue": base64.b64encode(rng.randbytes(24)).decode(),
                        }
                    ]
                ).decode()
                out.write(
                    f"{b58(rng)};104;{b58(rng, 88)};4;{ts};{b58(rng)};0;;{params};{diff};{EXTRA};\n"
                )
                voter = b58(rng)
                params = orjson.dumps(
                    [
                        {"key": "operation", "stringValue": "vote"},
                        {
                            "key": "vote",
                            "binaryValue": base64.b64encode(rng.randbytes(180)).decode(),
                        },
                        {
                            "key": "blindSig",
                            "binaryValue": base64.b64encode(rng.randbytes(64)).decode(),
                        },
                    ]
                ).decode()
                diff = orjson.dumps(
                    [
                        {
                            "key": f"VOTE_{voter}",
                            "binaryValue": base64.b64encode(rng.randbytes(32)).decode(),
                        }
                    ]
                ).decode()
                vote_ts = ts + 60_000
                sig = b58(rng, 88)
                out.write(f"{b58(rng)};104;{sig};4;{vote_ts};{voter};0;;{params};{diff};{EXTRA};\n")
                written += 2
    return written
