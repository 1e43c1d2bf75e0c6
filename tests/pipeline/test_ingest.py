"""Ingest end to end on real files: exact counts, idempotency, rollbacks, bad rows."""

from __future__ import annotations

import gzip
from pathlib import Path

from sqlalchemy import Engine, func, select

from election_monitor.ingest.service import ingest_paths
from election_monitor.metrics.service import refresh_hours, refresh_totals
from election_monitor.models import (
    Constituency,
    FileProcessingJob,
    HourlyStats,
    RejectedRow,
    Transaction,
)
from tests.pipeline.chain import HOUR_MS, T0, Voting, write_csv, write_zip
from tests.pipeline.conftest import snapshot


def build_voting(contract: str = "CONTRACTA") -> Voting:
    v = Voting(contract)
    v.create()
    v.call("addVotersList", T0 - 1000, userIdHashes='["a","b","c","d","e","f"]')
    v.call("startVoting", T0, dateStart="2026-09-18T08:00:00+03:00")
    v.issue(T0 + 1000)
    v.issue(T0 + 2000, users=3)  # an older multi-voter issuance: three bulletins
    v.issue(T0 + 3000, fail=True)  # refused by the contract: no bulletin
    v.vote(T0 + 60_000, "VOTER1")
    v.vote(T0 + 61_000, "VOTER2")
    v.vote(T0 + 62_000, "VOTER3", reject=True)  # FAIL: kept, never counted
    v.vote(T0 + HOUR_MS + 5_000, "VOTER1")  # a revote: same voter, counted once
    v.vote(T0 + HOUR_MS + 6_000, "VOTER4")
    return v


def test_export_counts_follow_the_counting_rules(pipeline_engine: Engine, tmp_path: Path) -> None:
    v = build_voting()
    path = write_csv(tmp_path / "CONTRACTA_dump.csv", v.lines)

    summary = ingest_paths(pipeline_engine, [path])

    totals = summary.as_dict()
    assert totals["rows_read"] == len(v.lines) == 11
    assert totals["transactions_inserted"] == 8
    assert totals["events_inserted"] == 3
    # the rejected vote and the refused issuance are inserted (evidence), just not counted
    assert totals["inserted"] == 11
    assert totals["duplicates"] == 0
    assert totals["rejected_rows"] == 0
    with pipeline_engine.connect() as conn:
        c = conn.execute(select(Constituency).where(Constituency.id == "CONTRACTA")).one()
        hours = conn.execute(
            select(HourlyStats.votes_cast, HourlyStats.vote_calls, HourlyStats.bulletins_issued)
            .where(HourlyStats.constituency_id == "CONTRACTA")
            .order_by(HourlyStats.hour)
        ).all()
    assert c.bulletins_issued == v.bulletins == 4
    assert c.votes_cast == len(v.voters) == 3
    assert c.revotes == 1
    assert c.rejected_votes == 1
    assert c.voters_listed == 6
    assert c.participation_rate == 50.0
    assert c.name == "Выборы депутатов"
    assert c.inferred
    assert [tuple(h) for h in hours] == [(2, 2, 4), (2, 2, 0)]


