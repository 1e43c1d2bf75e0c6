"""Report and export speed and memory on a simulated election.

Simulates ``--constituencies`` constituencies (``--scale`` of realistic register sizes),
loads and detects them, then measures in the same process:

- the full election report (HTML and PDF), against a from-scratch ``detect`` of the same
  election as the baseline (issue 15: the report at 500 constituencies in < 30 s);
- the export of every transaction to Parquet, against a plain streamed ``SELECT`` of the same
  rows as the baseline, and the process's peak RSS during the export (issue 15: flat, < 1 GB).

Prints one JSON object.

    python benchmarks/report_export.py --constituencies 500 --scale 0.3
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy.orm import Session

from election_monitor.db import session
from election_monitor.db.session import make_engine
from election_monitor.demo import run_demo
from election_monitor.detection.service import detect
from election_monitor.export import export_table
from election_monitor.export.tables import TRANSACTIONS
from election_monitor.reports.service import write_report
from election_monitor.simulate import SimulationConfig

PAGE = os.sysconf("SC_PAGE_SIZE")


def rss_mib() -> float:
    with open("/proc/self/statm") as handle:
        return int(handle.read().split()[1]) * PAGE / 2**20


class PeakRss:
    """Samples the resident set every 20 ms while active."""

    def __init__(self) -> None:
        self.peak = rss_mib()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.02):
            self.peak = max(self.peak, rss_mib())

    def __enter__(self) -> PeakRss:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--constituencies", type=int, default=500)
    ap.add_argument("--scale", type=float, default=0.3)
    ap.add_argument("--seed", type=int, default=15)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="elmon-report-bench-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    session.configure(url)
    engine = make_engine(url)
    config = SimulationConfig(
        seed=args.seed, constituencies=args.constituencies, anomalies="all", scale=args.scale
    )
    t0 = time.perf_counter()
    loaded = run_demo(engine, folder, config=config)
    load_s = time.perf_counter() - t0
    eid = loaded.election_id

    t0 = time.perf_counter()
    with engine.begin() as conn:
        detect(conn, election_id=eid)
    detect_s = time.perf_counter() - t0

    timings = {}
    for suffix in ("html", "pdf"):
        t0 = time.perf_counter()
        with Session(engine) as db:
            written = write_report(db, election_id=eid, output=folder / f"report.{suffix}")
        timings[suffix] = time.perf_counter() - t0
        timings[f"{suffix}_bytes"] = written.path.stat().st_size

    t0 = time.perf_counter()
    rows = 0
    with engine.connect() as conn:
        result = conn.execution_options(stream_results=True, yield_per=50_000).execute(
            TRANSACTIONS.query(eid)
        )
        for part in result.partitions(50_000):
            rows += len(part)
    fetch_s = time.perf_counter() - t0
    before = rss_mib()
    with PeakRss() as peak:
        t0 = time.perf_counter()
        exported = export_table(
            engine, table="transactions", election_id=eid, output=folder / "tx.parquet"
        )
        export_s = time.perf_counter() - t0
    print(json.dumps({
        "constituencies": args.constituencies,
        "scale": args.scale,
        "transactions": exported.rows,
        "load_and_detect_seconds": round(load_s, 1),
        "baseline_detect_seconds": round(detect_s, 2),
        "report_html_seconds": round(timings["html"], 2),
        "report_pdf_seconds": round(timings["pdf"], 2),
        "report_pdf_bytes": timings["pdf_bytes"],
        "report_pdf_over_detect": round(timings["pdf"] / detect_s, 2),
        "baseline_fetch_seconds": round(fetch_s, 2),
        "parquet_export_seconds": round(export_s, 2),
        "parquet_over_fetch": round(export_s / fetch_s, 2),
        "rss_before_mib": round(before, 1),
        "rss_peak_during_export_mib": round(peak.peak, 1),
        "rss_growth_mib": round(peak.peak - before, 1),
        "fetched_rows": rows,
    }, indent=2))  # fmt: skip
    engine.dispose()
    shutil.rmtree(folder)  # big files: the disk is shared


if __name__ == "__main__":
    main()
