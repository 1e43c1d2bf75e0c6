"""How an election's files reach the monitor, replayed for the evaluation.

Live, observers do not get an election in one piece: the publisher drops hourly chunks, or one
export per contract that is read one after another, files come late or twice. Detection runs
on every ingested batch (the ``DetectionHook``), so what observers were shown depends on that
order unless the detectors are order independent. This module turns one simulated election
(written once as one export per contract and once as hourly chunks: the same transactions)
into the file sequence of each arrival mode and ingests it into a fresh database, so that the
alerts of every mode can be compared with the reference run (hook off, then ``detect`` from
scratch).
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from sqlalchemy import Engine

#: share of hourly chunks that arrive late, and how many hours late at most (late mode)
LATE_SHARE = 0.05
LATE_MAX_HOURS = 6
#: share of hourly chunks delivered a second time (under resent/, one hour later: the same
#: lines re-exported in the opposite order, so the file is new and every row a duplicate)
DUPLICATE_SHARE = 0.05


class Arrival(StrEnum):
    """An order in which the files of an election arrive."""

    REFERENCE = "reference"  # every file, detection hook off, then `detect` from scratch
    CONTRACT = "contract"  # one export per contract, read one after another (name order)
    HOURLY = "hourly"  # hourly chunks in time order (a live feed)
    SHUFFLED = "shuffled"  # one export per contract, in a random order
    LATE = "late-duplicated"  # hourly chunks in time order, some late, some delivered twice

    @property
    def needs_hourly_files(self) -> bool:
        """Whether the mode reads the hourly chunks (else one export per contract)."""
        return self in (Arrival.HOURLY, Arrival.LATE)


@dataclass(frozen=True, slots=True)
class Delivery:
    """One ingest call: the files that arrive together (each file is its own job)."""

    files: tuple[Path, ...]


def chunk_hour(path: Path) -> str:
    """The UTC hour of an hourly chunk ``<contractId>_<YYYYMMDD>T<HH>.csv``."""
    return path.stem.rsplit("_", 1)[-1]


def deliveries(
    mode: Arrival, files: list[Path], *, seed: int, resend_dir: Path | None = None
) -> list[Delivery]:
    """The file sequence of ``mode`` (``files``: one export per contract or hourly chunks).

    ``resend_dir`` receives the copies of the files delivered twice (late mode).
    """
    ordered = sorted(files)
    rng = random.Random(f"arrival-{mode}-{seed}")
    if mode == Arrival.REFERENCE:
        return [Delivery(tuple(ordered))]
    if mode == Arrival.CONTRACT:
        return [Delivery((f,)) for f in ordered]
    if mode == Arrival.SHUFFLED:
        shuffled = list(ordered)
        rng.shuffle(shuffled)
        return [Delivery((f,)) for f in shuffled]
    by_hour: dict[str, list[Path]] = defaultdict(list)
    for f in ordered:
        by_hour[chunk_hour(f)].append(f)
    hours = sorted(by_hour)
    if mode == Arrival.HOURLY:
        return [Delivery(tuple(by_hour[h])) for h in hours]
    if resend_dir is None:
        raise ValueError("the late-duplicated mode needs a folder for the resent files")
    resend_dir.mkdir(parents=True, exist_ok=True)
    slots: list[list[Path]] = [[] for _ in range(len(hours) + LATE_MAX_HOURS + 1)]
    for i, h in enumerate(hours):
        for f in by_hour[h]:
            delay = rng.randint(1, LATE_MAX_HOURS) if rng.random() < LATE_SHARE else 0
            slots[i + delay].append(f)
            if rng.random() < DUPLICATE_SHARE:
                copy = resend_dir / f.name
                lines = f.read_bytes().splitlines(keepends=True)
                copy.write_bytes(b"".join(reversed(lines)))
                slots[i + delay + 1].append(copy)
    return [Delivery(tuple(s)) for s in slots if s]


def replay(
    engine: Engine,
    election_id: str,
    mode: Arrival,
    files: list[Path],
    *,
    seed: int,
    workdir: Path,
    settings_path: Path | str | None = None,
) -> int:
    """Ingest ``files`` as ``mode`` delivers them; returns the number of ingest calls.

    The reference mode ingests with no hook and then runs ``detect`` once; every other mode
    keeps one ``DetectionHook`` for the whole replay, as a long-running ``elmon watch`` would.
    """
    from election_monitor.detection.service import DetectionHook, detect
    from election_monitor.ingest.service import ingest_paths

    plan = deliveries(mode, files, seed=seed, resend_dir=workdir / "resent")
    if mode == Arrival.REFERENCE:
        for delivery in plan:
            ingest_paths(engine, list(delivery.files), election_id=election_id)
        with engine.begin() as conn:
            detect(conn, election_id=election_id, settings_path=settings_path)
        return len(plan)
    hook = DetectionHook(settings_path=settings_path)
    for delivery in plan:
        ingest_paths(engine, list(delivery.files), election_id=election_id, hooks=[hook])
    return len(plan)
