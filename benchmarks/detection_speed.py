"""Detection speed: from scratch, and incrementally after one hourly batch.

Builds a synthetic election of ``--constituencies`` x ``--hours`` hourly statistics (the
detection tests' generator, tests/detection/builders.py) in a SQLite file, then times

- ``detect`` from scratch over all hours (issue 5: < 5 s for 500 x 72 h);
- the ingest hook (``DetectionHook``) after one more hourly batch that touches every
  constituency and settles an hour, i.e. exact rules for the touched buckets plus the
  statistical pass at the end of the file (issue 12: < 1 s);
- the hook after a batch touching one constituency that settles nothing (exact rules for that
  constituency only: the cost proportional to what changed), against the same for all.

Prints one JSON object.

    python benchmarks/detection_speed.py --constituencies 500 --hours 72
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.detection import DetectionHook, detect

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.detection import builders


@dataclass
class Batch:
    """The part of an ingest batch the hook reads."""

    constituencies: set[str]
    buckets: set[tuple[str, datetime]]
    rejections: list[Any] = field(default_factory=list)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--constituencies", type=int, default=500)
    ap.add_argument("--hours", type=int, default=72)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="elmon-detspeed-"))
    engine = make_engine(f"sqlite:///{folder / 'speed.db'}")
    migrate.upgrade(engine)
    syn = builders.make(n=args.constituencies, hours=args.hours, regions=10, seed=5)
    with Session(engine) as db:
        builders.write(db, syn, upto=args.hours - 1)
        db.commit()
    scratch = []
    for _ in range(args.repeat):
        with engine.begin() as conn:
            t0 = time.perf_counter()
            detect(conn, election_id=syn.election_id)
            scratch.append(time.perf_counter() - t0)
    hook = DetectionHook()
    with engine.begin() as conn:  # the hook has seen the election up to now
        hook(conn, Batch(set(syn.ids), set()))
        hook.file_done(conn)
    hour = syn.start + (args.hours - 2) * builders.HOUR
    small: list[float] = []
    for cid in syn.ids[: args.repeat]:  # one constituency's late file: nothing settles
        with engine.begin() as conn:
            t0 = time.perf_counter()
            hook(conn, Batch({cid}, {(cid, hour)}))
            hook.file_done(conn)
            small.append(time.perf_counter() - t0)
    with Session(engine) as db:
        builders.write(db, syn, upto=args.hours)
        db.commit()
    hour = syn.start + (args.hours - 1) * builders.HOUR
    batch = Batch(set(syn.ids), {(cid, hour) for cid in syn.ids})
    with engine.begin() as conn:
        t0 = time.perf_counter()
        hook(conn, batch)
        exact_all = time.perf_counter() - t0
        hook.file_done(conn)
        incremental = time.perf_counter() - t0
    print(
        json.dumps(
            {
                "constituencies": args.constituencies,
                "hours": args.hours,
                "detect_from_scratch_s": round(min(scratch), 3),
                "detect_from_scratch_runs_s": [round(x, 3) for x in scratch],
                "hourly_batch_all_constituencies_s": round(incremental, 3),
                "of_which_exact_rules_s": round(exact_all, 3),
                "statistical_pass_ran": hook.reports[-1].mode == "statistical",
                "batch_one_constituency_nothing_settles_s": round(min(small), 3),
                "ratio_one_to_all_exact": round(min(small) / exact_all, 4),
            }
        )
    )
    engine.dispose()


if __name__ == "__main__":
    main()
