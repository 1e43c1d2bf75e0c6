"""``simulate()``: plan an election, generate it in parallel, write files and truth.json.

Input: an output folder and a :class:`SimulationConfig`. Output: ``data/`` in the chosen
format, ``registry.csv`` (for ``elmon constituencies import``), ``election.json`` and
``truth.json`` (schema in docs/simulation.md). Work is split into independent tasks (one per
contract for the export, one per shard for chained formats), each seeded on its own, so the
bytes do not depend on how many processes run them; every task streams its files and never
holds more than a few hours of one shard's transactions.
"""

from __future__ import annotations

import csv
import io
import multiprocessing
import os
import queue
import shutil
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from election_monitor.exceptions import InvalidInputError
from election_monitor.simulate import anomalies as an
from election_monitor.simulate.config import Chunking, ModelParams, OutputFormat, SimulationConfig
from election_monitor.simulate.formats import export
from election_monitor.simulate.formats.chain import run_shard
from election_monitor.simulate.formats.dump import DumpRenderer, DumpWriter
from election_monitor.simulate.formats.hourly_csv import HourlyCsvRenderer, HourlyCsvWriter
from election_monitor.simulate.generator import ConstituencyGenerator
from election_monitor.simulate.population import ConstituencySpec, build_population
from election_monitor.simulate.truth import ConstituencyResult, Tally, iso_utc

SHARDS = 4  # chains of a block dump (the 2021 platform ran four shards)
PARALLEL_MIN_VOTERS = 300_000  # below this, starting processes costs more than it saves
TRUTH_SCHEMA_VERSION = 1

ProgressCallback = Callable[[int, int], None]  # (transactions written, expected total)


@dataclass(frozen=True, slots=True)
class SimulationSummary:
    """What a run wrote: paths, totals and the ground truth (truth.json's content)."""

    outdir: Path
    data_dir: Path
    files: list[Path]
    registry: Path
    election: Path
    truth_path: Path
    transactions: int  # bulletin and vote transactions written
    lines: int  # every line / record written (transactions, rollbacks, contract events)
    anomalies: int
    seconds: float
    truth: dict[str, Any] = field(repr=False)

    @property
    def transactions_per_second(self) -> float:
        """Output speed of the run."""
        return self.transactions / self.seconds if self.seconds else 0.0


@dataclass(frozen=True, slots=True)
class _Task:
    specs: tuple[ConstituencySpec, ...]
    shocks: tuple[np.ndarray[Any, Any], ...]
    injections: tuple[tuple[an.Injection, ...], ...]
    model: ModelParams
    output_format: OutputFormat
    chunks: Chunking
    level: int
    data_dir: Path
    shard: int


def simulate(
    outdir: Path,
    config: SimulationConfig,
    *,
    progress: ProgressCallback | None = None,
    overwrite: bool = False,
) -> SimulationSummary:
    """Write a synthetic election into ``outdir`` (deterministic in ``config``)."""
    started = time.perf_counter()
    requests = an.parse_spec(config.anomalies)
    if config.chunks == Chunking.HOURLY and config.output_format != OutputFormat.DEG_EXPORT:
        raise InvalidInputError("--chunks hourly applies to the deg-export format only")
    if not 1 <= config.compress_level <= 9:
        raise InvalidInputError("--compress-level must be between 1 and 9")
    population = build_population(config)
    injections = an.plan(requests, population, config.seed)
    outdir = Path(outdir)
    data_dir = outdir / "data"
    if data_dir.exists():
        if not overwrite:
            raise InvalidInputError(f"{data_dir} exists; remove it or pass overwrite (--force)")
        shutil.rmtree(data_dir)
    data_dir.mkdir(parents=True)

    specs = population.constituencies
    by_constituency: dict[int, list[an.Injection]] = {s.index: [] for s in specs}
    for inj in injections:
        by_constituency[inj.constituency].append(inj)
    if config.output_format == OutputFormat.DEG_EXPORT:
        groups = [[s] for s in sorted(specs, key=lambda s: -s.registered)]
    else:
        shards = min(SHARDS, len(specs))
        groups = [[s for s in specs if s.index % shards == k] for k in range(shards)]
    tasks = [
        _Task(
            specs=tuple(group),
            shocks=tuple(population.shocks_for(s) for s in group),
            injections=tuple(tuple(by_constituency[s.index]) for s in group),
            model=config.model,
            output_format=config.output_format,
            chunks=config.chunks,
            level=config.compress_level,
            data_dir=data_dir,
            shard=k + 1,
        )
        for k, group in enumerate(groups)
    ]
    expected = int(sum(2.05 * s.registered * s.participation for s in specs))
    results = _run(tasks, config.workers, expected, progress, sum(s.registered for s in specs))
    results.sort(key=lambda r: r.index)

    truth = _truth(config, population.constituencies, results)
    registry = outdir / "registry.csv"
    registry.write_bytes(_registry(specs))
    election = outdir / "election.json"
    election.write_bytes(orjson.dumps(truth["election"], option=orjson.OPT_INDENT_2) + b"\n")
    truth_path = outdir / "truth.json"
    truth_path.write_bytes(orjson.dumps(truth, option=orjson.OPT_INDENT_2) + b"\n")
    totals = truth["totals"]
    return SimulationSummary(
        outdir=outdir,
        data_dir=data_dir,
        files=[data_dir / f for f in dict.fromkeys(f for r in results for f in r.files)],
        registry=registry,
        election=election,
        truth_path=truth_path,
        transactions=totals["transactions"],
        lines=totals["transactions"]
        + totals["rollbacks"]
        + totals["contract_events"]
        + totals["duplicate_tx_lines"],
        anomalies=len(truth["anomalies"]),
        seconds=time.perf_counter() - started,
        truth=truth,
    )


