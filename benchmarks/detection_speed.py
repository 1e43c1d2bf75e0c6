"""Detection speed: from scratch, and incrementally after one hourly batch.

Builds a synthetic election of ``--constituencies`` x ``--hours`` hourly statistics (the
detection tests' generator, tests/detection/builders.py) in a SQLite file, then times

- ``detect`` from scratch over all hours (issue 5: < 5 s for 500 x 72 h);
- the ingest hook (``DetectionHook``) after one more hourly batch that touches every
  constituency and completes an hour, i.e. exact rules for the touched buckets plus the full
  statistical pass (issue 5: < 1 s).

    python benchmarks/detection_speed.py --constituencies 500 --hours 72
"""

from __future__ import annotations

import argparse
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
    with Session(engine) as db:
        builders.write(db, syn, upto=args.hours)
        db.commit()
    hour = syn.start + (args.hours - 1) * builders.HOUR
    batch = Batch(set(syn.ids), {(cid, hour) for cid in syn.ids})
    with engine.begin() as conn:
        t0 = time.perf_counter()
        hook(conn, batch)
        incremental = time.perf_counter() - t0
    print(
        f"{args.constituencies} constituencies x {args.hours} h: detect from scratch "
        f"{min(scratch):.2f} s (best of {args.repeat}; {', '.join(f'{x:.2f}' for x in scratch)}); "
        f"incremental after one hourly batch touching every constituency (exact + statistical "
        f"pass) {incremental:.2f} s; mode {hook.reports[-1].mode}"
    )
    engine.dispose()


if __name__ == "__main__":
    main()
