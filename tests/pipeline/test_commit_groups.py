"""Many files share one commit: a bad file rolls back alone, counts per file do not change,
and a run killed mid-way then started again reaches the state of a clean run."""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sqlalchemy import Engine, text

from election_monitor.db import migrate
from election_monitor.db.session import make_engine
from election_monitor.detection.service import DetectionHook
from election_monitor.ingest.service import IngestSummary, ingest_file, ingest_paths
from tests.pipeline.chain import HOUR_MS, T0, Voting, line, write_csv
from tests.pipeline.conftest import snapshot

COUNTS = ("status", "rows_read", "inserted", "duplicates", "rejected")


def clean_engine(tmp_path: Path, name: str = "clean") -> Engine:
    """A fresh SQLite database with the pipeline fixture's election."""
    engine = make_engine(f"sqlite:///{tmp_path / f'{name}.db'}")
    migrate.upgrade(engine)
    with engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO elections (id, name, start_date, end_date, status, "
                "total_constituencies, timezone) VALUES ('E1', 'Test election', "
                "'2026-09-18 05:00:00', '2026-09-20 17:00:00', 'active', 0, 'Europe/Moscow')"
            )
        )
    return engine


def hourly_files(folder: Path, contracts: int, hours: int, votes: int) -> list[Path]:
    """Per contract one file per hour; the first holds the contract's creation."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for c in range(contracts):
        v = Voting(f"CONTRACT{c}")
        v.create()
        v.call("startVoting", T0)
        for h in range(hours):
            start = len(v.lines)
            for i in range(votes):
                ts = T0 + h * HOUR_MS + i * 1000
                v.issue(ts)
                v.vote(ts + 300, f"K{c}-{(h * votes + i) % (hours * votes - 3)}")  # revotes
            chunk = v.lines[start:] if h else v.lines
            name = f"CONTRACT{c}_20260918T{6 + h:02d}.csv"
            paths.append(write_csv(folder / name, chunk))
    return paths


def per_file(summary: IngestSummary) -> dict[str, tuple[object, ...]]:
    return {Path(f.path).name: tuple(getattr(f, n) for n in COUNTS) for f in summary.files}


def test_a_damaged_file_in_the_middle_of_a_commit_rolls_back_alone(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    first = hourly_files(tmp_path / "a", contracts=1, hours=1, votes=20)[0]
    # A new constituency whose rows reach the database before the damage is found: its
    # savepoint takes them back, and the next file of the same contract creates it again.
    v = Voting("CONTRACTB")
    v.create()
    lines = v.lines + [v.vote(T0 + i * 10, f"B{i}") for i in range(3000)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    damaged = tmp_path / "b" / "CONTRACTB_dump.csv.gz"
    damaged.parent.mkdir()
    damaged.write_bytes(data[: len(data) // 2])
    w = Voting("CONTRACTB")
    w.create()
    w.issue(T0 + 5000)
    w.vote(T0 + 6000, "W1")
    (tmp_path / "c").mkdir()
    last = write_csv(tmp_path / "c" / "CONTRACTB_late.csv", w.lines)

    summary = ingest_paths(pipeline_engine, [first, damaged, last], batch_size=100)

    [failed] = summary.failed
    assert failed.path == str(damaged)
    assert failed.error is not None
    assert "damaged file" in failed.error
    assert failed.inserted == 0  # nothing of it stands: the commit was still open
    assert [f.status for f in summary.files] == ["completed", "failed", "completed"]
    with pipeline_engine.connect() as conn:
        job = conn.execute(
            text(
                "SELECT status, transactions_processed, rows_inserted FROM file_processing_jobs "
                "WHERE path = :p"
            ),
            {"p": str(damaged)},
        ).one()
        stored_b = conn.execute(
            text("SELECT COUNT(*) FROM transactions WHERE id LIKE 'CONTRACTBV%'")
        ).scalar_one()
    assert tuple(job) == ("failed", 0, 0)
    assert stored_b == 1  # only the late file's vote
    clean = clean_engine(tmp_path)
    ingest_paths(clean, [first, last])
    assert snapshot(pipeline_engine) == snapshot(clean)


def test_counts_per_file_equal_those_of_one_file_at_a_time(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    paths = hourly_files(tmp_path / "data", contracts=3, hours=4, votes=15)
    # A repeated line (duplicate), a reused id with other content (conflict), an unreadable
    # line (rejected) and a rollback of a transaction another file holds.
    extra = tmp_path / "data" / "CONTRACT1_20260918T20.csv"
    lines = paths[5].read_text().splitlines()  # issue, vote, issue, vote, ...
    changed = lines[2].replace(";SENDER;", ";OTHER;")
    assert changed != lines[2]
    rolled = lines[1].split(";")[0]
    write_csv(
        extra,
        [
            lines[0],
            changed,
            "not;a;line",
            line(rolled, T0 + 2 * HOUR_MS, rollback=True),
        ],
    )
    paths.append(extra)

    together = ingest_paths(pipeline_engine, [tmp_path / "data"], batch_size=7)

    clean = clean_engine(tmp_path)
    alone = IngestSummary()
    for path in sorted(paths, key=lambda p: p.name):
        alone.files += ingest_paths(clean, [path], batch_size=7).files
    assert per_file(together) == per_file(alone)
    assert together.total("duplicates") >= 1
    assert together.total("rejected") >= 2
    assert snapshot(pipeline_engine) == snapshot(clean)
    with pipeline_engine.connect() as conn:
        jobs = conn.execute(
            text("SELECT COUNT(*), SUM(transactions_processed) FROM file_processing_jobs")
        ).one()
    assert tuple(jobs) == (len(paths), together.total("rows_read"))
    assert together.total("rows_read") == (
        together.total("inserted") + together.total("duplicates") + together.total("rejected")
    )


def test_kill_9_in_a_run_of_many_files_then_rerun_matches_a_clean_run(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    folder = tmp_path / "data"
    hourly_files(folder, contracts=4, hours=8, votes=25)  # 32 files of ~50 rows
    url = pipeline_engine.url.render_as_string(hide_password=False)
    env = {**os.environ, "ELMON_INGEST_BATCH_SIZE": "40", "ELMON_INGEST_COMMIT_ROWS": "120"}
    command = [sys.executable, "-m", "election_monitor", "--database-url", url, "ingest"]
    proc = subprocess.Popen(
        [*command, str(folder)], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    deadline = time.monotonic() + 60
    done = 0
    while done < 4 and time.monotonic() < deadline:
        time.sleep(0.02)
        with pipeline_engine.connect() as conn:
            done = conn.execute(
                text("SELECT COUNT(*) FROM file_processing_jobs WHERE status = 'completed'")
            ).scalar_one()
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert 0 < done < 32, "the kill must land mid-run"

    rerun = subprocess.run([*command, str(folder)], env=env, capture_output=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    clean = clean_engine(tmp_path)
    ingest_paths(clean, [folder], batch_size=40, commit_rows=120)
    assert snapshot(pipeline_engine) == snapshot(clean)

    again = ingest_paths(pipeline_engine, [folder])
    assert {f.status for f in again.files} == {"skipped"}
    assert again.total("inserted") == 0
    assert snapshot(pipeline_engine) == snapshot(clean)
    with pipeline_engine.connect() as conn:
        statuses = conn.execute(
            text("SELECT status, COUNT(*) FROM file_processing_jobs GROUP BY status")
        ).all()
    assert [tuple(s) for s in statuses] == [("completed", 32)]


def test_ingest_file_alone_commits_its_job(pipeline_engine: Engine, tmp_path: Path) -> None:
    [path] = hourly_files(tmp_path, contracts=1, hours=1, votes=5)
    summary = IngestSummary()
    result = ingest_file(
        pipeline_engine,
        path,
        election_id=None,
        fmt="auto",
        batch_size=4,
        commit_rows=8,
        reprocess=False,
        progress=None,
        hooks=[],
        summary=summary,
    )
    assert (result.status, result.rows_read, result.inserted) == ("completed", 12, 12)
    assert summary.constituencies == {"CONTRACT0"}
    with pipeline_engine.connect() as conn:
        status = conn.execute(text("SELECT status FROM file_processing_jobs")).scalar_one()
    assert status == "completed"


class SmallMemoryHook(DetectionHook):
    KEEP_REPORTS = 2


def test_detection_hook_keeps_few_reports_and_counts_them_all(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    paths = hourly_files(tmp_path, contracts=2, hours=3, votes=5)
    hook = SmallMemoryHook()
    ingest_paths(pipeline_engine, paths, election_id="E1", hooks=[hook], commit_rows=10)
    assert len(hook.reports) == 2
    assert sum(hook.totals.passes.values()) > 2
    assert hook.totals.passes.get("exact", 0) >= len(paths) // 2
