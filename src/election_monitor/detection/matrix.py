"""The robustness matrix: detection scored over the ways real elections differ.

One base scenario (a small multi-zone election, one injection of every type, the observer
export read one contract after another with detection on every batch) and cells that each
change one axis of it: file arrival, time zones, sizes, turnout shape, election length,
over-dispersion, outages, contracts with their own window, a region-wide surge. Every cell
runs several seeds; each seed is scored on every alert its arrival order ever raised
(withdrawn ones included) and compared with the reference run of the same election (hook
off, then ``detect`` from scratch). ``benchmarks/detection_matrix.py`` runs it; a one-seed
slice runs in the test suite.

Targets (issue 11; docs/detection.md "Robustness matrix"): exact types recall 1 with no false
alert; statistical types recall >= 0.9; false alerts (warning + critical, withdrawn counted)
<= 1 per 100 clean constituency-days, critical <= 0.1; the per-batch alerts equal the
from-scratch ones.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from election_monitor.detection.arrival import Arrival
from election_monitor.detection.evaluation import (
    ArrivalRun,
    Evaluation,
    order_difference,
    run_arrival,
    simulate_both_ways,
)

EXACT_TYPES = (
    "votes_exceed_bulletins",
    "turnout_exceeds_registered",
    "duplicate_vote",
    "vote_outside_window",
    "results_mismatch",
    "data_integrity",
)
RECALL_TARGET = 0.9
FALSE_TARGET = 1.0  # warning + critical per 100 clean constituency-days
CRITICAL_TARGET = 0.1

#: the base scenario: small, several zones, every anomaly type once
BASE: dict[str, Any] = {
    "constituencies": 30,
    "regions": 5,
    "scale": 0.1,
    "hours": 60,
    "anomalies": "all",
}


@dataclass(frozen=True, slots=True)
class Cell:
    """One cell: the base scenario with one axis changed."""

    name: str
    axis: str
    value: str  # the axis value, as the table shows it
    config: dict[str, Any] = field(default_factory=dict)  # overrides of BASE
    arrival: Arrival = Arrival.CONTRACT

    def scenario(self, base: dict[str, Any]) -> dict[str, Any]:
        """The simulation options of this cell."""
        return {**base, **self.config}

    def scenario_key(self, base: dict[str, Any]) -> str:
        """Cells with the same key share their elections (only the arrival differs)."""
        options = self.scenario(base)
        return "-".join(f"{k}={options[k]}" for k in sorted(options))


CELLS: tuple[Cell, ...] = (
    Cell("base", "base", "30 constituencies, 5 zones, 200-10,000 voters, 3 days"),
    Cell("arrival-hourly", "file arrival", "hourly chunks in time order", arrival=Arrival.HOURLY),
    Cell("arrival-shuffled", "file arrival", "contracts in random order", arrival=Arrival.SHUFFLED),
    Cell("arrival-late", "file arrival", "hourly, 5 % late, 5 % twice", arrival=Arrival.LATE),
    Cell("zones-1", "time zones", "1 zone", {"timezones": 1}),
    Cell("zones-11", "time zones", "11 zones", {"timezones": 11}),
    Cell("zones-lone", "time zones", "one constituency alone", {"lone_zone": True}),
    Cell("size-tiny", "size", "200-1,000 voters", {"voters_range": (200, 1000)}),
    Cell(
        "size-large",
        "size",
        "20,000-200,000 voters (4 constituencies)",
        {"voters_range": (20_000, 200_000), "constituencies": 4},
    ),
    Cell("shape-morning", "turnout shape", "morning peak", {"turnout_shape": "morning"}),
    Cell("shape-evening", "turnout shape", "evening peak", {"turnout_shape": "evening"}),
    Cell("shape-flat", "turnout shape", "flat 08-22", {"turnout_shape": "flat"}),
    Cell("shape-weekend", "turnout shape", "day 2 a weekend", {"turnout_shape": "weekend"}),
    Cell("length-1d", "length", "1 day (12 h)", {"hours": 12, "anomalies": "all,night:0"}),
    Cell("length-2d", "length", "2 days (36 h)", {"hours": 36}),
    Cell("dispersion-1", "over-dispersion", "Poisson (1x)", {"overdispersion": 1.0}),
    Cell("dispersion-3", "over-dispersion", "3x Poisson", {"overdispersion": 3.0}),
    Cell("outage-platform", "outage", "platform 2 h", {"anomalies": "all,platform:1:2"}),
    Cell("outage-node", "outage", "one node of 4, 2 h", {"anomalies": "all,node:1:2"}),
    Cell(
        "windows-moved",
        "own window",
        "3 open 4 h late, 3 close 4 h early",
        {"late_start": 3, "early_finish": 3},
    ),
    Cell(
        "surge-region", "region surge", "a whole region 2x for 1 h", {"anomalies": "all,surge:1:2"}
    ),
)

#: the slice run by the test suite: one cell per axis, on a tiny election
SLICE = (
    "base",
    "arrival-shuffled",
    "zones-lone",
    "shape-weekend",
    "length-2d",
    "dispersion-3",
    "outage-platform",
    "windows-moved",
    "surge-region",
)
TINY: dict[str, Any] = {
    "constituencies": 12,
    "regions": 3,
    "scale": 0.03,
    "hours": 36,
    "anomalies": "excess,outside,mismatch,spike,offline",
}


def cells_named(names: Sequence[str] | None) -> list[Cell]:
    """The cells of ``names`` (all when None); an unknown name is an error listing them."""
    if not names:
        return list(CELLS)
    by_name = {c.name: c for c in CELLS}
    unknown = [n for n in names if n not in by_name]
    if unknown:
        raise ValueError(f"unknown cells {unknown}; known: {', '.join(by_name)}")
    return [by_name[n] for n in names]


@dataclass(frozen=True, slots=True)
class Job:
    """One election (scenario x seed) and the arrival orders its cells need."""

    key: str
    seed: int
    scenario: dict[str, Any]
    arrivals: tuple[str, ...]


def plan_jobs(cells: Sequence[Cell], seeds: Sequence[int], base: dict[str, Any]) -> list[Job]:
    """One job per scenario and seed; the reference run always comes first."""
    modes: dict[str, list[str]] = {}
    scenarios: dict[str, dict[str, Any]] = {}
    for cell in cells:
        key = cell.scenario_key(base)
        scenarios[key] = cell.scenario(base)
        modes.setdefault(key, [Arrival.REFERENCE.value])
        if cell.arrival.value not in modes[key]:
            modes[key].append(cell.arrival.value)
    return [
        Job(key, seed, scenarios[key], tuple(modes[key])) for key in scenarios for seed in seeds
    ]


def run_job(job: Job, workdir: Path, *, keep_files: bool = False) -> dict[str, Any]:
    """Simulate one election and replay it in every arrival order of ``job``."""
    started = time.perf_counter()
    label = f"{hashlib.sha256(job.key.encode()).hexdigest()[:10]}-s{job.seed}"
    folder = workdir / label
    folder.mkdir(parents=True, exist_ok=True)
    options = dict(job.scenario)
    hourly = any(Arrival(m).needs_hourly_files for m in job.arrivals)
    election = simulate_both_ways(
        seed=job.seed, workdir=folder, label="sim", hourly=hourly, workers=1, **options
    )
    simulated = time.perf_counter() - started
    runs: dict[str, ArrivalRun] = {}
    try:
        for mode in job.arrivals:
            runs[mode] = run_arrival(election, mode, workdir=folder)
    finally:
        if not keep_files:
            shutil.rmtree(folder, ignore_errors=True)
    reference = runs[Arrival.REFERENCE.value]
    out: dict[str, Any] = {
        "key": job.key,
        "seed": job.seed,
        "simulate_s": round(simulated, 2),
        "transactions": election.truth["totals"]["transactions"],
        "clean_constituencies": len(election.truth["clean_constituencies"]),
        "runs": {},
    }
    for mode, run in runs.items():
        out["runs"][mode] = {
            "evaluation": run.evaluation,
            "seconds": round(run.seconds, 2),
            "deliveries": run.deliveries,
            "alerts": len(run.alerts),
            "withdrawn": run.withdrawn,
            "difference": order_difference(reference.alerts, run.alerts),
        }
    out["seconds"] = round(time.perf_counter() - started, 2)
    return out


@dataclass
class CellResult:
    """A cell over its seeds: the arrival order's figures, the reference's, the differences."""

    cell: Cell
    evaluation: Evaluation = field(default_factory=Evaluation)
    reference: Evaluation = field(default_factory=Evaluation)
    seeds: list[int] = field(default_factory=list)
    differences: list[dict[str, Any]] = field(default_factory=list)  # per seed
    seconds: list[float] = field(default_factory=list)  # per seed: simulate + both runs
    withdrawn: int = 0
    transactions: list[int] = field(default_factory=list)

    @property
    def order_independent(self) -> bool:
        """The arrival order raised exactly the reference run's alerts, in every seed."""
        return all(d["same"] for d in self.differences)

    def failures(self) -> list[str]:
        """Which targets this cell misses, in words."""
        d = self.evaluation.as_dict()
        out = []
        for key, row in d["recall"].items():
            kind = key.split("@")[0]
            target = 1.0 if kind in EXACT_TYPES else RECALL_TARGET
            sized = row.get("detectable")
            if sized is not None:
                if sized["injected"] and sized["detected"] < target * sized["injected"]:
                    out.append(
                        f"recall {key} of detectable size {sized['detected']}/{sized['injected']}"
                    )
            elif row["recall"] < target:
                out.append(f"recall {key} {row['detected']}/{row['injected']}")
        exact_false = {t: n for t, n in d["false_by_type"].items() if t in EXACT_TYPES}
        if exact_false:
            out.append(f"exact false alerts {exact_false}")
        false_total = d["false_warning_per_100_clean_days"] + d["false_critical_per_100_clean_days"]
        if false_total > FALSE_TARGET:
            out.append(f"false {false_total:.2f}/100 c-days")
        if d["false_critical_per_100_clean_days"] > CRITICAL_TARGET:
            out.append(f"critical false {d['false_critical_per_100_clean_days']:.2f}/100 c-days")
        if not self.order_independent:
            extra = sum(len(x["extra"]) for x in self.differences)
            missing = sum(len(x["missing"]) for x in self.differences)
            out.append(f"order: +{extra} / -{missing} alerts vs from scratch")
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "cell": self.cell.name,
            "axis": self.cell.axis,
            "value": self.cell.value,
            "arrival": self.cell.arrival.value,
            "config": {
                k: list(v) if isinstance(v, tuple) else v for k, v in self.cell.config.items()
            },
            "seeds": self.seeds,
            "figures": self.evaluation.as_dict(),
            "reference_figures": self.reference.as_dict(),
            "false_alerts": self.evaluation.false_alerts,
            "order_independent": self.order_independent,
            "differences": [
                {"seed": s, **d} for s, d in zip(self.seeds, self.differences, strict=True)
            ],
            "withdrawn_alerts": self.withdrawn,
            "seconds_per_seed": self.seconds,
            "transactions_per_seed": self.transactions,
            "failures": self.failures(),
        }


