"""Hostile and corrupt rows, loaded into a real database: one bad row is one rejected row.

Each case here crashed the ingest (a traceback, or the whole file failing) before the
plausible-time gate and bounded parsing; now the bad row is rejected with a reason code and
every other row of the file loads, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import gzip
from pathlib import Path

import orjson
import pytest
from sqlalchemy import Engine, text

from election_monitor.config import get_settings
from election_monitor.detection import detect
from election_monitor.ingest.service import IngestSummary, ingest_paths
from tests.pipeline.chain import HOUR_MS, T0, Voting, line, write_csv


def good_voting(contract: str = "CONTRACTH") -> Voting:
    v = Voting(contract)
    v.create()
    v.issue(T0 + 1000)
    v.vote(T0 + 60_000, "VOTER1")
    return v


def load(engine: Engine, path: Path) -> IngestSummary:
    summary = ingest_paths(engine, [path])
    assert summary.total("rows_read") == (
        summary.total("inserted") + summary.total("duplicates") + summary.total("rejected")
    )
    return summary


def reasons(engine: Engine) -> list[str]:
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT reason FROM rejected_rows ORDER BY line")))


def hours(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        return list(conn.scalars(text("SELECT DISTINCT hour FROM hourly_stats ORDER BY hour")))


def export_with(bad: list[str], tmp_path: Path, name: str = "CONTRACTH_dump.csv") -> Path:
    v = good_voting()
    return write_csv(tmp_path / name, [v.lines[0], *bad, *v.lines[1:]])


def vote_line(tx_id: str, ts: object, sender: str = "VOTERX") -> str:
    """A counted vote's export line whose ``ts`` field is exactly ``ts`` as written."""
    fields = line(
        tx_id,
        0,
        sender=sender,
        params=[{"key": "operation", "stringValue": "vote"}],
        diff=[{"key": f"VOTE_{sender}", "binaryValue": "dm90ZQ=="}],
    ).split(";")
    fields[4] = str(ts)
    return ";".join(fields)


@pytest.mark.parametrize(
    ("ts", "code"),
    [
        ("253402300800000", "timestamp_out_of_range"),  # year 10000
        ("99999999999999999999", "number_out_of_range"),  # wider than 64 bits
        ("9" * 5000, "number_out_of_range"),  # past Python's int-string limit
        (str(4_102_444_800_000), "timestamp_out_of_range"),  # 2100: plausible, but decades off
        ("0", "timestamp_out_of_range"),  # 1970
        (str(T0 - 2 * 24 * HOUR_MS), "timestamp_out_of_range"),  # two days before the start
    ],
)
def test_export_row_with_an_impossible_timestamp_is_rejected_and_the_rest_loads(
    pipeline_engine: Engine, tmp_path: Path, ts: str, code: str
) -> None:
    bad = vote_line("BADTS", ts)
    summary = load(pipeline_engine, export_with([bad], tmp_path))
    assert summary.failed == []
    assert summary.total("inserted") == 3
    [reason] = reasons(pipeline_engine)
    assert reason.startswith(code)
    # The stored hours stay those of the election: the bad row stretched nothing.
    assert len(hours(pipeline_engine)) == 1


def test_timestamp_inside_the_margins_is_kept(pipeline_engine: Engine, tmp_path: Path) -> None:
    # 20 hours before the start (the default margin is a day) and 6 days after the end.
    early = vote_line("EARLY", T0 - HOUR_MS - 20 * HOUR_MS)
    late = vote_line("LATE", T0 + 2 * 24 * HOUR_MS + 6 * 24 * HOUR_MS)
    summary = load(pipeline_engine, export_with([early, late], tmp_path))
    assert summary.total("rejected") == 0
    assert summary.total("inserted") == 5


