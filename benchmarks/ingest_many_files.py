"""Ingest of many small hourly files against the raw-driver baseline, in the same run.

Data: ``elmon simulate`` with ``--chunks hourly`` (one deg-export CSV per constituency and
UTC hour, no injected anomalies). Each mode runs in its own child process on a fresh
database, so peak RSS is that mode's own:

- ``baseline``: ``csv`` + ``orjson`` parsing and ``sqlite3`` ``executemany`` with the
  project's PRAGMAs (WAL, NORMAL, foreign keys, cache) into the migrated schema, one
  transaction; on PostgreSQL psycopg ``COPY`` into the same tables;
- ``ingest``: ``ingest_paths`` on the folder with no hook (detection off);
- ``ingest_hooks``: ``ingest_paths`` with ``DetectionHook`` and ``EventsHook``, as
  ``elmon ingest`` runs.

    python benchmarks/ingest_many_files.py --constituencies 38 --scale 0.02
    python benchmarks/ingest_many_files.py --postgres postgresql+psycopg://...  # emptied
    python benchmarks/ingest_many_files.py --profile ingest   # cProfile of one mode

Prints one JSON object: rows, files, per-mode seconds, rows/s, ratio to the baseline, RSS
before the load and peak RSS (MiB).
"""

from __future__ import annotations

import argparse
import cProfile
import csv
import io
import json
import pstats
import resource
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

ELECTION_ID = "bench"
MODES = ("baseline", "ingest", "ingest_hooks")
TX_OPERATIONS = {"blindSigIssue", "vote"}
TX_COLUMNS = (
    "id, constituency_id, block_height, timestamp, type, raw_data, operation_data, voter_key,"
    " accepted, bulletins, rolled_back, created_at"
)
EVENT_COLUMNS = (
    "id, constituency_id, operation, timestamp, block_height, sender, details, raw_data,"
    " rolled_back, created_at"
)
FIELDS = (
    "nestedTxId", "type", "signature", "version", "ts", "senderPublicKey",
    "fee", "feeAssetId", "params", "diff", "extra", "rollback",
)  # fmt: skip
CHUNK = 20_000


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * 4096 / 2**20


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def generate(outdir: Path, constituencies: int, scale: float, hours: int) -> dict[str, Any]:
    """Write the hourly files (same seed, same bytes) and return the simulator's summary."""
    from election_monitor.simulate import SimulationConfig, simulate
    from election_monitor.simulate.config import Chunking

    config = SimulationConfig(
        seed=1,
        constituencies=constituencies,
        scale=scale,
        hours=hours,
        anomalies="none",
        chunks=Chunking.HOURLY,
    )
    summary = simulate(outdir, config, overwrite=True)
    election = orjson.loads((outdir / "election.json").read_bytes())
    return {"election": election, "lines": summary.truth["totals"]["transactions"]}


def fresh_database(url: str, election: dict[str, Any]) -> None:
    """Migrate an empty schema (PostgreSQL: emptied first) and create the election."""
    from sqlalchemy import text

    from election_monitor.db import migrate
    from election_monitor.db.session import make_engine

    engine = make_engine(url)
    if engine.dialect.name == "postgresql":
        migrate.downgrade(engine, "base")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO elections (id, name, start_date, end_date, status, "
                "total_constituencies, timezone) VALUES (:id, 'bench', :start, :end, 'active', "
                "0, 'UTC')"
            ),
            {
                "id": ELECTION_ID,
                "start": datetime.fromisoformat(election["start"]),
                "end": datetime.fromisoformat(election["end"]),
            },
        )
    engine.dispose()


# -- the raw-driver baseline ---------------------------------------------------------------
def _operation(params: list[dict[str, Any]]) -> str:
    for entry in params:
        if entry.get("key") == "operation":
            return str(entry.get("stringValue"))
    return "unknown"


