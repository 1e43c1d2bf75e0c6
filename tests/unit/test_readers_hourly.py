"""The hourly-csv reader: header-driven columns, status verdicts, quoting, bad rows."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from election_monitor.ingest.readers import detect_format
from election_monitor.ingest.readers.deg_export import read as read_export
from election_monitor.ingest.readers.hourly_csv import read as read_hourly
from election_monitor.ingest.records import ChainRecord, ReadStats, Row, RowError
from tests.fixtures_formats import (
    CONTRACT,
    HOURLY_COLUMNS,
    T0,
    Call,
    blind_sig_issue,
    create_contract,
    export_line,
    finish_voting,
    hourly_lines,
    hourly_row,
    json_error,
    results,
    start_voting,
    vote,
    voters_list,
    write_gz,
    write_text,
)

FILE = f"{CONTRACT}_20240915_0800-0900.csv"
HEADER = ";".join(HOURLY_COLUMNS)


def read_rows(path: Path) -> tuple[list[Row], ReadStats]:
    stats = ReadStats()
    return list(read_hourly(path, stats=stats)), stats


def calls() -> list[Call]:
    return [
        create_contract(name="Выборы", revote_blocked=True),
        voters_list("L1", ["h1", "h2"]),
        start_voting("S1"),
        blind_sig_issue("B1", ["u1", "u2", "u3"]),
        blind_sig_issue("B2", ["u4", "u5"], old_form=True),
        blind_sig_issue("B3", ["u6"], failed="no"),
        vote("V1", "K1"),
        vote("V2", "K2", failed="invalid blind signature"),
        vote("V1b", "K1"),
        finish_voting("F1"),
        results("R1", [[3, 4]]),
    ]


def counted(row: Row) -> tuple[Any, ...]:
    """What the counting keeps of a record (the verdict's wording differs by format)."""
    assert isinstance(row, ChainRecord)
    return (
        row.tx_id,
        row.contract_id,
        row.operation,
        row.ts_ms,
        row.sender,
        row.accepted,
        row.bulletins,
        row.polling_station,
        row.details,
    )


def test_hourly_and_export_of_the_same_calls_count_the_same(tmp_path: Path) -> None:
    hourly = write_text(tmp_path / FILE, hourly_lines(hourly_row(c, height=7) for c in calls()))
    rows, stats = read_rows(hourly)
    export = write_text(tmp_path / f"{CONTRACT}.csv", [export_line(c) for c in calls()])
    assert [counted(r) for r in rows] == [counted(r) for r in read_export(export)]
    assert all(isinstance(r, ChainRecord) and r.block_height == 7 for r in rows)
    assert stats == ReadStats(lines=12, records=11, errors=0, skipped=1, encodings={FILE: "utf-8"})


def test_hourly_record_holds_the_row_exactly(tmp_path: Path) -> None:
    line = f"TX1;{CONTRACT};12;2024-09-15T08:30:00;blindSigIssue;S;rejected;" + (
        '{"primaryUikRegionCode": "77", "primaryUikNumber": 5, "data": [{"userId": "a"}]}'
    )
    [row], _ = read_rows(write_text(tmp_path / FILE, [HEADER, line]))
    assert row == ChainRecord(
        source=FILE,
        line=2,
        tx_id="TX1",
        contract_id=CONTRACT,
        operation="blindSigIssue",
        ts_ms=1_726_389_000_000,
        block_height=12,
        sender="S",
        params={"primaryUikRegionCode": "77", "primaryUikNumber": 5, "data": [{"userId": "a"}]},
        diff={},
        rollback=False,
        raw=dict(zip(HOURLY_COLUMNS, line.split(";", 7), strict=True)),
        tx_type=None,
        accepted=False,
        reject_reason="status: rejected",
        bulletins=0,
        polling_station="77/5",
        details={"voters": 1},
    )


@pytest.mark.parametrize(
    ("text", "ms"),
    [
        ("1726380000000", 1_726_380_000_000),
        ("2024-09-15T06:00:00", 1_726_380_000_000),
        ("2024-09-15T06:00:00Z", 1_726_380_000_000),
        ("2024-09-15 09:00:00.250+03:00", 1_726_380_000_250),
    ],
)
def test_timestamp_is_epoch_ms_or_iso(tmp_path: Path, text: str, ms: int) -> None:
    path = write_text(tmp_path / FILE, ["tx_id;constituency_id;block_height;timestamp;type",
                                        f"T;C;;{text};vote"])  # fmt: skip
    [row], _ = read_rows(path)
    assert isinstance(row, ChainRecord)
    assert (row.ts_ms, row.block_height, row.accepted, row.sender) == (ms, 0, True, None)


def test_columns_in_any_order_and_unknown_columns_kept(tmp_path: Path) -> None:
    lines = [" Type ;TIMESTAMP;note;tx_id;block_height;constituency_id", "vote;5;hello;T1;1;"]
    [row], stats = read_rows(write_text(tmp_path / FILE, lines))
    assert isinstance(row, ChainRecord)
    assert (row.tx_id, row.operation, row.ts_ms, row.contract_id) == ("T1", "vote", 5, CONTRACT)
    assert row.raw == {
        "type": "vote",
        "timestamp": "5",
        "note": "hello",
        "tx_id": "T1",
        "block_height": "1",
        "constituency_id": "",
    }
    assert stats.skipped == 1


def test_csv_writer_quoting_is_read(tmp_path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(HOURLY_COLUMNS)
    for call in calls():
        row = hourly_row(call)
        writer.writerow([row[c] for c in HOURLY_COLUMNS])
    path = tmp_path / FILE
    path.write_text(buffer.getvalue(), encoding="cp1251")
    assert '"{""' in buffer.getvalue()
    rows, stats = read_rows(path)
    plain = write_text(tmp_path / "plain.csv", hourly_lines(hourly_row(c) for c in calls()))
    assert [counted(r) for r in rows] == [counted(r) for r in read_rows(plain)[0]]
    assert stats.encodings == {FILE: "cp1251"}


def test_params_written_last_may_hold_semicolons(tmp_path: Path) -> None:
    line = 'T1;C;1;5;startVoting;S;;{"dateStart": "2024-09-15T08:00:00Z", "note": "a;b;c"}'
    [row], _ = read_rows(write_text(tmp_path / FILE, [HEADER, line]))
    assert isinstance(row, ChainRecord)
    assert row.params["note"] == "a;b;c"
    assert row.details["date_ms"] == 1_726_387_200_000


MALFORMED = [
    ("T;C;1;5;vote;S;", "expected 8 fields, got 7"),
    (";C;1;5;vote;S;;", "missing tx_id"),
    ("T;C;1;yesterday;vote;S;;", "bad timestamp 'yesterday' (expected ISO-8601 or epoch ms)"),
    ("T;C;-1;5;vote;S;;", "bad block_height '-1'"),
    ("T;C;1;5;vot;S;;", "unknown type 'vot'"),
    ("T;C;1;5;vote;S;ok;", "bad status 'ok' (expected accepted or rejected)"),
    ("T;C;1;5;vote;S;;{bad", "bad JSON in params: " + json_error("{bad")),
    ("T;C;1;5;vote;S;;[1]", "params is not a JSON object"),
]


@pytest.mark.parametrize(("line", "reason"), MALFORMED)
def test_malformed_row_is_an_error_and_reading_goes_on(
    tmp_path: Path, line: str, reason: str
) -> None:
    good = "G;C;1;5;vote;S;;"
    rows, stats = read_rows(write_text(tmp_path / FILE, [HEADER, good, line, good, ""]))
    assert [type(r).__name__ for r in rows] == ["ChainRecord", "RowError", "ChainRecord"]
    assert rows[1] == RowError(source=FILE, line=3, reason=reason, text=line)
    assert stats == ReadStats(lines=5, records=2, errors=1, skipped=2, encodings={FILE: "utf-8"})


def test_header_without_required_columns_rejects_every_row(tmp_path: Path) -> None:
    lines = ["tx_id;timestamp;kind", "T1;5;vote", "", "T2;6;vote"]
    rows, stats = read_rows(write_text(tmp_path / FILE, lines))
    assert rows == [
        RowError(FILE, 1, "bad header: missing column(s) constituency_id, block_height, type",
                 "tx_id;timestamp;kind"),
        RowError(FILE, 2, "no usable header (line 1)", "T1;5;vote"),
        RowError(FILE, 4, "no usable header (line 1)", "T2;6;vote"),
    ]  # fmt: skip
    assert stats.records + stats.errors + stats.skipped == stats.lines == 4


def test_header_with_repeated_column_is_refused(tmp_path: Path) -> None:
    lines = ["tx_id;constituency_id;block_height;timestamp;type;type"]
    [row], _ = read_rows(write_text(tmp_path / FILE, lines))
    assert isinstance(row, RowError)
    assert row.reason == "bad header: repeated column(s) type"


def test_detect_format_finds_the_hourly_header(tmp_path: Path) -> None:
    path = write_gz(tmp_path / (FILE + ".gz"), ["", HEADER, "T;C;1;5;vote;S;;"])
    assert detect_format(path) == "hourly-csv"
    quoted = write_text(tmp_path / "q.csv", ['"tx_id";"constituency_id";"x"'])
    assert detect_format(quoted) == "hourly-csv"


_CELL = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters='\n\r\ufeff;"'), max_size=12
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(_CELL, min_size=1, max_size=10), max_size=8))
def test_arbitrary_rows_never_raise_and_every_line_is_accounted_for(
    tmp_path: Path, rows: list[list[str]]
) -> None:
    lines = [HEADER, *(";".join(cells) for cells in rows)]
    out, stats = read_rows(write_text(tmp_path / FILE, lines))
    data_lines = [n for n, line in enumerate(lines, 1) if n > 1 and line.strip()]
    assert [r.line for r in out] == data_lines
    assert stats.records + stats.errors + stats.skipped == stats.lines == len(lines)