def test_every_row_ends_inserted_duplicate_or_rejected(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    v = build_voting()
    bad = [
        "only;three;fields",
        v.lines[5].replace(";4;", ";4;notanumber-ts;", 1).replace(";SENDER;", ";", 1),
        "",
        v.lines[6],  # the same line twice in one file: a duplicate
    ]
    path = write_csv(tmp_path / "CONTRACTA_dump.csv", v.lines + bad)

    summary = ingest_paths(pipeline_engine, [path]).as_dict()

    read = summary["rows_read"]
    assert read == summary["inserted"] + summary["duplicates"] + summary["rejected_rows"]
    assert summary["duplicates"] == 1
    assert summary["rejected_rows"] == 2
    with pipeline_engine.connect() as conn:
        rejected = conn.execute(select(RejectedRow.line, RejectedRow.reason)).all()
    assert sorted(r.line for r in rejected) == [12, 13]  # line 14 is blank: skipped
    assert all(r.reason for r in rejected)


def test_reingesting_the_same_file_adds_nothing(pipeline_engine: Engine, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "CONTRACTA_dump.csv", build_voting().lines)
    ingest_paths(pipeline_engine, [path])
    before = snapshot(pipeline_engine)

    skipped = ingest_paths(pipeline_engine, [path]).as_dict()
    reread = ingest_paths(pipeline_engine, [path], reprocess=True).as_dict()

    assert skipped["skipped_files"] == 1
    assert skipped["inserted"] == 0
    assert reread["inserted"] == 0
    assert reread["duplicates"] == reread["rows_read"] == 11
    assert snapshot(pipeline_engine) == before


def test_overlapping_files_in_any_order_reach_the_same_state(
    pipeline_engine: Engine, empty_database_url: str, tmp_path: Path
) -> None:
    v = build_voting()
    first = write_zip(tmp_path / "CONTRACTA_part1.zip", "CONTRACTA.csv", v.lines[:9])
    second = tmp_path / "CONTRACTA_part2.csv.gz"
    with gzip.open(second, "wt", encoding="utf-8") as fh:
        fh.write("\n".join(v.lines[5:]) + "\n")  # overlaps rows 6..9

    ingest_paths(pipeline_engine, [first, second])
    forward = snapshot(pipeline_engine)
    with pipeline_engine.begin() as conn:
        for table in (
            "rejected_rows",
            "file_processing_jobs",
            "hourly_stats",
            "transactions",
            "transaction_rollbacks",
            "contract_events",
            "constituencies",
        ):
            conn.exec_driver_sql(f"DELETE FROM {table}")
    ingest_paths(pipeline_engine, [second, first][::1][::-1][::-1])  # second first
    assert snapshot(pipeline_engine)["constituencies"] == forward["constituencies"]
    assert snapshot(pipeline_engine)["hourly"] == forward["hourly"]


def test_rollback_applies_whichever_file_comes_first(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    v = build_voting()
    vote_line = v.lines[-1]  # VOTER4's vote
    rollback_line = vote_line[: vote_line.rstrip().rfind(";") + 1] + "-1"
    rollback_file = write_csv(tmp_path / "CONTRACTA_rollbacks.csv", [rollback_line])
    data_file = write_csv(tmp_path / "CONTRACTA_dump.csv", v.lines)

    ingest_paths(pipeline_engine, [rollback_file])  # the rollback arrives first
    ingest_paths(pipeline_engine, [data_file])

    with pipeline_engine.connect() as conn:
        c = conn.execute(select(Constituency).where(Constituency.id == "CONTRACTA")).one()
    assert c.votes_cast == 2  # VOTER1, VOTER2; VOTER4's vote was rolled back
    again = ingest_paths(pipeline_engine, [rollback_file], reprocess=True).as_dict()
    assert again["duplicates"] == 1
    assert again["inserted"] == 0


def test_transaction_id_reused_with_other_content_is_rejected_as_conflict(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    v = build_voting()
    original = write_csv(tmp_path / "CONTRACTA_a.csv", v.lines)
    changed = v.lines[6].replace(";VOTER1;", ";VOTERX;").replace("VOTE_VOTER1", "VOTE_VOTERX")
    other = write_csv(tmp_path / "CONTRACTA_b.csv", [changed])

    ingest_paths(pipeline_engine, [original])
    result = ingest_paths(pipeline_engine, [other]).as_dict()

    assert result["rejected_rows"] == 1
    assert result["inserted"] == 0
    with pipeline_engine.connect() as conn:
        row = conn.execute(select(RejectedRow.kind, RejectedRow.tx_id, RejectedRow.reason)).one()
    assert row.kind == "conflict"
    assert row.tx_id is not None
    assert "reused" in row.reason


def test_rewritten_file_is_reported(pipeline_engine: Engine, tmp_path: Path) -> None:
    v = build_voting()
    path = write_csv(tmp_path / "CONTRACTA_dump.csv", v.lines[:8])
    ingest_paths(pipeline_engine, [path])
    write_csv(path, v.lines)  # the publisher replaced the file with more (and changed) bytes

    result = ingest_paths(pipeline_engine, [path])

    assert result.files[0].rewritten_from is not None
    with pipeline_engine.connect() as conn:
        details = conn.scalars(
            select(FileProcessingJob.details).order_by(FileProcessingJob.started_at)
        ).all()
    assert len(details) == 2
    assert '"rewritten_from"' in (details[1] or "")


def test_windows_1251_export_reads_cyrillic(pipeline_engine: Engine, tmp_path: Path) -> None:
    v = build_voting()
    path = write_csv(tmp_path / "CONTRACTA_dump.csv", v.lines, encoding="cp1251")

    ingest_paths(pipeline_engine, [path])

    with pipeline_engine.connect() as conn:
        name = conn.scalar(select(Constituency.name).where(Constituency.id == "CONTRACTA"))
    assert name == "Выборы депутатов"


def test_incremental_voter_counts_equal_a_full_recount(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    v = Voting("CONTRACTR")
    v.create()
    for i in range(60):
        v.issue(T0 + i * 100_000)  # 36 per hour: the file spans two hours
        v.vote(T0 + i * 100_000 + 500, f"K{i % 23}")  # revotes within and across hours
    late = write_csv(tmp_path / "CONTRACTR_late.csv", v.lines[30:])
    early = write_csv(tmp_path / "CONTRACTR_early.csv", v.lines[:40])  # overlaps the late file

    ingest_paths(pipeline_engine, [late], batch_size=7)
    ingest_paths(pipeline_engine, [early], batch_size=5)

    with pipeline_engine.connect() as conn:
        stored = conn.scalar(select(Constituency.votes_cast).where(Constituency.id == "CONTRACTR"))
        recount = conn.scalar(
            select(func.count(func.distinct(Transaction.voter_key))).where(
                Transaction.constituency_id == "CONTRACTR"
            )
        )
    assert stored == recount == len(v.voters) == 23
    incremental = snapshot(pipeline_engine)
    with pipeline_engine.begin() as conn:  # recount every hour and total from the rows
        buckets = conn.execute(select(HourlyStats.constituency_id, HourlyStats.hour)).all()
        refresh_hours(conn, [(b.constituency_id, b.hour) for b in buckets])
        refresh_totals(conn, ["CONTRACTR"])
    assert snapshot(pipeline_engine) == incremental