# -- running tasks --------------------------------------------------------------------------

_progress_queue: Any = None


def _init_worker(progress_queue: Any) -> None:
    global _progress_queue
    _progress_queue = progress_queue


def _report(n: int) -> None:
    if _progress_queue is not None:
        _progress_queue.put(n)


def _run(
    tasks: list[_Task],
    workers: int,
    expected: int,
    progress: ProgressCallback | None,
    voters: int,
) -> list[ConstituencyResult]:
    if workers <= 0:
        workers = (os.cpu_count() or 1) if voters >= PARALLEL_MIN_VOTERS else 1
    workers = max(1, min(workers, len(tasks)))
    done = 0

    def advance(n: int) -> None:
        nonlocal done
        done += n
        if progress is not None:
            progress(min(done, expected), max(expected, done))

    if workers == 1:
        out: list[ConstituencyResult] = []
        for task in tasks:
            out += _run_task(task, advance)
        if progress is not None:
            progress(done, done)
        return out
    # fork: workers start instantly and need no importable __main__; they only compute and
    # write their own files, so no lock held by a parent thread (a progress bar) is touched
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    context = multiprocessing.get_context(method)
    progress_queue = context.Queue()
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set() or not progress_queue.empty():
            try:
                advance(progress_queue.get(timeout=0.1))
            except queue.Empty:
                continue

    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_init_worker, initargs=(progress_queue,)
    ) as pool:
        futures = [pool.submit(_run_task_in_worker, task) for task in tasks]
        drainer = threading.Thread(target=drain, daemon=True)  # after the workers exist
        drainer.start()
        try:
            out = [r for future in futures for r in future.result()]
        finally:
            stop.set()
            drainer.join()
    if progress is not None:
        progress(done, done)
    return out


def _run_task_in_worker(task: _Task) -> list[ConstituencyResult]:
    return _run_task(task, _report)


def _run_task(task: _Task, progress: Callable[[int], None]) -> list[ConstituencyResult]:
    rollback_lines = task.output_format == OutputFormat.DEG_EXPORT
    gens = [
        ConstituencyGenerator(spec, task.model, shocks, list(inj), rollback_lines=rollback_lines)
        for spec, shocks, inj in zip(task.specs, task.shocks, task.injections, strict=True)
    ]
    files: dict[int, list[str]] = {}
    tallies: dict[int, Tally] = {}
    if task.output_format == OutputFormat.DEG_EXPORT:
        for gen in gens:
            if task.chunks == Chunking.HOURLY:
                names, tally = export.write_hourly(gen, task.data_dir, progress)
            else:
                names, tally = export.write_single(gen, task.data_dir, task.level, progress)
            files[gen.spec.index], tallies[gen.spec.index] = names, tally
    elif task.output_format == OutputFormat.DEG_DUMP:
        folder = task.data_dir / f"shard-{task.shard}"
        writer = DumpWriter(folder, task.level)
        specs = {s.index: s for s in task.specs}
        renderer = DumpRenderer(specs, np.random.default_rng([*task.specs[0].seed, 105]))
        calls = {g.spec.index: g.calls for g in gens}
        tallies = run_shard(
            gens,
            lambda _h, batch, heights, _a: writer.write(
                renderer.render(batch, calls), batch, heights
            ),
            progress,
        )
        writer.close()
        names = [str(p.relative_to(task.data_dir)) for p in writer.files]
        files = {g.spec.index: names for g in gens}  # a shard's chunks hold all its contracts
    else:
        csv_writer = HourlyCsvWriter(task.data_dir, gens)
        csv_renderer = HourlyCsvRenderer({s.index: s for s in task.specs})
        calls = {g.spec.index: g.calls for g in gens}
        tallies = run_shard(
            gens,
            lambda hour, batch, heights, active: csv_writer.write(
                hour, csv_renderer.render(batch, heights, calls), batch, active
            ),
            progress,
        )
        files = csv_writer.files
    return [_result(g, tallies[g.spec.index], files[g.spec.index]) for g in gens]