def test_blank_file_reads_nothing(tmp_path: Path) -> None:
    rows, stats = read_rows(write_text(tmp_path / FILE, ["", ""]))
    assert rows == []
    assert (stats.lines, stats.skipped) == (2, 2)


def test_epoch_ts_of_calls_is_kept(tmp_path: Path) -> None:
    call = vote("V1", "K1", ts=T0 + 123)
    [row], _ = read_rows(write_text(tmp_path / FILE, hourly_lines([hourly_row(call)])))
    assert isinstance(row, ChainRecord)
    assert row.ts_ms == T0 + 123


# Found by tests/fuzz: the csv module refuses a CR outside quotes and fields past its own
# 131,072-character limit; both made a row "row_unreadable" instead of reading it.


def test_a_quoted_line_with_a_lone_cr_in_an_unquoted_field_reads_and_keeps_the_cr(
    tmp_path: Path,
) -> None:
    row = hourly_row(vote("TXCR", "KEYCR"))
    row["sender"] = "KEY\rCR"  # unquoted, on a line that quotes another field
    row["status"] = '"accepted"'
    path = write_text(tmp_path / FILE, [HEADER, ";".join(row[c] for c in HOURLY_COLUMNS)])
    (record,) = list(read_hourly(path))
    assert isinstance(record, ChainRecord), record
    assert record.sender == "KEY\rCR"


def test_a_quoted_field_longer_than_the_csv_modules_own_limit_reads(tmp_path: Path) -> None:
    row = hourly_row(vote("TXLONG", "KEYLONG"))
    row["sender"] = '"' + "k" * 200_000 + '"'
    path = write_text(tmp_path / FILE, [HEADER, ";".join(row[c] for c in HOURLY_COLUMNS)])
    (record,) = list(read_hourly(path))
    assert isinstance(record, ChainRecord), record
    assert len(record.sender) == 200_000


def test_broken_csv_quoting_is_a_reason_not_a_fault(tmp_path: Path) -> None:
    row = hourly_row(vote("TXQ", "KEYQ"))
    row["sender"] = '"KEY"Q"\x00'
    path = write_text(tmp_path / FILE, [HEADER, ";".join(row[c] for c in HOURLY_COLUMNS)])
    rows = list(read_hourly(path))
    assert len(rows) == 1
    if isinstance(rows[0], RowError):
        assert not rows[0].reason.startswith("row_unreadable"), rows[0].reason