def test_margins_come_from_the_settings(
    pipeline_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ELMON_INGEST_TIME_MARGIN_BEFORE_HOURS", "0")
    get_settings.cache_clear()
    early = vote_line("EARLY", T0 - 4 * HOUR_MS)  # the election starts at T0 - 3 h
    load(pipeline_engine, export_with([early], tmp_path))
    [reason] = reasons(pipeline_engine)
    assert reason.startswith("timestamp_out_of_range")


def test_integers_wider_than_64_bits_in_params_are_kept_as_text(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    big = "18446744073709551616" + "0" * 30
    v = good_voting()
    issue = v.lines[1].replace('"intValue":101', f'"intValue":{big}')
    assert big in issue
    path = write_csv(tmp_path / "CONTRACTH_dump.csv", [v.lines[0], issue, *v.lines[2:]])
    summary = load(pipeline_engine, path)
    assert summary.total("rejected") == 0
    with pipeline_engine.connect() as conn:
        raw = conn.scalar(text("SELECT raw_data FROM transactions WHERE type = 'blindSigIssue'"))
    params = (orjson.loads(raw) if isinstance(raw, str) else raw)["params"]
    assert {"key": "primaryUikNumber", "intValue": big} in params


def test_results_whose_total_overflows_are_kept_with_an_error(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    results = orjson.dumps([[2**63 - 1] * 3]).decode()  # the sum is wider than 64 bits
    bad = line(
        "RESULTS1",
        T0 + 5000,
        params=[{"key": "operation", "stringValue": "results"}],
        diff=[{"key": "RESULTS", "stringValue": results}],
    )
    summary = load(pipeline_engine, export_with([bad], tmp_path))
    assert summary.total("rejected") == 0
    assert summary.total("inserted") == 4


def test_nul_in_a_field_is_one_rejected_row_on_every_database(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    bad = vote_line("NULROW", T0 + 5000, sender="VOTER\x00X")
    summary = load(pipeline_engine, export_with([bad], tmp_path))
    assert summary.failed == []
    assert summary.total("inserted") == 3
    [reason] = reasons(pipeline_engine)
    assert reason.startswith("nul_character")
    with pipeline_engine.connect() as conn:
        stored = conn.scalar(text("SELECT text FROM rejected_rows"))
    assert "\x00" not in stored
    assert "VOTER\\u0000X" in stored


def test_an_id_too_long_for_an_index_is_rejected(pipeline_engine: Engine, tmp_path: Path) -> None:
    bad = vote_line("T" * 5000, T0 + 5000)
    summary = load(pipeline_engine, export_with([bad], tmp_path))
    assert summary.failed == []
    [reason] = reasons(pipeline_engine)
    assert reason.startswith("field_too_long")


def _block(height: object, ts: object, tx_ts: object) -> str:
    tx = {
        "type": 104,
        "id": f"TX{height}",
        "senderPublicKey": "S",
        "timestamp": "@TS@",
        "contractId": "DUMPC",
        "params": [{"key": "operation", "type": "string", "value": "startVoting"}],
    }
    wrapper = {"type": 105, "id": f"W{height}", "tx": tx, "results": []}
    text_ = orjson.dumps({"height": "@H@", "timestamp": "@B@", "transactions": [wrapper]})
    return (
        text_.decode()
        .replace('"@TS@"', str(tx_ts))
        .replace('"@H@"', str(height))
        .replace('"@B@"', str(ts))
    )


@pytest.mark.parametrize(
    ("height", "tx_ts", "code"),
    [
        (2**64 + 1, T0, "missing or bad height"),
        (2**63, T0, "number_out_of_range"),
        (5, 10**20, "transaction 1: bad ts"),
        (5, 2**63 - 1, "timestamp_out_of_range"),
        (5, 253402300800000, "timestamp_out_of_range"),
        (5, "1" + "0" * 5000, "transaction 1: bad ts"),
    ],
)
def test_dump_numbers_past_their_bounds_reject_one_block_or_transaction(
    pipeline_engine: Engine, tmp_path: Path, height: object, tx_ts: object, code: str
) -> None:
    good = _block(4, T0, T0)
    path = write_csv(tmp_path / "dump.jsonl", [good, _block(height, T0, tx_ts)])
    summary = load(pipeline_engine, path)
    assert summary.failed == []
    assert summary.total("inserted") == 1
    [reason] = reasons(pipeline_engine)
    assert code in reason


@pytest.mark.parametrize(
    ("timestamp", "height", "code"),
    [
        ("0001-01-01T00:00:00+01:00", "1", "bad timestamp"),
        ("9999-12-31T23:59:59-01:00", "1", "bad timestamp"),
        ("2026-09-18T06:00:00Z", str(2**64), "number_out_of_range"),
        ("2026-09-18T06:00:00Z", "9" * 5000, "number_out_of_range"),
        ("9" * 5000, "1", "number_out_of_range"),
        ("2090-01-01T00:00:00Z", "1", "timestamp_out_of_range"),
    ],
)
def test_hourly_csv_numbers_past_their_bounds_reject_one_row(
    pipeline_engine: Engine, tmp_path: Path, timestamp: str, height: str, code: str
) -> None:
    header = "tx_id;constituency_id;block_height;timestamp;type;sender;status;params"
    good = "G1;HCSV;1;2026-09-18T06:00:00Z;vote;K1;accepted;{}"
    bad = f"B1;HCSV;{height};{timestamp};vote;K2;accepted;{{}}"
    path = write_csv(tmp_path / "HCSV_20260918_0600-0700.csv", [header, good, bad])
    summary = load(pipeline_engine, path)
    assert summary.failed == []
    assert summary.total("inserted") == 1
    [reason] = reasons(pipeline_engine)
    assert code in reason


def test_truncated_gzip_fails_the_file_with_one_line_and_keeps_the_rows_before(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    v = good_voting()
    lines = v.lines + [v.vote(T0 + 70_000 + i, f"K{i}") for i in range(3000)]
    data = gzip.compress(("\n".join(lines) + "\n").encode())
    path = tmp_path / "CONTRACTH_dump.csv.gz"
    path.write_bytes(data[: len(data) // 2])
    summary = ingest_paths(pipeline_engine, [path], batch_size=100, commit_rows=100)
    [failed] = summary.failed
    assert failed.error is not None
    assert "damaged file" in failed.error
    assert "\n" not in failed.error
    with pipeline_engine.connect() as conn:
        status, details = conn.execute(
            text("SELECT status, details FROM file_processing_jobs")
        ).one()
    assert status == "failed"
    assert orjson.loads(details)["error"] == failed.error
    assert failed.inserted > 0  # the rows before the damage stand


def test_detection_runs_when_every_row_of_the_election_was_rejected(
    pipeline_engine: Engine, tmp_path: Path
) -> None:
    # Found by tests/fuzz: an election without constituencies made a statistical rule combine
    # an empty float array with a boolean one (TypeError).
    path = write_csv(tmp_path / "CONTRACTH_dump.csv", [vote_line("BADTS", "0")])
    load(pipeline_engine, path)
    with pipeline_engine.begin() as conn:
        (report,) = detect(conn, election_id="E1")
    assert report.signals == 0
