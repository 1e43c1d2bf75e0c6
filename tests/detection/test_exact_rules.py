"""Exact integrity rules on data loaded by the real ingest: every breach found, none invented,
and the incremental hook reaches the same alerts as ``detect``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select, text

from election_monitor.detection import DetectionHook, detect
from election_monitor.ingest.service import ingest_paths
from election_monitor.models import Alert
from tests import fixtures_formats as ff

HOUR_MS = 3_600_000
CLEAN, BAD, TURNOUT = "CLEANxContract1", "BADxContract22", "TURNOUTxContract3"
END_MS = 1_726_592_400_000  # 2024-09-17T17:00:00Z, the voting's end


def _contract(cid: str, *, revote_blocked: bool = True) -> list[ff.Call]:
    base = ff.create_contract(cid, revote_blocked=revote_blocked)
    base.ts = ff.T0 - 2 * HOUR_MS
    return [
        base,
        ff.voters_list(
            f"{cid}-L", [f"h{i}" for i in range(10)], contract_id=cid, ts=ff.T0 - HOUR_MS
        ),
        ff.start_voting(f"{cid}-S", contract_id=cid, ts=ff.T0 - HOUR_MS),
    ]


def _clean(cid: str) -> list[ff.Call]:
    calls = _contract(cid)
    for i in range(5):
        ts = ff.T0 + i * HOUR_MS
        calls.append(ff.blind_sig_issue(f"{cid}-B{i}", [f"u{i}"], contract_id=cid, ts=ts))
        calls.append(ff.vote(f"{cid}-V{i}", f"{cid}k{i}", contract_id=cid, ts=ts + 60_000))
    calls.append(ff.finish_voting(f"{cid}-F", contract_id=cid, ts=END_MS))
    calls.append(ff.results(f"{cid}-R", [[3, 2]], contract_id=cid, ts=END_MS + 60_000))
    return calls


def _bad(cid: str) -> list[ff.Call]:
    calls = _contract(cid)
    for i in range(3):
        ts = ff.T0 + i * HOUR_MS
        calls.append(ff.blind_sig_issue(f"{cid}-B{i}", [f"u{i}"], contract_id=cid, ts=ts))
    for i, key in enumerate(["k1", "k2", "k3", "k1", "k4"]):  # k1 twice; 4 voters, 3 bulletins
        calls.append(ff.vote(f"{cid}-V{i}", key, contract_id=cid, ts=ff.T0 + i * HOUR_MS + 60_000))
    calls.append(ff.finish_voting(f"{cid}-F", contract_id=cid, ts=END_MS))
    calls.append(ff.vote(f"{cid}-LATE", "k9", contract_id=cid, ts=END_MS + 120_000))
    calls.append(ff.results(f"{cid}-R", [[7, 3]], contract_id=cid, ts=END_MS + 3_600_000))
    return calls


def _turnout(cid: str) -> list[ff.Call]:
    calls = _contract(cid)[:1]
    calls.append(ff.voters_list(f"{cid}-L", ["h1", "h2"], contract_id=cid, ts=ff.T0 - HOUR_MS))
    calls.append(ff.blind_sig_issue(f"{cid}-B", ["u1", "u2", "u3"], contract_id=cid, ts=ff.T0))
    return calls


def _write(tmp: Path, name: str, calls: list[ff.Call]) -> Path:
    return ff.write_text(tmp / name, [ff.export_line(c) for c in calls])


def _heights_file(tmp: Path) -> Path:
    cid = "HEIGHTSxContract4"
    calls = _contract(cid)
    rows = [ff.hourly_row(c, height=i + 1) for i, c in enumerate(calls)]
    for i in range(6):
        ts = ff.T0 + i * 600_000 - (2 * HOUR_MS if i == 4 else 0)  # tx 4 is 2 h in the past
        b = ff.blind_sig_issue(f"{cid}-B{i}", [f"u{i}"], contract_id=cid, ts=ts)
        rows.append(ff.hourly_row(b, height=10 + i))
    return ff.write_text(tmp / f"{cid}_20240915_0600-0700.csv", ff.hourly_lines(rows))


def _alerts(engine: Engine, *, open_only: bool = False) -> list[tuple[Any, ...]]:
    query = select(Alert.constituency_id, Alert.type, Alert.severity, Alert.status, Alert.details)
    if open_only:
        query = query.where(Alert.status != "resolved")
    with engine.connect() as conn:
        rows = conn.execute(query).all()
    return sorted((r[0], r[1], r[2], r[3], r[4]["window_key"], r[4]["magnitude"]) for r in rows)


def _files(tmp: Path) -> list[Path]:
    return [
        _write(tmp, f"{CLEAN}_dump.csv", _clean(CLEAN)),
        _write(tmp, f"{BAD}_dump.csv", _bad(BAD)),
        _write(tmp, f"{TURNOUT}_dump.csv", _turnout(TURNOUT)),
        _heights_file(tmp),
    ]


def test_every_exact_breach_is_found_and_the_clean_contract_has_none(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    ingest_paths(fresh_engine, _files(tmp_path), election_id="E1")
    with fresh_engine.begin() as conn:
        detect(conn)
    found = {(a[0], a[1], a[4]) for a in _alerts(fresh_engine)}
    assert not [a for a in found if a[0] == CLEAN]
    assert {
        (BAD, "votes_exceed_bulletins", "cumulative"),
        (BAD, "duplicate_vote", ""),
        (BAD, "vote_outside_window", "after"),
        (BAD, "results_mismatch", ""),
        (TURNOUT, "turnout_exceeds_registered", ""),
        ("HEIGHTSxContract4", "data_integrity", "ts_regression"),
    } <= found
    severities = {(a[0], a[1]): a[2] for a in _alerts(fresh_engine)}
    assert severities[(BAD, "duplicate_vote")] == "critical"
    assert severities[("HEIGHTSxContract4", "data_integrity")] == "critical"  # 2 h back


def test_incremental_hook_reaches_the_same_alerts_as_detect(
    fresh_engine: Engine, tmp_path: Path, empty_database_url: str
) -> None:
    files = _files(tmp_path)
    hook = DetectionHook()
    ingest_paths(fresh_engine, files, election_id="E1", hooks=[hook], batch_size=7)
    incremental = _alerts(fresh_engine, open_only=True)
    assert hook.reports  # it ran after the batches
    with fresh_engine.begin() as conn:
        conn.execute(text("DELETE FROM alert_events"))
        conn.execute(text("DELETE FROM alerts"))
        detect(conn)
    # Files arrived per constituency, not in time order: statistical alerts raised on the
    # partial picture (a "platform outage" while only one file was in) are withdrawn, so the
    # open alerts are the same.
    assert _alerts(fresh_engine, open_only=True) == incremental


def test_rewritten_file_and_reused_tx_id_raise_data_integrity(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    path = _write(tmp_path, f"{CLEAN}_dump.csv", _clean(CLEAN))
    ingest_paths(fresh_engine, [path], election_id="E1")
    changed = _clean(CLEAN)
    changed[5] = ff.vote(f"{CLEAN}-V1", "someone-else", contract_id=CLEAN, ts=ff.T0 + 7)
    _write(tmp_path, f"{CLEAN}_dump.csv", changed)
    hook = DetectionHook()
    ingest_paths(fresh_engine, [path], election_id="E1", hooks=[hook])
    keys = {(a[1], a[4], a[2]) for a in _alerts(fresh_engine)}
    assert ("data_integrity", "tx_conflict", "critical") in keys
    assert ("data_integrity", f"rewrite:{CLEAN}_dump.csv", "warning") in keys