def baseline_rows(files: list[Path], *, sqlite_text: bool) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """(table, row) per line: plain csv + orjson, no counting rules beyond the indexed values."""
    now: Any = "2026-11-25 00:00:00.000000" if sqlite_text else datetime.now(UTC)
    for path in files:
        contract = path.name.split("_", 1)[0]
        with path.open(encoding="utf-8", newline="") as fh:
            for f in csv.reader(fh, delimiter=";", quoting=csv.QUOTE_NONE):
                if len(f) != 12:
                    continue
                params = orjson.loads(f[8])
                raw = dict(zip(FIELDS, f, strict=True))
                raw["params"], raw["diff"], raw["extra"] = params, orjson.loads(f[9]), {}
                ts = datetime.fromtimestamp(int(f[4]) / 1000, UTC)
                stamp: Any = (
                    ts.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
                    if sqlite_text
                    else ts
                )
                op = _operation(params)
                raw_json = orjson.dumps(raw).decode()
                if f[11] == "-1":
                    yield "rollback", (f[0], contract, stamp, path.name, 0, raw_json, now)
                elif op in TX_OPERATIONS:
                    is_vote = op == "vote"
                    voter = f[5] if is_vote else None
                    bulletins = 0 if is_vote else 1
                    yield "tx", (f[0], contract, 0, stamp, op, raw_json, "{}", voter, True,
                                 bulletins, False, now)  # fmt: skip
                else:
                    yield "event", (f[0], contract, op, stamp, 0, f[5], "{}", raw_json, False, now)


INSERTS = {
    "tx": f"INSERT OR IGNORE INTO transactions ({TX_COLUMNS}) VALUES ({','.join('?' * 12)})",
    "event": f"INSERT OR IGNORE INTO contract_events ({EVENT_COLUMNS}) "
    f"VALUES ({','.join('?' * 10)})",
    "rollback": "INSERT OR IGNORE INTO transaction_rollbacks (tx_id, constituency_id, timestamp,"
    " source, line, raw_data, created_at) VALUES (?,?,?,?,?,?,?)",
}
COPIES = {
    "tx": f"COPY transactions ({TX_COLUMNS}) FROM STDIN",
    "event": f"COPY contract_events ({EVENT_COLUMNS}) FROM STDIN",
    "rollback": "COPY transaction_rollbacks (tx_id, constituency_id, timestamp, source, line,"
    " raw_data, created_at) FROM STDIN",
}


def _constituencies(files: list[Path]) -> list[tuple[str, str, str, str, str]]:
    ids = sorted({p.name.split("_", 1)[0] for p in files})
    return [(cid, ELECTION_ID, cid, "unknown", "unknown") for cid in ids]


def baseline_sqlite(files: list[Path], db_path: Path) -> int:
    from election_monitor.config import get_settings

    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute(f"PRAGMA cache_size=-{get_settings().sqlite_cache_mib * 1024}")
    conn.executemany(
        "INSERT INTO constituencies (id, election_id, name, region, type) VALUES (?,?,?,?,?)",
        _constituencies(files),
    )
    pending: dict[str, list[tuple[Any, ...]]] = {"tx": [], "event": [], "rollback": []}
    count = 0
    for table, row in baseline_rows(files, sqlite_text=True):
        pending[table].append(row)
        count += 1
        if len(pending[table]) >= CHUNK:
            conn.executemany(INSERTS[table], pending[table])
            pending[table] = []
    for table, rows in pending.items():
        if rows:
            conn.executemany(INSERTS[table], rows)
    conn.commit()
    conn.close()
    return count


def baseline_postgres(files: list[Path], url: str) -> int:
    import psycopg

    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    count = 0
    with psycopg.connect(dsn) as conn, conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO constituencies (id, election_id, name, region, type) "
            "VALUES (%s,%s,%s,%s,%s)",
            _constituencies(files),
        )
        pending: dict[str, list[tuple[Any, ...]]] = {"tx": [], "event": [], "rollback": []}

        def flush(table: str) -> None:
            with cur.copy(COPIES[table]) as copy:
                for row in pending[table]:
                    copy.write_row(row)
            pending[table] = []

        for table, row in baseline_rows(files, sqlite_text=False):
            pending[table].append(row)
            count += 1
            if len(pending[table]) >= CHUNK:
                flush(table)
        for table in pending:
            if pending[table]:
                flush(table)
    return count


