"""The expected band behind the velocity detectors, per constituency and settled hour.

Input: the election's hourly stats (the detectors' frame). Output: ``ExpectedSeries`` with the
model's expected voters and a negative-binomial band around it. Guarantee: the numbers are the
ones ``unusual_spike`` / ``unusual_drop`` test against (same model, same settings file).
"""

from __future__ import annotations

import numpy as np
from scipy import stats
from sqlalchemy.orm import Session

from election_monitor.dashboard.schemas import ExpectedSeries
from election_monitor.detection.frame import load_frame
from election_monitor.detection.model import fit, nb_params
from election_monitor.detection.settings import load_settings_file
from election_monitor.exceptions import NotFoundError
from election_monitor.models import Constituency, Election

#: Tail probability of each edge: the band holds 95 % of hours of a normal constituency.
BAND_LEVEL = 0.025


def constituency_expected(db: Session, *, constituency_id: str) -> ExpectedSeries:
    """Expected voters and band per settled hour; ``NotFoundError`` for an unknown id."""
    constituency = db.get(Constituency, constituency_id)
    if constituency is None:
        raise NotFoundError("Constituency", constituency_id)
    election = db.get(Election, constituency.election_id)
    settings = load_settings_file().for_election(
        election_id=constituency.election_id, election_name=election.name if election else None
    )
    # The model pools peers (shape, regional factor): it needs the whole election's frame.
    frame = load_frame(db.connection(), constituency.election_id, settings)
    empty = ExpectedSeries(
        constituency_id=constituency_id, hours=[], votes_cast=[], expected=[], lower=[],
        upper=[], level=BAND_LEVEL,
    )  # fmt: skip
    c = frame.index.get(constituency_id)
    if c is None or frame.closed == 0:
        return empty
    model = fit(frame, settings)
    closed = min(frame.closed, frame.n_hours)
    mu = model.mu[c, :closed]
    n, p = nb_params(mu, model.k_eff[c, :closed])
    lower = stats.nbinom.ppf(BAND_LEVEL, n, p)
    upper = stats.nbinom.ppf(1 - BAND_LEVEL, n, p)
    active = frame.active()[c, :closed] & (mu > 0)

    def masked(values: np.ndarray) -> list[float | None]:
        return [round(float(v), 3) if a else None for v, a in zip(values, active, strict=True)]

    return ExpectedSeries(
        constituency_id=constituency_id,
        hours=[frame.hour(t) for t in range(closed)],
        votes_cast=[int(v) for v in frame.votes[c, :closed]],
        expected=masked(mu),
        lower=masked(lower),
        upper=masked(upper),
        level=BAND_LEVEL,
    )
