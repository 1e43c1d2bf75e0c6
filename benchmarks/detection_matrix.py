"""The robustness matrix of detection (issue 11): one row per cell, >= 5 seeds per cell.

Each cell changes one axis of a small base election (``election_monitor.detection.matrix``:
file arrival, time zones, sizes, turnout shape, length, over-dispersion, outages, contracts
with their own window, a region-wide surge). Every seed is simulated, loaded in the cell's
arrival order with detection on every batch, and loaded again as the reference (hook off,
then ``detect`` from scratch); the figures count every alert the arrival order ever raised,
withdrawn and auto-resolved ones included.

    nice -n 10 python benchmarks/detection_matrix.py --seeds 1 2 3 4 5 --workers 2 \\
        --json /tmp/elmon-matrix.json --markdown /tmp/elmon-matrix.md

Prints one line per finished election and the Markdown table at the end; ``--cells`` runs
a subset (``--list`` names them), ``--tiny`` the test suite's tiny election instead of the
base one.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

import orjson

from election_monitor.detection.matrix import BASE, CELLS, TINY, cells_named, markdown, run_matrix


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3, 4, 5])
    ap.add_argument("--cells", nargs="+", default=None, help="cell names (default: all)")
    ap.add_argument("--list", action="store_true", help="list the cells and exit")
    ap.add_argument("--workers", type=int, default=2, help="elections run in parallel")
    ap.add_argument("--tiny", action="store_true", help="the tiny election of the test slice")
    for name, kind in (("constituencies", int), ("regions", int), ("scale", float), ("hours", int)):
        ap.add_argument(f"--{name}", type=kind, default=None, help=f"override the base {name}")
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/elmon-matrix"))
    ap.add_argument("--keep-files", action="store_true", help="keep simulations and databases")
    ap.add_argument("--json", type=Path, default=None)
    ap.add_argument("--markdown", type=Path, default=None)
    args = ap.parse_args()
    if args.list:
        for cell in CELLS:
            print(f"{cell.name:18} {cell.axis}: {cell.value}  {cell.config or ''} {cell.arrival}")
        return
    try:
        cells = cells_named(args.cells)
    except ValueError as error:
        sys.exit(str(error))
    base = dict(TINY if args.tiny else BASE)
    for name in ("constituencies", "regions", "scale", "hours"):
        if getattr(args, name) is not None:
            base[name] = getattr(args, name)
    started = time.perf_counter()

    def progress(job: dict[str, Any]) -> None:
        runs = " ".join(
            f"{mode} {run['seconds']}s alerts {run['alerts']} same {run['difference']['same']}"
            for mode, run in job["runs"].items()
        )
        print(
            f"[{time.perf_counter() - started:7.0f}s] seed {job['seed']} {job['key']}: "
            f"{job['transactions']} tx, simulate {job['simulate_s']}s; {runs}",
            flush=True,
        )

    results = run_matrix(
        cells,
        args.seeds,
        args.workdir,
        base=base,
        workers=args.workers,
        keep_files=args.keep_files,
        progress=progress,
    )
    elapsed = time.perf_counter() - started
    table = markdown(results, base)
    print(table)
    print(f"\n{len(cells)} cells x {len(args.seeds)} seeds in {elapsed:.0f} s "
          f"with {args.workers} workers")  # fmt: skip
    for r in results:
        for failure in r.failures():
            print(f"FAIL {r.cell.name}: {failure}")
    if args.markdown:
        args.markdown.write_text(table + "\n")
    if args.json:
        args.json.write_bytes(
            orjson.dumps(
                {
                    "base": base,
                    "seeds": args.seeds,
                    "workers": args.workers,
                    "seconds": round(elapsed, 1),
                    "cells": [r.as_dict() for r in results],
                },
                option=orjson.OPT_INDENT_2 | orjson.OPT_NON_STR_KEYS,
            )
        )


if __name__ == "__main__":
    main()
