"""Ingest throughput against the raw-driver baseline, measured in the same run.

Baseline: the same file parsed with ``str.split`` + orjson and inserted with ``sqlite3``
``executemany`` in one transaction into the same schema (same indexes), WAL + NORMAL + the
same cache. Full path: ``ingest_paths`` (parsing, counting rules, jobs, metrics, commits).
With ``--postgres URL`` the baseline is psycopg ``COPY`` into the same table.

    python benchmarks/ingest_throughput.py --rows 1000000
"""

from __future__ import annotations

import argparse
import sqlite3
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import orjson
from sqlalchemy import text

from benchmarks._export import write_export
from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.ingest.service import ingest_paths

CACHE_KIB = 256 * 1024
SEED_ROWS = (
    "INSERT INTO elections (id, name, start_date, end_date, status, total_constituencies,"
    " timezone) VALUES ('e1', 'bench', '2026-09-18', '2026-09-21', 'active', 0, 'UTC');"
    "INSERT INTO constituencies (id, election_id, name, region, type) VALUES"
    " ('BENCH', 'e1', 'BENCH', 'unknown', 'unknown')"
)
COLUMNS = (
    "id, constituency_id, block_height, timestamp, type, raw_data, operation_data, voter_key,"
    " accepted, bulletins, rolled_back, created_at"
)
FIELDS = (
    "nestedTxId", "type", "signature", "version", "ts", "senderPublicKey",
    "fee", "feeAssetId", "params", "diff", "extra", "rollback",
)  # fmt: skip
COLUMNS = (
    "id, constituency_id, block_height, timestamp, type, raw_data, operation_data, voter_key,"
    " accepted, bulletins, rolled_back, created_at"
)


def rss_mib() -> float:
    with open("/proc/self/statm") as fh:
        pages = int(fh.read().split()[1])
    return pages * 4096 / 2**20


def parse_rows(path: Path, *, sqlite_text: bool) -> list[tuple[object, ...]]:
    rows = []
    now = "2026-11-25 00:00:00.000000"
    with path.open(encoding="utf-8") as fh:
        for line in fh:
            f = line.rstrip("\n").split(";")
            raw = {
                "nestedTxId": f[0],
                "type": f[1],
                "signature": f[2],
                "version": f[3],
                "ts": f[4],
                "senderPublicKey": f[5],
                "fee": f[6],
                "feeAssetId": f[7],
                "params": orjson.loads(f[8]),
                "diff": orjson.loads(f[9]),
                "extra": orjson.loads(f[10]),
                "rollback": f[11],
            }
            # The same indexed values the real load stores (the voter key of a vote, the
            # sender's time), so both pay for the same index work; no counting rules.
            is_vote = '"stringValue":"vote"' in f[8]
            ts = datetime.fromtimestamp(int(f[4]) / 1000, UTC).replace(tzinfo=None)
            stamp = ts.isoformat(sep=" ", timespec="microseconds")
            rows.append(
                (
                    f[0],
                    "BENCH",
                    0,
                    stamp if sqlite_text else ts.replace(tzinfo=UTC),
                    "vote" if is_vote else "blindSigIssue",
                    orjson.dumps(raw).decode(),
                    "{}",
                    f[5] if is_vote else None,
                    True,
                    0 if is_vote else 1,
                    False,
                    now if sqlite_text else datetime.now(UTC),
                )
            )
    return rows


def baseline_sqlite(path: Path, db_path: Path) -> float:
    engine = make_engine(f"sqlite:///{db_path}")
    migrate.upgrade(engine)
    engine.dispose()
    start = time.perf_counter()
    rows = parse_rows(path, sqlite_text=True)
    conn = sqlite3.connect(db_path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA cache_size=-{CACHE_KIB}")
    conn.execute("PRAGMA foreign_keys=ON")  # as the real load runs
    conn.executescript(SEED_ROWS)
    conn.executemany(f"INSERT INTO transactions ({COLUMNS}) VALUES ({','.join('?' * 12)})", rows)
    conn.commit()
    conn.close()
    return time.perf_counter() - start


def baseline_postgres(path: Path, url: str) -> float:
    engine = make_engine(url)
    migrate.downgrade(engine, "base")
    migrate.upgrade(engine)
    start = time.perf_counter()
    rows = parse_rows(path, sqlite_text=False)
    with engine.begin() as conn:
        cur = conn.connection.driver_connection.cursor()  # type: ignore[union-attr]
        cur.execute(SEED_ROWS)  # the same foreign key as the real load checks
        with cur.copy(f"COPY transactions ({COLUMNS}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
    elapsed = time.perf_counter() - start
    migrate.downgrade(engine, "base")
    engine.dispose()
    return elapsed


def full_ingest(path: Path, url: str, batch: int) -> tuple[float, list[float]]:
    engine = make_engine(url)
    if url.startswith("postgresql"):
        migrate.downgrade(engine, "base")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO elections (id, name, start_date, end_date, status, "
                "total_constituencies, timezone) VALUES ('e1', 'bench', '2026-09-18', "
                "'2026-09-21', 'active', 0, 'UTC')"
            )
        )
    samples: list[float] = []
    start = time.perf_counter()
    summary = ingest_paths(
        engine, [path], batch_size=batch, progress=lambda _p, _n: samples.append(rss_mib())
    )
    elapsed = time.perf_counter() - start
    assert not summary.failed, summary.failed
    engine.dispose()
    return elapsed, samples


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=20_000)
    parser.add_argument("--postgres", help="PostgreSQL URL (its database is emptied)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmpdir = Path(tmp)
        export = tmpdir / "BENCH_dump.csv"
        rows = write_export(export, args.rows)
        print(f"{rows:,} rows, {export.stat().st_size / 2**20:.0f} MiB")
        # The full ingest runs first, so its memory figures do not include the baseline's
        # million parsed rows (CPython keeps freed memory in its own pools).
        if args.postgres:
            full, rss = full_ingest(export, args.postgres, args.batch)
            base = baseline_postgres(export, args.postgres)
            label = "psycopg COPY"
        else:
            full, rss = full_ingest(export, f"sqlite:///{tmpdir / 'full.db'}", args.batch)
            base = baseline_sqlite(export, tmpdir / "baseline.db")
            label = "sqlite3 executemany"
        print(f"baseline ({label}): {rows / base:,.0f} rows/s ({base:.1f} s)")
        print(f"elmon ingest:       {rows / full:,.0f} rows/s ({full:.1f} s)")
        print(f"ratio (ingest / baseline rate): {base / full:.2f}")
        if rss:
            print(
                f"RSS during ingest: first batch {rss[0]:.0f} MiB, "
                f"max {max(rss):.0f} MiB, last {rss[-1]:.0f} MiB"
            )


if __name__ == "__main__":
    main()
