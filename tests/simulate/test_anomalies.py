"""Anomaly syntax, injection of every alert type, truth.json records, determinism."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from election_monitor.enums import AlertType, values
from election_monitor.exceptions import InvalidInputError
from election_monitor.simulate import parse_spec
from tests.simulate import readback
from tests.simulate.conftest import Make


def test_parse_spec_all_none_and_overrides() -> None:
    assert {r.type for r in parse_spec("all")} == set(values(AlertType))
    assert parse_spec("none") == []
    requests = parse_spec("all,offline:0,spike:3:4")
    by_type = {r.type: r for r in requests}
    assert AlertType.CONSTITUENCY_OFFLINE not in by_type
    assert (by_type[AlertType.UNUSUAL_SPIKE].count, by_type[AlertType.UNUSUAL_SPIKE].magnitude) == (
        3,
        4.0,
    )
    assert parse_spec("night_activity:2")[0].count == 2


@pytest.mark.parametrize("bad", ["bogus", "spike:x", "spike:1:0.5", "drop:1:2", "spike:-1"])
def test_parse_spec_rejects_bad_items(bad: str) -> None:
    with pytest.raises(InvalidInputError):
        parse_spec(bad)


def test_all_injects_every_alert_type_with_a_window(make_election: Make) -> None:
    _, truth = make_election(seed=1, constituencies=16, scale=0.02)
    assert {a["type"] for a in truth["anomalies"]} == set(values(AlertType))
    ids = {c["id"] for c in truth["constituencies"]}
    for a in truth["anomalies"]:
        assert a["constituency_id"] in ids
        assert a["start"] <= a["end"]
        assert a["description"]
        assert a["magnitude"] > 0
    flagged = {a["constituency_id"] for a in truth["anomalies"]}
    for c in truth["constituencies"]:
        assert c["clean"] == (c["id"] not in flagged)
    assert truth["clean_constituencies"] == [c["id"] for c in truth["constituencies"] if c["clean"]]


def test_none_leaves_every_constituency_clean(make_election: Make) -> None:
    _, truth = make_election(anomalies="none")
    assert truth["anomalies"] == []
    assert all(c["clean"] for c in truth["constituencies"])


def test_injections_show_in_the_files(make_election: Make) -> None:
    folder, truth = make_election(seed=1, constituencies=16, scale=0.02)
    contracts = readback.read_export(folder / "data").contracts
    by_type = {a["type"]: a for a in truth["anomalies"]}

    def counts(kind: str) -> dict[str, object]:
        return contracts[by_type[kind]["constituency_id"]].counts()

    excess = counts(AlertType.VOTES_EXCEED_BULLETINS)
    assert excess["votes_cast"] > excess["bulletins_issued"]  # type: ignore[operator]
    dup = counts(AlertType.DUPLICATE_VOTE)
    assert dup["revote_blocked"] is True
    assert dup["revotes"] >= 1
    turnout = by_type[AlertType.TURNOUT_EXCEEDS_REGISTERED]
    c = next(x for x in truth["constituencies"] if x["id"] == turnout["constituency_id"])
    assert c["totals"]["bulletins_issued"] > c["registered_voters"]
    mismatch = counts(AlertType.RESULTS_MISMATCH)
    assert sum(mismatch["results"][0]) != mismatch["votes_cast"]  # type: ignore[index]
    integrity = counts(AlertType.DATA_INTEGRITY)
    assert integrity["duplicate_tx_lines"] == 1
    offline = by_type[AlertType.CONSTITUENCY_OFFLINE]
    gap = [t for t in contracts[offline["constituency_id"]].txs if _inside(t.ts, offline)]
    assert gap == []


def _inside(ts: int, anomaly: dict[str, object]) -> bool:
    from datetime import datetime

    def ms(text: object) -> float:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00")).timestamp() * 1000

    return ms(anomaly["start"]) <= ts < ms(anomaly["end"])


def _digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def test_same_seed_gives_identical_bytes(make_election: Make) -> None:
    first, _ = make_election(seed=21, constituencies=4, scale=0.02)
    second, _ = make_election(seed=21, constituencies=4, scale=0.02, fresh=True)
    other, _ = make_election(seed=22, constituencies=4, scale=0.02)
    assert _digest(first) == _digest(second)
    assert _digest(first) != _digest(other)
