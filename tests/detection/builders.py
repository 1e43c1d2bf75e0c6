"""Synthetic elections written straight into the stored tables the detectors read.

Counts follow a diurnal profile in local time with gamma-Poisson noise (regional and
per-constituency shocks), like research/detection.md §8; anomalies are injected by editing
the count matrices before they are written.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import insert, update
from sqlalchemy.orm import Session

from election_monitor.models import Constituency, Election, HourlyStats

T0 = datetime(2026, 9, 18, 5, 0, tzinfo=UTC)  # 08:00 in Moscow
HOUR = timedelta(hours=1)


def profile(local_hour: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """Relative voting intensity by local hour of day."""
    x = local_hour + 0.5
    peaks = [(9.5, 1.5, 0.4), (13.0, 2.0, 0.25), (19.0, 1.7, 0.35)]
    out = np.full_like(x, 0.004, dtype=float)
    for c, s, w in peaks:
        out += w * np.exp(-0.5 * ((x - c) / s) ** 2) / (s * np.sqrt(2 * np.pi))
    return out


@dataclass
class Synthetic:
    """An election in memory: ids, sizes, and the hourly count matrices."""

    election_id: str
    ids: list[str]
    regions: list[str]
    registered: np.ndarray[Any, Any]
    votes: np.ndarray[Any, Any]
    bulletins: np.ndarray[Any, Any]
    rejected: np.ndarray[Any, Any]
    start: datetime = T0
    tz_offset: int = 3
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def hours(self) -> int:
        return int(self.votes.shape[1])

    def local_hour(self, t: int) -> int:
        return (self.start.hour + t + self.tz_offset) % 24


def make(
    *,
    n: int = 40,
    hours: int = 48,
    regions: int = 4,
    seed: int = 1,
    size: float = 8000.0,
    k_region: float = 30.0,
    k_idio: float = 100.0,
) -> Synthetic:
    rng = np.random.default_rng(seed)
    registered = np.clip(rng.lognormal(np.log(size), 0.6, n), 800, 80_000).round()
    part = 0.9 * rng.beta(108, 12, n)
    local = (T0.hour + 3 + np.arange(hours)) % 24
    shape = profile(local.astype(float))
    shape = shape / shape.sum()
    region_of = np.arange(n) % regions
    shock_r = rng.gamma(k_region, 1 / k_region, (regions, hours))
    shock_i = rng.gamma(k_idio, 1 / k_idio, (n, hours))
    mu = (registered * part)[:, None] * shape[None, :] * shock_r[region_of] * shock_i
    votes = rng.poisson(mu).astype(float)
    bulletins = votes + rng.poisson(votes * 0.015)
    rejected = rng.binomial(votes.astype(int), 0.003).astype(float)
    return Synthetic(
        election_id="",
        ids=[f"C{i:03d}" + uuid.uuid4().hex[:6] for i in range(n)],
        regions=[f"R{r}" for r in region_of],
        registered=registered,
        votes=votes,
        bulletins=bulletins,
        rejected=rejected,
    )


def write(
    db: Session, syn: Synthetic, *, upto: int | None = None, newest_extra: float = 0.5
) -> None:
    """Write the election, constituencies (first call) and hours [0, upto)."""
    upto = syn.hours if upto is None else upto
    syn.votes, syn.bulletins, syn.rejected = (
        np.round(syn.votes),
        np.round(syn.bulletins),
        np.round(syn.rejected),
    )
    if not syn.election_id:
        election = Election(
            name=f"Synthetic {uuid.uuid4().hex[:6]}",
            start_date=syn.start,
            end_date=syn.start + syn.hours * HOUR,
            timezone="Europe/Moscow",
        )
        db.add(election)
        db.flush()
        syn.election_id = election.id
        db.execute(
            insert(Constituency),
            [
                {
                    "id": cid,
                    "election_id": election.id,
                    "name": f"District {cid[:4]}",
                    "region": syn.regions[i],
                    "type": "urban",
                    "registered_voters": int(syn.registered[i]),
                    "voting_start": syn.start,
                    "voting_end": syn.start + syn.hours * HOUR,
                    "revote_blocked": True,
                }
                for i, cid in enumerate(syn.ids)
            ],
        )
        syn.extra["written"] = 0
    lo = syn.extra["written"]
    rows = []
    for i, cid in enumerate(syn.ids):
        for t in range(lo, upto):
            v, b, r = syn.votes[i, t], syn.bulletins[i, t], syn.rejected[i, t]
            if v + b + r == 0:
                continue
            rows.append(
                {
                    "constituency_id": cid,
                    "hour": syn.start + t * HOUR,
                    "votes_cast": int(v),
                    "bulletins_issued": int(b),
                    "vote_calls": int(v),
                    "rejected_votes": int(r),
                    "transaction_count": int(v + b + r),
                }
            )
    if rows:
        db.execute(insert(HourlyStats), rows)
    syn.extra["written"] = upto
    newest = syn.start + (upto - 1 + newest_extra) * HOUR
    for i, cid in enumerate(syn.ids):
        has = np.flatnonzero(syn.votes[i, :upto] + syn.bulletins[i, :upto] > 0)
        last = syn.start + (int(has.max()) + 0.5) * HOUR if has.size else None
        db.execute(
            update(Constituency)
            .where(Constituency.id == cid)
            .values(
                votes_cast=int(syn.votes[i, :upto].sum()),
                bulletins_issued=int(syn.bulletins[i, :upto].sum()),
                rejected_votes=int(syn.rejected[i, :upto].sum()),
                last_data_time=min(last, newest) if last else None,
            )
        )
    # The newest data time of the election: at least one constituency reached it.
    db.execute(
        update(Constituency).where(Constituency.id == syn.ids[0]).values(last_data_time=newest)
    )
    db.flush()
