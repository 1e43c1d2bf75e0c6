"""kill -9 trials: ingest and detection killed at random points, rerun, compared table by table.

Each trial kills ``elmon ingest`` after a random number of committed rows and ``elmon detect``
at a random moment, reruns both, and compares a fingerprint of every table with one clean run
(``benchmarks/_kill.py``). The baseline is that clean run: the figure is how many of the trials
end identical to it. JSON on stdout, one object per backend.

    python benchmarks/ingest_kill.py --trials 100
    python benchmarks/ingest_kill.py --trials 100 --postgres postgresql+psycopg://postgres@127.0.0.1/elmon_test
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

from benchmarks._kill import trials


def run(backend: str, n: int, seed: int, admin_url: str | None, votes: int) -> dict[str, object]:
    started = time.monotonic()
    done = []
    with tempfile.TemporaryDirectory() as folder:
        for trial in trials(backend, Path(folder), n, seed=seed, admin_url=admin_url, votes=votes):
            done.append(trial)
            print(json.dumps(asdict(trial)), file=sys.stderr, flush=True)
    return {
        "backend": backend,
        "trials": len(done),
        "identical": sum(t.identical for t in done),
        "ingest_killed_mid_run": sum(t.ingest_killed for t in done),
        "detect_killed_mid_run": sum(t.detect_killed for t in done),
        "differing": [asdict(t) for t in done if not t.identical],
        "seed": seed,
        "votes_per_contract": votes,
        "seconds": round(time.monotonic() - started, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=100)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--votes", type=int, default=300, help="votes per contract (2 contracts)")
    parser.add_argument("--postgres", help="admin URL: run the PostgreSQL trials too")
    parser.add_argument("--only-postgres", action="store_true")
    args = parser.parse_args()
    backends = [] if args.only_postgres else ["sqlite"]
    if args.postgres:
        backends.append("postgres")
    for backend in backends:
        result = run(backend, args.trials, args.seed, args.postgres, args.votes)
        print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main()