def assemble(
    cells: Sequence[Cell], results: Sequence[dict[str, Any]], base: dict[str, Any]
) -> list[CellResult]:
    """Cell results from the job results (a cell takes its arrival order of its scenario)."""
    out = []
    for cell in cells:
        result = CellResult(cell)
        key = cell.scenario_key(base)
        for job in sorted((r for r in results if r["key"] == key), key=lambda r: r["seed"]):
            run = job["runs"][cell.arrival.value]
            ref = job["runs"][Arrival.REFERENCE.value]
            result.evaluation.add(run["evaluation"])
            result.reference.add(ref["evaluation"])
            result.seeds.append(job["seed"])
            result.differences.append(run["difference"])
            result.seconds.append(round(job["simulate_s"] + ref["seconds"] + run["seconds"], 1))
            result.withdrawn += run["withdrawn"]
            result.transactions.append(job["transactions"])
        out.append(result)
    return out


def run_matrix(
    cells: Sequence[Cell],
    seeds: Sequence[int],
    workdir: Path,
    *,
    base: dict[str, Any] | None = None,
    workers: int = 1,
    keep_files: bool = False,
    progress: Callable[[dict[str, Any]], None] | None = None,
) -> list[CellResult]:
    """Run every job of ``cells`` x ``seeds`` (in ``workers`` processes) and assemble cells."""
    base = base or BASE
    jobs = plan_jobs(cells, seeds, base)
    workdir.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    if workers <= 1:
        for job in jobs:
            results.append(run_job(job, workdir, keep_files=keep_files))
            if progress is not None:
                progress(results[-1])
    else:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor, as_completed

        context = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(workers, mp_context=context) as pool:
            futures = [pool.submit(run_job, job, workdir, keep_files=keep_files) for job in jobs]
            for future in as_completed(futures):
                results.append(future.result())
                if progress is not None:
                    progress(results[-1])
    return assemble(cells, results, base)


