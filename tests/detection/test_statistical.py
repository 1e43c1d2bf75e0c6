"""Statistical detectors on synthetic elections written into hourly statistics."""

from __future__ import annotations

from datetime import timedelta

import numpy as np
import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from election_monitor.detection import detect
from election_monitor.detection.frame import load_frame
from election_monitor.detection.model import fit
from election_monitor.detection.settings import DetectionSettings
from election_monitor.models import Alert, AnomalyScore, Constituency
from tests.detection import builders


def _run(db: Session, syn: builders.Synthetic) -> list[Alert]:
    builders.write(db, syn)
    detect(db.connection(), election_id=syn.election_id)
    db.expire_all()
    return list(db.scalars(select(Alert).order_by(Alert.constituency_id, Alert.type)))


def _of(alerts: list[Alert], kind: str) -> list[Alert]:
    return [a for a in alerts if a.type == kind]


def test_clean_election_raises_no_critical_and_almost_no_warning(db: Session) -> None:
    syn = builders.make(n=60, hours=60, seed=11)
    alerts = _run(db, syn)
    assert not [a for a in alerts if a.severity == "critical"]
    assert len(alerts) <= 1  # 60 constituencies x 2.5 days: target <= 1 per 100 c-days


def test_five_fold_single_hour_spike_is_found_with_its_expected_count(db: Session) -> None:
    syn = builders.make(n=40, hours=48, seed=2)
    syn.votes[5, 30] *= 5
    (alert,) = _of(_run(db, syn), "unusual_spike")
    assert alert.constituency_id == syn.ids[5]
    hour = alert.details["hours"][0]
    assert hour["observed"] == int(syn.votes[5, 30])
    assert hour["observed"] / hour["expected"] > 3
    assert "expected_how" in alert.details
    assert alert.details["peer_group_size"] >= 8


def test_night_surge_of_one_percent_of_registered_voters_is_found(db: Session) -> None:
    syn = builders.make(n=40, hours=48, seed=3)
    # 01:00-04:00 Moscow on the first night = UTC hours 22..24 = t 17..19
    extra = 0.01 * syn.registered[9] / 3
    syn.votes[9, 17:20] += round(extra)
    night = _of(_run(db, syn), "night_activity")
    assert [a.constituency_id for a in night] == [syn.ids[9]]
    assert night[0].details["excess"] >= 0.8 * 0.01 * syn.registered[9]


def test_offline_constituency_is_found_and_a_platform_outage_is_one_alert(db: Session) -> None:
    syn = builders.make(n=40, hours=48, seed=4)
    syn.votes[2, 28:30] = 0
    syn.bulletins[2, 28:30] = 0
    syn.rejected[2, 28:30] = 0
    syn.votes[:, 36] = syn.bulletins[:, 36] = syn.rejected[:, 36] = 0  # everyone silent
    offline = _of(_run(db, syn), "constituency_offline")
    own = [a for a in offline if a.details.get("scope") != "platform"]
    platform = [a for a in offline if a.details.get("scope") == "platform"]
    assert [a.constituency_id for a in own] == [syn.ids[2]]
    assert own[0].details["silent_hours"] == 2
    assert len(platform) == 1
    assert platform[0].severity == "critical"
    assert platform[0].details["silent_constituencies"] == 40


def test_feed_stalled_is_measured_against_the_newest_data_not_the_clock(db: Session) -> None:
    syn = builders.make(n=30, hours=40, seed=6)
    syn.votes[4, 34:] = syn.bulletins[4, 34:] = syn.rejected[4, 34:] = 0
    offline = _of(_run(db, syn), "constituency_offline")
    assert [a.constituency_id for a in offline] == [syn.ids[4]]
    assert offline[0].details["ongoing"] is True
    assert offline[0].status == "active"
    statuses = dict(db.execute(select(Constituency.id, Constituency.status)).all())
    assert statuses[syn.ids[4]] == "offline"
    assert statuses[syn.ids[5]] == "active"


def test_correlated_surge_in_part_of_a_region_names_the_group(db: Session) -> None:
    syn = builders.make(n=80, hours=48, regions=4, seed=7)
    members = [1, 5, 9, 13]  # region R1
    for c in members:
        syn.votes[c, 31] *= 3
    correlated = _of(_run(db, syn), "correlated_spike")
    assert {a.constituency_id for a in correlated} >= {syn.ids[c] for c in members}
    group = correlated[0].details["group"]
    assert group["region"] == "R1"
    assert group["hours"][0]["members_exceeding"] >= 3


def test_participation_far_from_peers_is_a_baseline_deviation(db: Session) -> None:
    syn = builders.make(n=40, hours=48, seed=8)
    syn.votes[6] *= 0.6
    syn.bulletins[6] *= 0.6
    dev = _of(_run(db, syn), "baseline_deviation")
    assert [a.constituency_id for a in dev] == [syn.ids[6]]
    assert dev[0].details["participation"] < dev[0].details["peers_participation"]


def test_rejection_burst_is_a_high_rejection_rate(db: Session) -> None:
    syn = builders.make(n=40, hours=48, seed=9)
    syn.rejected[3, 25:31] = np.round(syn.votes[3, 25:31] * 0.3)
    rej = _of(_run(db, syn), "high_rejection_rate")
    assert [a.constituency_id for a in rej] == [syn.ids[3]]


