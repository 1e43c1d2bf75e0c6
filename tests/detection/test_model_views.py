"""The expected-count model's views of an hour: learned phase, neighbouring hours, pace."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from scipy import stats
from sqlalchemy import select
from sqlalchemy.orm import Session

from election_monitor.detection import detect
from election_monitor.detection.frame import load_frame
from election_monitor.detection.model import betabinom_sf, fit
from election_monitor.detection.settings import DetectionSettings
from election_monitor.models import Alert
from tests.detection import builders


def test_beta_binomial_tail_matches_scipy() -> None:
    ks = np.array([1, 3, 4, 8, 16])
    a = np.array([0.01, 0.5, 2.0, 0.2, 5.0])
    b = np.array([100.0, 50.0, 30.0, 10.0, 1.0])
    assert np.allclose(betabinom_sf(ks, 16, a, b), stats.betabinom.sf(ks - 1, 16, a, b))


def _late(syn: builders.Synthetic, c: int) -> None:
    """Constituency c votes by a clock running half an hour behind its peers'."""
    for m in (syn.votes, syn.bulletins, syn.rejected):
        m[c, 1:] = np.round(0.5 * (m[c, 1:] + m[c, :-1]))


def _alerts(db: Session, syn: builders.Synthetic) -> list[Alert]:
    builders.write(db, syn)
    detect(db.connection(), election_id=syn.election_id)
    db.expire_all()
    return list(db.scalars(select(Alert)))


def test_a_constituency_voting_half_an_hour_late_is_learned_not_alerted(db: Session) -> None:
    syn = builders.make(n=40, hours=60, seed=21)
    _late(syn, 3)
    alerts = _alerts(db, syn)
    settings = DetectionSettings()
    model = fit(load_frame(db.connection(), syn.election_id, settings), settings)
    assert model.phase[3] > 0.25  # hours behind its type's clock
    assert abs(float(np.median(model.phase))) < 0.2
    velocity = {"unusual_spike", "unusual_drop", "correlated_spike"}
    assert not [a for a in alerts if a.constituency_id == syn.ids[3] and a.type in velocity]


def test_a_spike_on_a_late_constituency_s_morning_ramp_is_found(db: Session) -> None:
    syn = builders.make(n=40, hours=60, seed=22)
    _late(syn, 5)
    # 09:00 Moscow on the second day (t = 28) is on constituency 5's (late) morning ramp.
    t = 25
    assert syn.local_hour(t) == 9
    syn.votes[5, t] *= 4
    syn.bulletins[5, t] *= 4
    spikes = [a for a in _alerts(db, syn) if a.type == "unusual_spike"]
    assert [a.constituency_id for a in spikes] == [syn.ids[5]]
    (hour,) = spikes[0].details["hours"]
    assert hour["test"] in {"model", "neighbouring hours"}
    assert hour["expected_from_neighbours"] is not None
    assert hour["observed"] > 2.5 * hour["expected"]


def test_a_quiet_first_day_does_not_make_the_second_day_look_like_a_surge(db: Session) -> None:
    syn = builders.make(n=40, hours=60, seed=23)
    # Day one (08:00 Moscow to 04:00 the next morning: t 0..19) at 0.55x, then normal.
    for m in (syn.votes, syn.bulletins, syn.rejected):
        m[7, :20] = np.round(m[7, :20] * 0.55)
    alerts = _alerts(db, syn)
    settings = DetectionSettings()
    frame = load_frame(db.connection(), syn.election_id, settings)
    model = fit(frame, settings)
    carried = fit(frame, replace(settings, day_boundary_hour=99))  # no new day, ever
    # The second day's morning (08:00-12:00 Moscow, t 24..28): restarting the level each day
    # follows the constituency back; carrying day one's level over does not.
    day2 = slice(24, 29)
    error = np.abs(np.log(model.mu[7, day2] / syn.votes[7, day2])).mean()
    error_carried = np.abs(np.log(carried.mu[7, day2] / syn.votes[7, day2])).mean()
    assert error < 0.8 * error_carried
    assert not [a for a in alerts if a.constituency_id == syn.ids[7] and a.type == "unusual_spike"]