# -- the modes, each in a child process -----------------------------------------------------
def run_child(mode: str, data: Path, url: str, profile: Path | None) -> dict[str, Any]:
    """Run one mode on the fresh database at ``url``; return its figures."""
    from election_monitor.db.session import make_engine
    from election_monitor.ingest.readers import iter_input_files
    from election_monitor.ingest.service import BatchHook, ingest_paths

    before = rss_mib()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    started = time.perf_counter()
    result: dict[str, Any] = {"mode": mode}
    if mode == "baseline":
        files = list(iter_input_files([data]))
        if url.startswith("sqlite"):
            rows = baseline_sqlite(files, Path(url.removeprefix("sqlite:///")))
        else:
            rows = baseline_postgres(files, url)
        result["rows"] = rows
    else:
        hooks: list[BatchHook] = []
        if mode == "ingest_hooks":
            from election_monitor.detection.service import DetectionHook
            from election_monitor.events import EventsHook

            hooks = [DetectionHook(), EventsHook()]
        engine = make_engine(url)
        summary = ingest_paths(engine, [data], election_id=ELECTION_ID, hooks=hooks)
        engine.dispose()
        totals = summary.as_dict()
        assert not totals["failed_files"], summary.failed[:3]
        result["rows"] = totals["rows_read"]
        result["files"] = totals["files"]
        result["inserted"] = totals["inserted"]
        result["rejected"] = totals["rejected_rows"]
    seconds = time.perf_counter() - started
    if profiler:
        profiler.disable()
        profiler.dump_stats(str(profile))
    result.update(
        seconds=round(seconds, 2),
        rows_per_s=round(result["rows"] / seconds),
        rss_before_mib=round(before),
        peak_rss_mib=round(peak_rss_mib()),
    )
    return result


def spawn(mode: str, data: Path, url: str, election: dict[str, Any], profile: Path | None) -> Any:
    fresh_database(url, election)
    cmd = [sys.executable, __file__, "--child", mode, "--data", str(data), "--url", url]
    if profile:
        cmd += ["--profile-out", str(profile)]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--constituencies", type=int, default=24)
    parser.add_argument("--scale", type=float, default=0.02, help="simulate --scale")
    parser.add_argument("--hours", type=int, default=60)
    parser.add_argument("--modes", default=",".join(MODES))
    parser.add_argument("--postgres", help="PostgreSQL URL (its database is emptied)")
    parser.add_argument("--profile", help="cProfile this mode; print the top functions")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    parser.add_argument("--profile-out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        profile = Path(args.profile_out) if args.profile_out else None
        print(json.dumps(run_child(args.child, Path(args.data), args.url, profile)))
        return
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        generated = generate(tmpdir / "sim", args.constituencies, args.scale, args.hours)
        data = tmpdir / "sim" / "data"
        files = sum(1 for _ in data.iterdir())
        report: dict[str, Any] = {
            "database": "postgresql" if args.postgres else "sqlite",
            "constituencies": args.constituencies,
            "scale": args.scale,
            "hours": args.hours,
            "files": files,
            "modes": {},
        }
        for mode in args.modes.split(","):
            url = args.postgres or f"sqlite:///{tmpdir / f'{mode}.db'}"
            profile = tmpdir / f"{mode}.prof" if args.profile == mode else None
            report["modes"][mode] = spawn(mode, data, url, generated["election"], profile)
            if profile:
                stats = pstats.Stats(str(profile), stream=(buf := io.StringIO()))
                stats.sort_stats("cumulative").print_stats(40)
                print(buf.getvalue(), file=sys.stderr)
        base = report["modes"].get("baseline")
        for result in report["modes"].values():
            if base:
                result["ratio_to_baseline"] = round(result["rows_per_s"] / base["rows_per_s"], 3)
        print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