# -- the Markdown table ----------------------------------------------------------------------

#: table columns: header -> anomaly keys (prefix before "@", and the scope suffix)
COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("spike", "unusual_spike", ""),
    ("night", "night_activity", ""),
    ("drop", "unusual_drop", ""),
    ("offline", "constituency_offline", ""),
    ("deviation", "baseline_deviation", ""),
    ("rejection", "high_rejection_rate", ""),
    ("correlated m/g", "correlated_spike", ""),
    ("region surge m/g", "correlated_spike", "[region]"),
    ("node outage", "constituency_offline", "[node]"),
    ("platform", "platform_outage", ""),
)


def _recall_cell(recall: dict[str, Any], kind: str, scope: str) -> str:
    def matches(key: str) -> bool:
        head = key.removesuffix(" (groups)")
        if head.split("@")[0] != kind:
            return False
        return head.endswith(scope) if scope else "[" not in head

    members = [(k, v) for k, v in recall.items() if matches(k) and not k.endswith("(groups)")]
    groups = [(k, v) for k, v in recall.items() if matches(k) and k.endswith("(groups)")]
    if not members:
        return "-"

    def fmt(rows: list[tuple[str, Any]]) -> str:
        hit = sum(v["detected"] for _, v in rows)
        total = sum(v["injected"] for _, v in rows)
        sized = [v["detectable"] for _, v in rows if "detectable" in v]
        if not sized:
            mark = "" if hit >= RECALL_TARGET * total else " ✗"
            return f"{hit}/{total}{mark}"
        # Of a declared detectable size (evaluation.detectable): the target applies to those.
        d_hit = sum(d["detected"] for d in sized)
        d_total = sum(d["injected"] for d in sized)
        mark = "" if d_hit >= RECALL_TARGET * d_total else " ✗"
        return f"{hit}/{total} (d {d_hit}/{d_total}{mark})"

    text = fmt(members)
    if groups and kind == "correlated_spike":
        text += " · " + fmt(groups)
    return text


