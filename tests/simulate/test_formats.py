"""Every format writes files that follow docs/formats.md and agree with truth.json."""

from __future__ import annotations

import csv
import json
import re

import pytest

from election_monitor.simulate import Chunking, ModelParams, OutputFormat
from tests.simulate import readback
from tests.simulate.conftest import Make
from tests.simulate.test_statistics import CLEAN

READERS = {
    OutputFormat.DEG_EXPORT: readback.read_export,
    OutputFormat.DEG_DUMP: readback.read_dump,
    OutputFormat.HOURLY_CSV: readback.read_hourly_csv,
}
COUNTS = (
    "bulletins_issued",
    "votes_cast",
    "accepted_votes",
    "rejected_votes",
    "revotes",
    "transactions",
    "contract_events",
    "rollbacks",
    "duplicate_tx_lines",
)

CASES = [
    (OutputFormat.DEG_EXPORT, Chunking.SINGLE),
    (OutputFormat.DEG_EXPORT, Chunking.HOURLY),
    (OutputFormat.DEG_DUMP, Chunking.SINGLE),
    (OutputFormat.HOURLY_CSV, Chunking.SINGLE),
]


@pytest.mark.parametrize(("output_format", "chunks"), CASES)
def test_files_read_back_give_the_truth_counts(
    make_election: Make, output_format: OutputFormat, chunks: Chunking
) -> None:
    folder, truth = make_election(output_format=output_format, chunks=chunks)
    contracts = READERS[output_format](folder / "data").contracts
    assert set(contracts) == {c["id"] for c in truth["constituencies"]}
    for c in truth["constituencies"]:
        got = contracts[c["id"]].counts()
        assert {k: got[k] for k in COUNTS} == {k: c["totals"][k] for k in COUNTS}, c["id"]
        assert got["results"] == c["totals"]["results"]
        for hour, row in c["hourly"].items():
            read = got["hourly"].get(hour, {})
            for key in ("bulletins", "votes", "transactions"):
                assert read.get(key, 0) == row[key], (c["id"], hour, key)


def test_export_file_names_and_members(make_election: Make) -> None:
    folder, truth = make_election()
    names = sorted(p.name for p in (folder / "data").iterdir())
    assert names == sorted(f"{c['id']}_dump.zip" for c in truth["constituencies"])


def test_export_hourly_chunks_are_named_per_contract_and_hour(make_election: Make) -> None:
    folder, truth = make_election(chunks=Chunking.HOURLY)
    ids = {c["id"] for c in truth["constituencies"]}
    for path in (folder / "data").iterdir():
        contract, stamp = path.name.removesuffix(".csv").split("_")
        assert contract in ids
        assert re.fullmatch(r"\d{8}T\d{2}", stamp)


def test_rollbacks_appear_only_in_the_export(make_election: Make) -> None:
    model = ModelParams(rollback_share=0.01)
    _, export_truth = make_election(seed=3, anomalies="none", model=model)
    _, dump_truth = make_election(
        seed=3, anomalies="none", output_format=OutputFormat.DEG_DUMP, model=model
    )
    assert export_truth["totals"]["rollbacks"] > 0
    assert dump_truth["totals"]["rollbacks"] == 0
    # the same election: rolled-back originals are simply absent from the final chain
    assert dump_truth["totals"]["votes_cast"] == export_truth["totals"]["votes_cast"]
    assert dump_truth["totals"]["bulletins_issued"] == export_truth["totals"]["bulletins_issued"]


def test_export_escapes_semicolons_and_keeps_cyrillic(make_election: Make) -> None:
    folder, truth = make_election(**CLEAN)
    rb = readback.read_export(folder / "data")
    for c in truth["constituencies"]:
        create = next(t for t in rb.contracts[c["id"]].txs if t.operation == "createContract")
        base = create.diff["VOTING_BASE"]
        assert re.search("[\u0400-\u04ff]", base["name"])  # Cyrillic
        assert set(base) >= {"pollId", "name", "dateStart", "dateEnd", "isRevoteBlocked"}
        assert base["dimension"][0][:2] == [1, 1]


def test_registry_and_election_files(make_election: Make) -> None:
    folder, truth = make_election()
    with (folder / "registry.csv").open(encoding="utf-8") as fh:
        rows = list(csv.reader(fh, delimiter=";"))
    assert rows[0] == ["id", "name", "region", "type", "registered_voters", "timezone"]
    assert len(rows) == len(truth["constituencies"]) + 1
    for row, c in zip(rows[1:], truth["constituencies"], strict=True):
        assert row[0] == c["id"]
        assert row[3] in ("urban", "suburban", "rural")
        assert int(row[4]) == c["registered_voters"]
        assert row[5] == c["timezone"]
    election = json.loads((folder / "election.json").read_text("utf-8"))
    assert set(election) == {"name", "start", "end", "timezone"}
    assert election["start"] < election["end"]


def test_dump_chunks_have_increasing_heights(make_election: Make) -> None:
    folder, _ = make_election(output_format=OutputFormat.DEG_DUMP)
    shards = sorted(p.name for p in (folder / "data").iterdir())
    assert shards == [f"shard-{k}" for k in range(1, len(shards) + 1)]
    readback.read_dump(folder / "data")  # asserts heights, block sizes, entry types
