"""Detection quality against the simulator's ground truth, over several seeds and noise levels.

Each (noise, seed) election is simulated, its registry imported and its files ingested into its
own SQLite file under ``--workdir``; detection then runs from scratch and is scored against
``truth.json`` (``election_monitor.detection.evaluation``). With ``--reuse`` an election that
is already ingested there is only detected and scored again (for tuning the detectors).

    python benchmarks/detection_eval.py --seeds 1 2 3 --constituencies 80 --scale 0.25 \\
        --noise default noisy --workdir /tmp/elmon-deteval --reuse

Prints one line per run and, per noise level and overall, recall per anomaly type and
magnitude, precision, false alerts per 100 clean constituency-days (warning / critical) and
the median detection delay; ``--json FILE`` writes everything.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from election_monitor.detection.evaluation import Evaluation, detect_and_score, prepare_seed
from election_monitor.simulate.config import ModelParams

#: Noise levels: the simulator's defaults, and stronger shocks and phase jitter.
NOISE: dict[str, dict[str, float]] = {
    "default": {},
    "noisy": {"k_regional": 10.0, "k_idio": 40.0, "phase_sd_hours": 0.75},
}


def offline_hours_to_alert(db_path: Path, truth: dict[str, Any]) -> list[int | None]:
    """Per injected offline gap: silent hours until the offline rule fires (None: never).

    Recall counts an alert whose window starts at the gap; this says how long it took.
    """
    from sqlalchemy import select

    from election_monitor.db.session import make_engine
    from election_monitor.detection.frame import load_frame
    from election_monitor.detection.model import fit
    from election_monitor.detection.settings import DetectionSettings
    from election_monitor.models import Election
    from election_monitor.timeutil import parse_datetime

    out: list[int | None] = []
    engine = make_engine(f"sqlite:///{db_path}")
    with engine.connect() as conn:
        settings = DetectionSettings()
        frame = load_frame(conn, str(conn.scalar(select(Election.id))), settings)
        model = fit(frame, settings)
        for x in truth["anomalies"]:
            if x["type"] != "constituency_offline":
                continue
            c = frame.index[x["constituency_id"]]
            t0 = frame.hour_index(parse_datetime(x["start"]))
            t1 = frame.hour_index(parse_datetime(x["end"]))
            k, mu = model.k_eff[c, t0:t1], model.mu_offline[c, t0:t1]
            ln_p = np.cumsum(k * np.log(k / (k + np.maximum(mu, 0.0))))
            expected = np.cumsum(mu)
            hits = [
                i + 1
                for i in range(len(ln_p))
                if ln_p[i] <= settings.offline_log_p
                and expected[i] >= settings.offline_min_expected
            ]
            out.append(hits[0] if hits else None)
    engine.dispose()
    return out


def table(name: str, ev: Evaluation) -> str:
    d = ev.as_dict()
    lines = [
        f"### {name}",
        "",
        "| anomaly @ magnitude | injected | detected | recall | median delay (h) |",
        "|---|---|---|---|---|",
    ]
    for key, row in d["recall"].items():
        delay = row["median_delay_h"]
        lines.append(
            f"| {key} | {row['injected']} | {row['detected']} | {row['recall']:.2f} | "
            f"{'' if delay is None else delay} |"
        )
    buckets = ((0.0, 30.0), (30.0, 100.0), (100.0, float("inf")))
    sized: dict[str, list[str]] = {}
    for key in sorted({o["key"] for o in ev.outcomes if o["expected_bulletins"] is not None}):
        cells = []
        for lo, hi in buckets:
            rows = [
                o
                for o in ev.outcomes
                if o["key"] == key
                and o["expected_bulletins"] is not None
                and lo <= o["expected_bulletins"] < hi
            ]
            if rows:
                hit = sum(1 for o in rows if o["detected"])
                cells.append(f"{hit}/{len(rows)} at {lo:.0f}-{hi:.0f}")
        sized[key] = cells
    lines += ["", "recall by expected bulletins in the injected hour (clean rate):"]
    lines += [f"- {key}: {', '.join(cells)}" for key, cells in sized.items()]
    lines += [
        "",
        f"precision {d['precision']}; alerts {d['alerts']}; clean constituency-days "
        f"{d['clean_constituency_days']}; false alerts per 100 clean constituency-days: "
        f"warning {d['false_warning_per_100_clean_days']}, critical "
        f"{d['false_critical_per_100_clean_days']}; false by type {d['false_by_type']}",
        "",
    ]
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    ap.add_argument("--constituencies", type=int, default=80)
    ap.add_argument("--scale", type=float, default=0.25)
    ap.add_argument("--regions", type=int, default=5, help="regions (each in its own zone)")
    ap.add_argument("--anomalies", default="all", help="simulator spec (docs/simulation.md)")
    ap.add_argument("--noise", nargs="+", default=["default", "noisy"], choices=sorted(NOISE))
    ap.add_argument("--workdir", type=Path, default=Path("/tmp/elmon-deteval"))
    ap.add_argument("--reuse", action="store_true", help="re-detect already ingested elections")
    ap.add_argument("--prepare-only", action="store_true", help="simulate and ingest only")
    ap.add_argument("--settings", type=Path, default=None, help="detection settings TOML")
    ap.add_argument("--json", type=Path, default=None)
    args = ap.parse_args()
    args.workdir.mkdir(parents=True, exist_ok=True)
    totals: dict[str, Evaluation] = {"all": Evaluation()}
    runs: list[dict[str, Any]] = []
    for noise in args.noise:
        totals[noise] = Evaluation()
        for seed in args.seeds:
            label = f"{noise}-n{args.constituencies}-s{args.scale}-seed{seed}"
            if args.regions != 5:
                label += f"-r{args.regions}"
            if args.anomalies != "all":
                label += "-" + args.anomalies.replace(":", "_").replace(",", "+")
            db_path = args.workdir / f"{label}.db"
            truth_path = args.workdir / label / "truth.json"
            started = time.perf_counter()
            timings: dict[str, Any] = {}
            if args.reuse and db_path.exists() and (args.workdir / f"{label}.ok").exists():
                truth = orjson.loads(truth_path.read_bytes())
            else:
                db_path, truth, timings = prepare_seed(
                    seed=seed,
                    constituencies=args.constituencies,
                    workdir=args.workdir,
                    name=label,
                    anomalies=args.anomalies,
                    scale=args.scale,
                    regions=args.regions,
                    model=ModelParams(**NOISE[noise]),  # type: ignore[arg-type]
                )
                (args.workdir / f"{label}.ok").write_text("ok")
            if args.prepare_only:
                print(label, timings, flush=True)
                continue
            ev, more = detect_and_score(db_path, truth, settings_path=args.settings)
            timings.update(
                detect_s=more["detect_s"], total_s=round(time.perf_counter() - started, 1)
            )
            timings["offline_silent_hours_to_alert"] = offline_hours_to_alert(db_path, truth)
            totals[noise].add(ev)
            totals["all"].add(ev)
            d = ev.as_dict()
            print(
                f"{label}: precision {d['precision']} false/100cd warn "
                f"{d['false_warning_per_100_clean_days']} crit "
                f"{d['false_critical_per_100_clean_days']} {d['false_by_type']} "
                f"missed {[k for k, v in d['recall'].items() if v['recall'] < 1]} {timings}",
                flush=True,
            )
            runs.append({"label": label, "figures": d, "timings": timings})
    if args.prepare_only:
        return
    for name, ev in totals.items():
        print(table(name, ev))
    if args.json:
        args.json.write_bytes(
            orjson.dumps(
                {"runs": runs, "totals": {k: v.as_dict() for k, v in totals.items()}},
                option=orjson.OPT_INDENT_2,
            )
        )


if __name__ == "__main__":
    main()