def base_label(base: dict[str, Any]) -> str:
    """What the base row actually ran (the base can be overridden on the command line)."""
    return (
        f"{base.get('constituencies')} constituencies, {base.get('regions')} regions, "
        f"{base.get('hours')} h, scale {base.get('scale')}"
    )


def markdown(results: Sequence[CellResult], base: dict[str, Any] | None = None) -> str:
    """One row per cell: recall per type, false alerts, order independence, time per seed."""
    head = ["cell", "axis: value", "exact", *(c[0] for c in COLUMNS)]
    head += ["false /100 c-days", "critical /100", "same as from scratch", "s / seed"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for r in results:
        d = r.evaluation.as_dict()
        recall = d["recall"]
        exact_rows = [v for k, v in recall.items() if k.split("@")[0] in EXACT_TYPES]
        hit = sum(v["detected"] for v in exact_rows)
        total = sum(v["injected"] for v in exact_rows)
        exact_false = sum(n for t, n in d["false_by_type"].items() if t in EXACT_TYPES)
        exact = f"{hit}/{total}" + ("" if hit == total else " ✗")
        if exact_false:
            exact += f", {exact_false} false ✗"
        false_total = d["false_warning_per_100_clean_days"] + d["false_critical_per_100_clean_days"]
        crit = d["false_critical_per_100_clean_days"]
        extra = sum(len(x["extra"]) for x in r.differences)
        missing = sum(len(x["missing"]) for x in r.differences)
        same = "yes" if r.order_independent else f"no (+{extra} -{missing}) ✗"
        seconds = sorted(r.seconds)[len(r.seconds) // 2] if r.seconds else 0
        value = base_label(base) if base and r.cell.name == "base" else r.cell.value
        row = [
            r.cell.name,
            f"{r.cell.axis}: {value}",
            exact,
            *(_recall_cell(recall, kind, scope) for _, kind, scope in COLUMNS),
            f"{false_total:.2f}" + (" ✗" if false_total > FALSE_TARGET else ""),
            f"{crit:.2f}" + (" ✗" if crit > CRITICAL_TARGET else ""),
            same,
            f"{seconds:.0f}",
        ]
        lines.append("| " + " | ".join(row) + " |")
    return "\n".join(lines)
