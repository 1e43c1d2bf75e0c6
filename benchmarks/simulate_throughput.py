"""Simulator output speed against a same-run baseline.

Issue 4 asks for at least 200,000 transactions per second. The baseline writes the same
number of export-sized lines (one plain f-string each, ~600 bytes, fixed content) to an
uncompressed file from one process: the cost of Python producing the bytes at all, on this
machine right now. The ratio simulator / baseline stays meaningful when other work shares the
CPU; the CPU time per transaction (all processes) tells what an idle machine would reach.

    python benchmarks/simulate_throughput.py                 # ~2.5 M tx, deg-export
    python benchmarks/simulate_throughput.py --constituencies 150 --format deg-dump
"""

from __future__ import annotations

import argparse
import os
import resource
import tempfile
import time
from pathlib import Path

from election_monitor.simulate import OutputFormat, SimulationConfig, simulate


def baseline(lines: int, folder: Path) -> float:
    """Seconds to write ``lines`` fixed export-sized lines with plain f-strings to a file."""
    txid, sig, key = "A" * 44, "B" * 88, "C" * 44
    vote, blind = "D" * 64, "E" * 44
    started = time.perf_counter()
    with (folder / "baseline.csv").open("w", encoding="utf-8") as fh:
        for i in range(lines):
            fh.write(
                f"{txid};104;{sig};2;{1789600000000 + i};{key};0;;"
                f'[{{"key":"operation","stringValue":"vote"}},'
                f'{{"key":"vote","binaryValue":"{vote}"}},'
                f'{{"key":"blindSig","binaryValue":"{blind}"}}];'
                f'[{{"key":"VOTE_{key}","binaryValue":"{vote}"}}];{{"contractVersion":2}};\n'
            )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--constituencies", type=int, default=40)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--format", default="deg-export", choices=[f.value for f in OutputFormat])
    parser.add_argument("--workers", type=int, default=0, help="0 = one per CPU")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    config = SimulationConfig(
        seed=args.seed,
        constituencies=args.constituencies,
        scale=args.scale,
        anomalies="all",
        output_format=OutputFormat(args.format),
        workers=args.workers,
    )
    with tempfile.TemporaryDirectory(prefix="elmon-sim-bench-") as tmp:
        folder = Path(tmp)
        cpu = _cpu()
        summary = simulate(folder / "sim", config)
        cpu = _cpu() - cpu
        size = sum(p.stat().st_size for p in summary.files)
        base = baseline(summary.lines, folder)
    rate = summary.transactions / summary.seconds
    base_rate = summary.lines / base
    print(
        f"simulate: {summary.transactions:,} tx ({summary.lines:,} lines, {size / 2**20:,.0f} MiB "
        f"{args.format}) in {summary.seconds:.2f} s = {rate:,.0f} tx/s "
        f"(CPU {cpu:.1f} s in all processes = {cpu / summary.transactions * 1e6:.1f} us/tx)"
    )
    print(
        f"baseline: same number of fixed f-string lines to a plain file: {base_rate:,.0f} lines/s"
    )
    print(f"ratio simulate / baseline: {rate / base_rate:.2f}")
    cores = os.cpu_count() or 1
    print(f"idle-machine estimate on {cores} cores: {cores * summary.transactions / cpu:,.0f} tx/s")
    print(f"target 200,000 tx/s: {'met' if rate >= 200_000 else 'NOT met'}")


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


if __name__ == "__main__":
    main()