def _result(gen: ConstituencyGenerator, tally: Tally, files: list[str]) -> ConstituencyResult:
    s = gen.spec
    totals: dict[str, Any] = tally.totals()
    totals["registered_voters"] = s.registered
    totals["results"] = [gen.results]
    totals["results_total"] = sum(gen.results)
    entry: dict[str, Any] = {
        "id": s.contract_id,
        "name": s.name,
        "region": s.region_name,
        "type": s.ctype,
        "timezone": s.timezone,
        "registered_voters": s.registered,
        "voters_added": gen.voters_added,
        "voters_removed": gen.voters_removed,
        "voters_final": gen.final_list,
        "revote_blocked": s.revote_blocked,
        "voting_start": iso_utc(s.start_ms),
        "voting_end": iso_utc(s.end_ms),
        "model": {
            "participation": round(s.participation, 4),
            "unused_share": round(s.unused, 4),
            "phase_hours": round(s.phase, 3),
            "day_weights": [round(w, 4) for w in s.day_weights],
            "opening_rush": round(s.rush, 3),
            "options": len(s.option_shares),
        },
        "totals": totals,
        "hourly": tally.hourly(),
    }
    if (s.nominal_start_ms, s.nominal_end_ms) != (s.start_ms, s.end_ms):
        entry["planned_start"] = iso_utc(s.nominal_start_ms)
        entry["planned_end"] = iso_utc(s.nominal_end_ms)
    anomalies = []
    for inj in gen.injections:
        realised = gen.realised.get(
            inj.id, {"start_ms": s.start_ms, "end_ms": s.end_ms, "details": inj.details}
        )
        details = {k: v for k, v in realised["details"].items() if not k.endswith("_ms")}
        anomalies.append(
            {
                "id": inj.id,
                "type": str(inj.type),
                "constituency_id": s.contract_id,
                "start": iso_utc(realised["start_ms"]),
                "end": iso_utc(realised["end_ms"]),
                "magnitude": inj.magnitude,
                "description": an.describe(inj.type, inj.magnitude, details),
                "details": details,
            }
        )
    return ConstituencyResult(s.index, entry, anomalies, files)


# -- truth, registry ------------------------------------------------------------------------


def _truth(
    config: SimulationConfig,
    specs: tuple[ConstituencySpec, ...],
    results: list[ConstituencyResult],
) -> dict[str, Any]:
    anomalies = sorted(
        (a for r in results for a in r.anomalies), key=lambda a: (a["id"], a["constituency_id"])
    )
    constituencies = []
    for r in results:
        ids = [a["id"] for a in r.anomalies]
        # a platform-wide outage is the platform's fault, not the constituency's
        own = [a for a in r.anomalies if a["type"] != an.PLATFORM_OUTAGE]
        constituencies.append({**r.entry, "clean": not own, "anomalies": ids, "files": r.files})
    totals = {
        key: sum(c["totals"][key] for c in constituencies)
        for key in (
            "bulletins_issued",
            "votes_cast",
            "accepted_votes",
            "rejected_votes",
            "revotes",
            "rollbacks",
            "transactions",
            "duplicate_tx_lines",
            "contract_events",
            "registered_voters",
        )
    }
    return {
        "schema_version": TRUTH_SCHEMA_VERSION,
        "generator": "election_monitor.simulate",
        "seed": config.seed,
        "format": str(config.output_format),
        "chunks": str(config.chunks),
        "anomaly_spec": config.anomalies,
        "election": {
            "name": config.election_name,
            "start": iso_utc(min(s.nominal_start_ms or s.start_ms for s in specs)),
            "end": iso_utc(max(s.nominal_end_ms or s.end_ms for s in specs)),
            "timezone": config.election_timezone,
        },
        "totals": totals,
        "anomalies": anomalies,
        "clean_constituencies": [c["id"] for c in constituencies if c["clean"]],
        "constituencies": constituencies,
    }


def _registry(specs: tuple[ConstituencySpec, ...]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(["id", "name", "region", "type", "registered_voters", "timezone"])
    for s in specs:
        writer.writerow([s.contract_id, s.name, s.region_name, s.ctype, s.registered, s.timezone])
    return buffer.getvalue().encode()
