"""The deg-export reader: real files in every container and encoding, bad lines of every kind."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from election_monitor.exceptions import InvalidInputError
from election_monitor.ingest.readers import FORMATS, detect_format, iter_input_files, read
from election_monitor.ingest.readers.deg_export import read as read_export
from election_monitor.ingest.records import ChainRecord, ReadStats, Row, RowError
from tests.fixtures_formats import (
    CONTRACT,
    T0,
    Call,
    b64,
    blind_sig_issue,
    create_contract,
    decoded,
    export_fields,
    export_line,
    finish_voting,
    json_error,
    results,
    start_voting,
    vote,
    voters_list,
    write_gz,
    write_text,
    write_zip,
)

SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def read_rows(path: Path) -> tuple[list[Row], ReadStats]:
    stats = ReadStats()
    return list(read_export(path, stats=stats)), stats


def summary(row: Row) -> tuple[Any, ...]:
    if isinstance(row, RowError):
        return ("error", row.line, row.reason)
    return (
        row.line,
        row.tx_id,
        row.operation,
        row.accepted,
        row.bulletins,
        row.polling_station,
        row.details,
        row.rollback,
    )


def election_calls() -> list[Call]:
    return [
        create_contract(name="Выборы депутатов; второй тур", revote_blocked=True),
        voters_list("L1", ["h1", "h2", "h3", "h4"]),
        start_voting("S1"),
        blind_sig_issue("B1", ["u1"]),
        blind_sig_issue("B2", ["u2", "u3", "u4"]),
        blind_sig_issue("B3", ["u5", "u6"], old_form=True),
        blind_sig_issue("B4", ["u7"], failed="voter already has a bulletin"),
        vote("V1", "K1"),
        vote("V2", "K2", failed="invalid blind signature"),
        vote("V3", "K1"),  # a revote: the reader reports it; the loader judges it
        vote("V4", "K3"),
        vote("V4", "K3", rollback=True),
        voters_list("L2", ["h1"], operation="removeFromVotersList"),
        finish_voting("F1"),
        results("R1", [[2, 1, 0]]),
    ]


def test_export_file_in_windows_1251_reads_every_operation(tmp_path: Path) -> None:
    path = write_text(
        tmp_path / f"{CONTRACT}.csv", [export_line(c) for c in election_calls()], encoding="cp1251"
    )
    rows, stats = read_rows(path)
    base = rows[0]
    assert isinstance(base, ChainRecord)
    assert base.details["voting_base"]["name"] == "Выборы депутатов; второй тур"
    assert [summary(r) for r in rows[1:]] == [
        (2, "L1", "addVotersList", True, 0, "77/101", {"voters": 4}, False),
        (3, "S1", "startVoting", True, 0, None,
         {"date": "2024-09-15T08:00:00+03:00", "date_ms": 1_726_376_400_000}, False),
        (4, "B1", "blindSigIssue", True, 1, "77/101", {"voters": 1}, False),
        (5, "B2", "blindSigIssue", True, 3, "77/101", {"voters": 3}, False),
        (6, "B3", "blindSigIssue", True, 2, "77/101", {"voters": 2}, False),
        (7, "B4", "blindSigIssue", False, 0, "77/101", {"voters": 1}, False),
        (8, "V1", "vote", True, 0, None, {"voter_key": "K1"}, False),
        (9, "V2", "vote", False, 0, None, {"voter_key": "K2"}, False),
        (10, "V3", "vote", True, 0, None, {"voter_key": "K1"}, False),
        (11, "V4", "vote", True, 0, None, {"voter_key": "K3"}, False),
        (12, "V4", "vote", True, 0, None, {"voter_key": "K3"}, True),
        (13, "L2", "removeFromVotersList", True, 0, "77/101", {"voters": 1}, False),
        (14, "F1", "finishVoting", True, 0, None,
         {"date": "2024-09-17T20:00:00+03:00", "date_ms": 1_726_592_400_000}, False),
        (15, "R1", "results", True, 0, None, {"results": [[2, 1, 0]], "total": 3}, False),
    ]  # fmt: skip
    assert all(isinstance(r, ChainRecord) and r.contract_id == CONTRACT for r in rows)
    assert stats == ReadStats(
        lines=15, records=15, errors=0, skipped=0, encodings={f"{CONTRACT}.csv": "cp1251"}
    )


def test_export_record_holds_every_field_exactly(tmp_path: Path) -> None:
    call = vote("V1", "K1", ts=T0 + 5)
    path = write_text(tmp_path / "ABC_dump.csv", [export_line(call)])
    [row], _ = read_rows(path)
    assert row == ChainRecord(
        source="ABC_dump.csv",
        line=1,
        tx_id="V1",
        contract_id="ABC",
        operation="vote",
        ts_ms=T0 + 5,
        block_height=0,
        sender="K1",
        params={"operation": "vote", "vote": b64(b"encrypted-K1"), "blindSig": b64(b"blind-K1")},
        diff={"VOTE_K1": b64(b"encrypted-K1")},
        rollback=False,
        raw={
            "nestedTxId": "V1",
            "type": "104",
            "signature": "Sig1",
            "version": "2",
            "ts": str(T0 + 5),
            "senderPublicKey": "K1",
            "fee": "0",
            "feeAssetId": "",
            "params": [
                {"key": "operation", "stringValue": "vote"},
                {"key": "vote", "binaryValue": b64(b"encrypted-K1")},
                {"key": "blindSig", "binaryValue": b64(b"blind-K1")},
            ],
            "diff": [{"key": "VOTE_K1", "binaryValue": b64(b"encrypted-K1")}],
            "extra": {"contractVersion": 1},
            "rollback": "",
        },
        tx_type=104,
        accepted=True,
        reject_reason=None,
        bulletins=0,
        polling_station=None,
        details={"voter_key": "K1"},
    )


def test_create_contract_is_its_own_contract_whatever_the_file_name(tmp_path: Path) -> None:
    path = write_text(tmp_path / "other_name.csv", [export_line(create_contract("NEWC"))])
    [row], _ = read_rows(path)
    assert isinstance(row, ChainRecord)
    assert (row.contract_id, row.operation, row.tx_type) == ("NEWC", "createContract", 103)
    assert row.raw["extra"] == {"contractName": "voting", "image": "voting:1.0", "imageHash": "abc"}


def test_zip_with_two_members_takes_each_members_contract(tmp_path: Path) -> None:
    path = write_zip(
        tmp_path / "ABC_dump.zip",
        {
            "ABC.csv": [export_line(vote("V1", "K1"))],
            "XYZ_part2.csv": [export_line(vote("V2", "K2")), export_line(vote("V3", "K3"))],
        },
    )
    rows, stats = read_rows(path)
    records = [r for r in rows if isinstance(r, ChainRecord)]
    assert [(r.source, r.line, r.tx_id, r.contract_id) for r in records] == [
        ("ABC_dump.zip!ABC.csv", 1, "V1", "ABC"),
        ("ABC_dump.zip!XYZ_part2.csv", 1, "V2", "XYZ"),
        ("ABC_dump.zip!XYZ_part2.csv", 2, "V3", "XYZ"),
    ]  # fmt: skip
    assert (stats.lines, stats.records) == (3, 3)


def test_gzip_and_bom_files_read_the_same(tmp_path: Path) -> None:
    lines = [export_line(c) for c in election_calls()]
    plain = [summary(r) for r in read_rows(write_text(tmp_path / "C.csv", lines))[0]]
    gz = [summary(r) for r in read_rows(write_gz(tmp_path / "C.csv.gz", lines))[0]]
    bom = read_rows(write_text(tmp_path / "C_bom.csv", lines, encoding="utf-8-sig"))
    assert gz == plain
    assert [summary(r) for r in bom[0]] == plain
    assert bom[1].encodings == {"C_bom.csv": "utf-8-sig"}


def test_semicolon_inside_json_is_decoded_from_its_escape(tmp_path: Path) -> None:
    call = start_voting("S1", date="a;b")
    line = export_line(call)
    assert "\\u003b" in line
    [row], _ = read_rows(write_text(tmp_path / "C.csv", [line]))
    assert isinstance(row, ChainRecord)
    assert row.params["dateStart"] == "a;b"


def test_crlf_line_endings_and_trailing_blank_lines(tmp_path: Path) -> None:
    lines = [export_line(vote("V1", "K1")), export_line(vote("V2", "K2")), "", "  ", ""]
    rows, stats = read_rows(write_text(tmp_path / "C.csv", lines, newline="\r\n"))
    assert [(r.line, r.tx_id) for r in rows if isinstance(r, ChainRecord)] == [(1, "V1"), (2, "V2")]
    assert stats == ReadStats(lines=5, records=2, errors=0, skipped=3, encodings={"C.csv": "utf-8"})


def with_field(index: int, value: str) -> str:
    fields = export_fields(vote("BAD", "KB"))
    fields[index] = value
    return ";".join(fields)


OPERATION = '{"key":"operation","stringValue":"vote"}'
MALFORMED = [
    ("a;b;c", "expected 12 fields, got 3"),
    (with_field(0, "") + ";x", "expected 12 fields, got 13"),
    (with_field(0, ""), "missing nestedTxId"),
    (with_field(1, "105"), "unknown type '105' (expected 103 or 104)"),
    (with_field(4, "1726380000000.5"), "bad ts '1726380000000.5' (expected epoch milliseconds)"),
    (with_field(4, "-5"), "bad ts '-5' (expected epoch milliseconds)"),
    (with_field(5, ""), "missing senderPublicKey"),
    (with_field(11, "1"), "bad rollback '1' (expected empty or -1)"),
    (with_field(8, "[{"), "bad JSON in params: " + json_error("[{")),
    (with_field(9, "[{\"key\""), "bad JSON in diff: " + json_error("[{\"key\"")),
    (with_field(10, "{x}"), "bad JSON in extra: " + json_error("{x}")),
    (with_field(10, "[]"), "extra is not a JSON object"),
    (with_field(8, '{"operation":"vote"}'), "params is not a JSON array"),
    (with_field(8, "[5]"), "bad params entry 1: not a JSON object"),
    (with_field(8, f'[{OPERATION},{{"key":"vote"}}]'),
     "bad params entry 2 (vote): expected one of stringValue/intValue/binaryValue/boolValue"),
    (with_field(9, '[{"binaryValue":"eA=="}]'), "bad diff entry 1: no string key"),
    (with_field(8, '[{"key":"vote","binaryValue":"eA=="}]'), "missing operation"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "reason"), MALFORMED)
def test_malformed_line_becomes_a_row_error_and_reading_goes_on(
    tmp_path: Path, line: str, reason: str
) -> None:
    lines = [export_line(vote("V1", "K1")), line, export_line(vote("V2", "K2"))]
    rows, stats = read_rows(write_text(tmp_path / "C.csv", lines))
    assert [summary(r)[:2] for r in rows] == [(1, "V1"), ("error", 2), (3, "V2")]
    assert rows[1] == RowError(source="C.csv", line=2, reason=reason, text=line)
    assert (stats.lines, stats.records, stats.errors, stats.skipped) == (3, 2, 1, 0)


def test_entries_in_another_key_order_or_with_extra_keys_are_read(tmp_path: Path) -> None:
    params = (
        '[{"stringValue":"vote","key":"operation"},{"key":"vote","type":"b","binaryValue":"eA=="}]'
    )
    [row], _ = read_rows(write_text(tmp_path / "C.csv", [with_field(8, params)]))
    assert isinstance(row, ChainRecord)
    assert row.params == {"operation": "vote", "vote": "eA=="}


def test_rollback_zero_is_not_a_rollback(tmp_path: Path) -> None:
    [row], _ = read_rows(write_text(tmp_path / "C.csv", [with_field(11, "0")]))
    assert isinstance(row, ChainRecord)
    assert row.rollback is False


# --- the registry, on export files -------------------------------------------------------


def test_detect_format_recognises_an_export_even_after_a_damaged_first_line(
    tmp_path: Path,
) -> None:
    path = write_text(tmp_path / "C.csv", ["", "garbage", export_line(vote("V1", "K1"))])
    assert detect_format(path) == "deg-export"
    zipped = write_zip(tmp_path / "C_dump.zip", {"C.csv": [export_line(vote("V1", "K1"))]})
    assert detect_format(zipped) == "deg-export"


def test_detect_format_refuses_what_it_cannot_recognise(tmp_path: Path) -> None:
    path = write_text(tmp_path / "C.csv", ["just some text"])
    with pytest.raises(InvalidInputError, match="cannot tell the format"):
        detect_format(path)


def test_read_auto_and_named_format_agree(tmp_path: Path) -> None:
    path = write_text(tmp_path / "C.csv", [export_line(c) for c in election_calls()])
    assert [summary(r) for r in read(path)] == [summary(r) for r in read(path, "deg-export")]
    assert set(FORMATS) == {"deg-export", "deg-dump", "hourly-csv"}


def test_read_refuses_unknown_format_and_missing_path(tmp_path: Path) -> None:
    with pytest.raises(InvalidInputError, match="unknown format 'xml'"):
        read(tmp_path, "xml")
    with pytest.raises(InvalidInputError, match="no such file or folder"):
        read(tmp_path / "missing.csv")


def test_iter_input_files_is_sorted_recursive_and_skips_hidden(tmp_path: Path) -> None:
    for name in [
        "b/2_x.csv", "b/10_x.csv", "a.zip", ".hidden.csv", ".git/c.csv",
        "notes.md", "b/c/d.jsonl.gz", "z.txt",
    ]:  # fmt: skip
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text("")
    single = tmp_path / ".explicit.csv"
    single.write_text("")
    files = iter_input_files([tmp_path, single, tmp_path / "z.txt"])
    assert [f.relative_to(tmp_path).as_posix() for f in files] == [
        "a.zip",
        "b/2_x.csv",
        "b/10_x.csv",
        "b/c/d.jsonl.gz",
        "z.txt",
        ".explicit.csv",
    ]


def test_read_a_folder_reads_each_file_with_its_own_format(tmp_path: Path) -> None:
    write_text(tmp_path / "A_1.csv", [export_line(vote("V1", "K1"))])
    write_gz(tmp_path / "A_2.csv.gz", [export_line(vote("V2", "K2"))])
    stats = ReadStats()
    rows = list(read(tmp_path, stats=stats))
    assert [(r.source, r.tx_id) for r in rows if isinstance(r, ChainRecord)] == [
        ("A_1.csv", "V1"),
        ("A_2.csv.gz", "V2"),
    ]
    assert (stats.lines, stats.records) == (2, 2)


# --- properties ----------------------------------------------------------------------------

_KEY = st.text(
    "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz", min_size=1, max_size=44
)
_VALUE = st.one_of(
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.booleans(),
    st.binary(max_size=20),
)
_CALLS = st.builds(
    Call,
    tx_id=_KEY,
    operation=st.sampled_from(["vote", "blindSigIssue", "startVoting", "decryption", "x;y"]),
    params=st.dictionaries(_KEY.filter(lambda k: k != "operation"), _VALUE, max_size=4),
    diff=st.dictionaries(st.text(min_size=1, max_size=20), _VALUE, max_size=4),
    sender=_KEY,
    ts=st.integers(min_value=0, max_value=2**53),
    rollback=st.booleans(),
    version=st.integers(min_value=1, max_value=9),
)


@SETTINGS
@given(call=_CALLS)
def test_any_well_formed_line_round_trips(tmp_path: Path, call: Call) -> None:
    path = write_text(tmp_path / "CID_h.csv", [export_line(call)])
    [row], stats = read_rows(path)
    assert isinstance(row, ChainRecord)
    params = {"operation": call.operation, **{k: decoded(v) for k, v in call.params.items()}}
    assert (row.source, row.line, row.tx_id, row.contract_id) == ("CID_h.csv", 1, call.tx_id, "CID")
    assert (row.operation, row.ts_ms, row.block_height, row.sender, row.tx_type) == (
        call.operation,
        call.ts,
        0,
        call.sender,
        104,
    )
    assert row.params == params
    assert row.diff == {k: decoded(v) for k, v in call.diff.items()}
    assert row.rollback is call.rollback
    assert row.raw["signature"] == call.signature
    assert row.accepted is not None
    assert stats.records == 1


_JUNK = st.text(
    st.characters(exclude_categories=["Cs"], exclude_characters="\n\r\ufeff"), max_size=60
)


@SETTINGS
@given(lines=st.lists(_JUNK, min_size=1, max_size=8))
def test_junk_lines_never_raise_and_are_errors_at_their_line(
    tmp_path: Path, lines: list[str]
) -> None:
    rows, stats = read_rows(write_text(tmp_path / "junk.csv", lines))
    expected = [(n, line) for n, line in enumerate(lines, 1) if line.strip()]
    errors = [r for r in rows if isinstance(r, RowError)]
    assert len(errors) == len(rows)
    assert [(r.line, r.text) for r in errors] == expected
    assert stats.lines == len(lines)
    assert stats.records + stats.errors + stats.skipped == stats.lines


@SETTINGS
@given(
    kinds=st.lists(
        st.one_of(_CALLS, _JUNK.filter(lambda s: ";" not in s), st.sampled_from(["", " "])),
        max_size=12,
    )
)
def test_every_line_is_a_record_an_error_or_skipped(
    tmp_path: Path, kinds: list[Call | str]
) -> None:
    lines = [k if isinstance(k, str) else export_line(k) for k in kinds]
    rows, stats = read_rows(write_text(tmp_path / "mixed.csv", lines))
    expected: list[tuple[int, str]] = []
    for number, kind in enumerate(kinds, 1):
        if isinstance(kind, Call):
            expected.append((number, "record"))
        elif kind.strip():
            expected.append((number, "error"))
    assert [(r.line, "error" if isinstance(r, RowError) else "record") for r in rows] == expected
    assert stats.records + stats.errors + stats.skipped == stats.lines == len(lines)


DOCS = Path(__file__).resolve().parents[2] / "docs" / "formats.md"


@pytest.mark.parametrize("fmt", ["deg-export", "deg-dump", "hourly-csv"])
def test_docs_examples_are_detected_and_read_without_errors(tmp_path: Path, fmt: str) -> None:
    text = DOCS.read_text(encoding="utf-8")
    example = text.split(f"```{fmt}\n", 1)[1].split("```", 1)[0]
    path = tmp_path / "7sQbJ2_20240915_0600-0700.csv"
    path.write_text(example, encoding="utf-8")
    assert detect_format(path) == fmt
    rows = list(read(path))
    assert rows
    assert all(isinstance(r, ChainRecord) and r.contract_id == "7sQbJ2" for r in rows)