def test_drop_while_peers_vote_is_an_unusual_drop(db: Session) -> None:
    syn = builders.make(n=40, hours=48, seed=10)
    syn.votes[8, 27:30] = np.round(syn.votes[8, 27:30] * 0.1)
    drop = _of(_run(db, syn), "unusual_drop")
    assert [a.constituency_id for a in drop] == [syn.ids[8]]


def test_score_is_explained_by_its_contributions(db: Session) -> None:
    syn = builders.make(n=40, hours=48, seed=2)
    syn.votes[5, 28] *= 6
    syn.bulletins[5, 28] *= 6
    _run(db, syn)
    c = db.get(Constituency, syn.ids[5])
    explained = db.get(AnomalyScore, syn.ids[5])
    assert c is not None
    assert explained is not None
    assert 0 < c.anomaly_score <= 1
    assert explained.score == c.anomaly_score
    assert explained.components[0]["family"] == "velocity"
    clean = db.get(Constituency, syn.ids[0])
    assert clean is not None
    assert clean.anomaly_score == 0.0


def test_model_uses_only_earlier_data(db: Session) -> None:
    """The expectation at hour t does not move when later hours change (causal model)."""
    syn = builders.make(n=30, hours=40, seed=12)
    builders.write(db, syn)
    conn = db.connection()
    settings = DetectionSettings()
    before = fit(load_frame(conn, syn.election_id, settings), settings)
    cid = syn.ids[3]
    db.execute(Constituency.__table__.update().where(Constituency.id == cid).values(votes_cast=0))
    from election_monitor.models import HourlyStats

    db.execute(
        HourlyStats.__table__.update()
        .where(
            HourlyStats.constituency_id == cid, HourlyStats.hour >= syn.start + timedelta(hours=30)
        )
        .values(votes_cast=0)
    )
    after = fit(load_frame(conn, syn.election_id, settings), settings)
    assert np.allclose(before.mu[:, :30], after.mu[:, :30])


@pytest.mark.parametrize("hours", [1, 6])
def test_early_hours_are_not_tested_during_warm_up(db: Session, hours: int) -> None:
    syn = builders.make(n=30, hours=hours, seed=13)
    syn.votes[0, 0] *= 10
    alerts = _run(db, syn)
    assert not _of(alerts, "unusual_spike")


def test_a_whole_region_surging_for_one_hour_is_a_correlated_spike(db: Session) -> None:
    # Regional shocks of about 7 % an hour (k = 200): a 2x hour is far outside them.
    syn = builders.make(n=40, hours=48, seed=7, k_region=200.0)
    region = [i for i, r in enumerate(syn.regions) if r == "R1"]
    syn.votes[region, 30] *= 2.0  # every member, the same hour: the regional factor absorbs it
    found = _of(_run(db, syn), "correlated_spike")
    named = {a.constituency_id for a in found}
    assert len(named & {syn.ids[i] for i in region}) >= 0.8 * len(region)
    assert named <= {syn.ids[i] for i in region}
    group = found[0].details["group"]
    assert (group["kind"], group["name"]) == ("region", "R1")
    assert group["hours"][0]["test"] == "share"


def test_nothing_is_offline_after_a_contracts_own_finish_or_before_its_own_start(
    db: Session,
) -> None:
    syn = builders.make(n=30, hours=40, seed=8)
    # C1 finishes 30 s into hour 30 (its finishVoting), C2 opens 3 h late (its startVoting).
    syn.votes[1, 31:] = syn.bulletins[1, 31:] = syn.rejected[1, 31:] = 0
    syn.votes[1, 30] = syn.bulletins[1, 30] = syn.rejected[1, 30] = 1
    syn.votes[2, :3] = syn.bulletins[2, :3] = syn.rejected[2, :3] = 0
    builders.write(db, syn)
    finish = syn.start + 30 * builders.HOUR + timedelta(seconds=30)
    db.execute(
        update(Constituency)
        .where(Constituency.id == syn.ids[1])
        .values(voting_end=finish, status="completed", last_data_time=finish)
    )
    db.execute(
        update(Constituency)
        .where(Constituency.id == syn.ids[2])
        .values(voting_start=syn.start + 3 * builders.HOUR)
    )
    detect(db.connection(), election_id=syn.election_id)
    alerts = list(db.scalars(select(Alert)))
    mine = [a for a in alerts if a.constituency_id in (syn.ids[1], syn.ids[2])]
    assert not mine, [(a.constituency_id == syn.ids[1], a.type, a.title) for a in mine]


def test_a_constituency_without_any_data_is_awaiting_not_offline(db: Session) -> None:
    syn = builders.make(n=30, hours=40, seed=9)
    syn.votes[3, :] = syn.bulletins[3, :] = syn.rejected[3, :] = 0  # its file never came
    alerts = _run(db, syn)
    assert not [a for a in alerts if a.constituency_id == syn.ids[3]]
    frame = load_frame(db.connection(), syn.election_id, DetectionSettings())
    assert frame.awaiting[frame.index[syn.ids[3]]]
    assert frame.closed >= 38  # the others' hours settle without it (quorum)
