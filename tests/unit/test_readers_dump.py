"""The deg-dump reader: blocks of type-105 wrappers, chunk folders, bad blocks and transactions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from election_monitor.ingest.readers import detect_format, iter_input_files, read
from election_monitor.ingest.readers.deg_dump import read as read_dump
from election_monitor.ingest.readers.deg_export import read as read_export
from election_monitor.ingest.records import ChainRecord, ReadStats, Row, RowError
from tests.fixtures_formats import (
    CONTRACT,
    T0,
    Call,
    b64,
    blind_sig_issue,
    create_contract,
    dump_block,
    dump_transaction,
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


def read_rows(path: Path) -> tuple[list[Row], ReadStats]:
    stats = ReadStats()
    return list(read_dump(path, stats=stats)), stats


def calls() -> list[Call]:
    return [
        create_contract(name="Выборы"),
        voters_list("L1", ["h1", "h2"]),
        start_voting("S1"),
        blind_sig_issue("B1", ["u1", "u2", "u3"]),
        blind_sig_issue("B2", ["u4", "u5"], old_form=True),
        blind_sig_issue("B3", ["u6"], failed="no"),
        vote("V1", "K1"),
        vote("V2", "K2", failed="invalid blind signature"),
        vote("V3", "K1"),
        finish_voting("F1"),
        results("R1", [[1, 1], [2]]),
    ]


def meaning(row: Row) -> tuple[Any, ...]:
    """What the counting sees of a record, independent of the format it came from."""
    assert isinstance(row, ChainRecord)
    return (
        row.tx_id,
        row.contract_id,
        row.operation,
        row.ts_ms,
        row.sender,
        row.params,
        row.diff,
        row.tx_type,
        row.accepted,
        row.reject_reason,
        row.bulletins,
        row.polling_station,
        row.details,
    )


def test_dump_records_carry_height_and_block_time(tmp_path: Path) -> None:
    call = vote("V1", "K1", ts=T0 + 7)
    transfer = {"type": 4, "id": "T", "amount": 5}
    path = write_text(
        tmp_path / "1-1000.jsonl",
        [dump_block(41, T0 + 100, [transfer, dump_transaction(call, wrapper_id="W1")])],
    )
    [row], stats = read_rows(path)
    assert row == ChainRecord(
        source="1-1000.jsonl",
        line=1,
        tx_id="V1",
        contract_id=CONTRACT,
        operation="vote",
        ts_ms=T0 + 7,
        block_height=41,
        sender="K1",
        params={"operation": "vote", "vote": b64(b"encrypted-K1"), "blindSig": b64(b"blind-K1")},
        diff={"VOTE_K1": b64(b"encrypted-K1")},
        rollback=False,
        raw={**dump_transaction(call, wrapper_id="W1"), "height": 41, "timestamp": T0 + 100},
        tx_type=104,
        accepted=True,
        reject_reason=None,
        bulletins=0,
        polling_station=None,
        details={"voter_key": "K1"},
    )
    assert stats == ReadStats(
        lines=1, records=1, errors=0, skipped=0, ignored=1, encodings={"1-1000.jsonl": "utf-8"}
    )


def test_dump_and_export_of_the_same_calls_count_the_same(tmp_path: Path) -> None:
    blocks = [
        dump_block(1, T0, [dump_transaction(c) for c in calls()[:4]]),
        dump_block(2, T0 + 1, [dump_transaction(c) for c in calls()[4:]]),
    ]
    dump_rows, _ = read_rows(write_text(tmp_path / "d.jsonl", blocks))
    export = write_text(tmp_path / f"{CONTRACT}.csv", [export_line(c) for c in calls()])
    assert [meaning(r) for r in dump_rows] == [meaning(r) for r in read_export(export)]
    assert [(r.line, r.block_height) for r in dump_rows if isinstance(r, ChainRecord)] == [
        (1, 1), (1, 1), (1, 1), (1, 1), (2, 2), (2, 2), (2, 2), (2, 2), (2, 2), (2, 2), (2, 2),
    ]  # fmt: skip


def test_wrapper_kinds_other_than_calls_are_ignored(tmp_path: Path) -> None:
    update = dump_transaction(vote("X", "K"))
    update["tx"]["type"] = 107
    other = {"type": 106, "id": "W"}
    path = write_text(tmp_path / "d.jsonl", [dump_block(1, T0, [update, other, {"type": 4}])])
    rows, stats = read_rows(path)
    assert rows == []
    assert (stats.records, stats.errors, stats.ignored) == (0, 0, 3)


def test_wrapper_fields_named_like_block_fields_are_kept(tmp_path: Path) -> None:
    wrapper = dump_transaction(vote("V1", "K1")) | {"timestamp": 5, "height": 6}
    [row], _ = read_rows(write_text(tmp_path / "d.jsonl", [dump_block(9, 10, [wrapper])]))
    assert isinstance(row, ChainRecord)
    assert (row.raw["height"], row.raw["timestamp"]) == (9, 10)
    assert (row.raw["wrapperHeight"], row.raw["wrapperTimestamp"]) == (6, 5)


def test_create_contract_in_a_dump_has_no_params_and_is_its_own_contract(tmp_path: Path) -> None:
    wrapper = dump_transaction(create_contract("NEWC"))
    del wrapper["tx"]["params"]
    [row], _ = read_rows(write_text(tmp_path / "d.jsonl", [dump_block(1, T0, [wrapper])]))
    assert isinstance(row, ChainRecord)
    assert (row.contract_id, row.operation, row.params) == ("NEWC", "createContract", {})
    assert row.details["voting_base"]["name"] == "Выборы депутатов"


def broken(change: Any) -> dict[str, Any]:
    wrapper = dump_transaction(vote("BAD", "KB"))
    change(wrapper)
    return wrapper


BAD_TRANSACTIONS = [
    (broken(lambda w: w.pop("tx")), "type-105 wrapper without a tx object"),
    (broken(lambda w: w["tx"].pop("id")), "missing nestedTxId (tx.id)"),
    (broken(lambda w: w["tx"].update(timestamp="x")), "bad ts 'x'"),
    (broken(lambda w: w["tx"].update(senderPublicKey="")), "missing senderPublicKey"),
    (broken(lambda w: w["tx"].pop("contractId")), "missing contractId"),
    (broken(lambda w: w["tx"]["params"].pop(0)), "missing operation"),
    (broken(lambda w: w.pop("results")), "missing results"),
    (broken(lambda w: w.update(results={})), "results is not a JSON array"),
    (broken(lambda w: w["tx"]["params"].append({"key": "x"})), "bad params entry 4 (x): no value"),
    (broken(lambda w: w["results"].append([1])), "bad results entry 2: not a JSON object"),
    (broken(lambda w: w["results"].append({"value": 1})), "bad results entry 2: no string key"),
    ("not an object", "not a JSON object"),
]


@pytest.mark.parametrize(("wrapper", "reason"), BAD_TRANSACTIONS)
def test_bad_transaction_is_an_error_and_its_neighbours_are_read(
    tmp_path: Path, wrapper: Any, reason: str
) -> None:
    block = dump_block(3, T0, [dump_transaction(vote("V1", "K1")), wrapper,
                               dump_transaction(vote("V2", "K2"))])  # fmt: skip
    rows, stats = read_rows(write_text(tmp_path / "d.jsonl", [block]))
    assert [type(r).__name__ for r in rows] == ["ChainRecord", "RowError", "ChainRecord"]
    assert rows[1] == RowError(
        source="d.jsonl",
        line=1,
        reason=f"transaction 2: {reason}",
        text=orjson.dumps(wrapper).decode(),
    )
    assert (stats.records, stats.errors) == (2, 1)


BAD_BLOCKS = [
    ('{"height": 1, "timestamp": 2, "transactions": [', "bad JSON: "
     + json_error('{"height": 1, "timestamp": 2, "transactions": [')),
    ("[1, 2]", "block is not a JSON object"),
    ('{"timestamp": 2, "transactions": []}', "missing or bad height None"),
    ('{"height": true, "timestamp": 2, "transactions": []}', "missing or bad height True"),
    ('{"height": 1, "timestamp": "2", "transactions": []}', "missing or bad block timestamp '2'"),
    ('{"height": 1, "timestamp": 2}', "missing or bad transactions (expected a JSON array)"),
]  # fmt: skip


@pytest.mark.parametrize(("line", "reason"), BAD_BLOCKS)
def test_bad_block_line_is_one_error(tmp_path: Path, line: str, reason: str) -> None:
    good = dump_block(1, T0, [dump_transaction(vote("V1", "K1"))])
    rows, stats = read_rows(write_text(tmp_path / "d.jsonl", [good, line, good, ""]))
    assert [r.line for r in rows] == [1, 2, 3]
    assert rows[1] == RowError(source="d.jsonl", line=2, reason=reason, text=line)
    assert (stats.lines, stats.records, stats.errors, stats.skipped) == (4, 2, 1, 1)


def test_chunk_folder_is_one_dump_read_in_height_order(tmp_path: Path) -> None:
    shard = tmp_path / "dump" / "shard-1"
    shard.mkdir(parents=True)
    write_gz(
        shard / "1001-2000.jsonl.gz", [dump_block(1001, T0, [dump_transaction(vote("V2", "K2"))])]
    )
    write_text(shard / "1-1000.jsonl", [dump_block(1, T0, [dump_transaction(vote("V1", "K1"))])])
    shard2 = tmp_path / "dump" / "shard-2"
    shard2.mkdir()
    write_text(shard2 / "1-1000.jsonl", [dump_block(1, T0, [dump_transaction(vote("V3", "K3"))])])
    folder = tmp_path / "dump"
    assert detect_format(folder) == "deg-dump"
    assert [f.relative_to(folder).as_posix() for f in iter_input_files([folder])] == [
        "shard-1/1-1000.jsonl",
        "shard-1/1001-2000.jsonl.gz",
        "shard-2/1-1000.jsonl",
    ]
    stats = ReadStats()
    rows = list(read(folder, stats=stats))
    assert [(r.source, r.tx_id, r.block_height) for r in rows if isinstance(r, ChainRecord)] == [
        ("1-1000.jsonl", "V1", 1),
        ("1001-2000.jsonl.gz", "V2", 1001),
        ("1-1000.jsonl", "V3", 1),
    ]
    assert (stats.lines, stats.records) == (3, 3)


def test_detect_format_finds_a_dump_by_content(tmp_path: Path) -> None:
    block = dump_block(1, T0, [dump_transaction(vote("V1", "K1"))])
    assert detect_format(write_text(tmp_path / "blocks.txt", [block])) == "deg-dump"
    assert detect_format(write_zip(tmp_path / "d.zip", {"1-10.jsonl": [block]})) == "deg-dump"
    # A damaged first block still names the format.
    assert detect_format(write_text(tmp_path / "cut.txt", [block[:-5]])) == "deg-dump"
    assert detect_format(write_text(tmp_path / "empty.jsonl", [])) == "deg-dump"


@settings(
    max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    blocks=st.lists(
        st.lists(st.sampled_from(["vote", "bulletin", "transfer", "junk"]), max_size=5), max_size=6
    )
)
def test_every_transaction_is_a_record_an_error_or_ignored(
    tmp_path: Path, blocks: list[list[str]]
) -> None:
    lines = []
    expected = []
    for height, kinds in enumerate(blocks, 1):
        transactions: list[Any] = []
        for index, kind in enumerate(kinds):
            tx_id = f"T{height}_{index}"
            if kind == "vote":
                transactions.append(dump_transaction(vote(tx_id, "K" + tx_id)))
            elif kind == "bulletin":
                transactions.append(dump_transaction(blind_sig_issue(tx_id)))
            elif kind == "transfer":
                transactions.append({"type": 4, "id": tx_id})
            else:
                transactions.append({"type": 105, "id": tx_id})
            if kind != "transfer":
                expected.append((height, "error" if kind == "junk" else tx_id))
        lines.append(dump_block(height, T0 + height, transactions))
    rows, stats = read_rows(write_text(tmp_path / "d.jsonl", lines))
    assert [(r.line, "error" if isinstance(r, RowError) else r.tx_id) for r in rows] == expected
    n_transactions = sum(len(kinds) for kinds in blocks)
    assert stats.records + stats.errors + stats.ignored == n_transactions
    assert stats.lines == len(blocks)
