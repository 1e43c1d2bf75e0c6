"""The expected-count model shared by the statistical detectors.

For constituency c and UTC hour t (research/detection.md §3, simplified)::

    mu[c, t] = peers[c, t] * propensity[c, t] * level[c, t]

- ``peers``: accepted voters in hour t of the other members of c's peer group (leave-one-out:
  common shocks such as a national push notification move the expectation, not an alert).
  Peer groups keep one time zone, so the diurnal profile is the peers' realised profile in
  local time. Groups: time zone + region + type, merged upward (zone + type, zone, all) below
  ``min_group_size`` members.
- ``propensity``: c's cumulative voters before t over the peers' cumulative voters before t,
  both shrunk toward registered voters by a prior of ``prior_weight * prior_participation``
  pseudo-votes per registered voter (empirical Bayes: small constituencies borrow strength).
- ``level``: a short-term multiplicative level, exponentially smoothed over unflagged hours.

Noise is negative binomial with shape k estimated causally (method of moments over earlier
hours with mu > 5), plus a phase-uncertainty term on steep ramps:
``k_eff = 1 / (1/k + (phase_sd * |d ln peers / dt|)^2)``. Everything at hour t uses data up to
t only, so a run after each batch and a run from scratch compute the same values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from election_monitor.detection.frame import ConstituencyFacts, Frame, NDArray
from election_monitor.detection.settings import DetectionSettings


def peer_groups(frame: Frame, min_size: int) -> NDArray:
    """Group id per constituency: zone+region+type, merged upward while too small."""
    n = len(frame.facts)

    def zone_region_type(f: ConstituencyFacts) -> tuple[Any, ...]:
        return (f.timezone, f.region, f.type)

    def zone_type(f: ConstituencyFacts) -> tuple[Any, ...]:
        return (f.timezone, f.type)

    def zone_only(f: ConstituencyFacts) -> tuple[Any, ...]:
        return (f.timezone,)

    def everyone(f: ConstituencyFacts) -> tuple[Any, ...]:
        return ("all",)

    levels = [zone_region_type, zone_type, zone_only, everyone]
    assigned: list[tuple[Any, ...] | None] = [None] * n
    for i, key_of in enumerate(levels):
        counts: dict[tuple[Any, ...], int] = {}
        for c, f in enumerate(frame.facts):
            if assigned[c] is None:
                counts[key_of(f)] = counts.get(key_of(f), 0) + 1
        for c, f in enumerate(frame.facts):
            if assigned[c] is None and (counts[key_of(f)] >= min_size or i == len(levels) - 1):
                assigned[c] = (i, *key_of(f))
    keys = sorted({k for k in assigned if k is not None}, key=str)
    lookup = {k: j for j, k in enumerate(keys)}
    return np.asarray([lookup[k] for k in assigned if k is not None], dtype=np.int64)


def group_sum(values: NDArray, groups: NDArray) -> NDArray:
    """Per-row sum over each row's group (same shape as ``values``)."""
    n_groups = int(groups.max()) + 1 if len(groups) else 0
    sums = np.zeros((n_groups, *values.shape[1:]))
    np.add.at(sums, groups, values)
    out: NDArray = sums[groups]
    return out


def nb_params(mu: NDArray, k: NDArray) -> tuple[NDArray, NDArray]:
    mu = np.maximum(mu, 1e-9)
    return k, k / (k + mu)


def upper_midp(v: NDArray, mu: NDArray, k: NDArray) -> NDArray:
    """P(X > v) + P(X = v) / 2 for X ~ NB(mean mu, shape k)."""
    n, p = nb_params(mu, k)
    out: NDArray = stats.nbinom.sf(v, n, p) + 0.5 * stats.nbinom.pmf(v, n, p)
    return np.clip(out, 1e-300, 1.0)


def lower_midp(v: NDArray, mu: NDArray, k: NDArray) -> NDArray:
    """P(X < v) + P(X = v) / 2."""
    n, p = nb_params(mu, k)
    out: NDArray = stats.nbinom.cdf(v - 1, n, p) + 0.5 * stats.nbinom.pmf(v, n, p)
    return np.clip(out, 1e-300, 1.0)


def bh_adjust(p: NDArray) -> NDArray:
    """Benjamini-Hochberg adjusted p-values (empty-safe)."""
    if p.size == 0:
        return p
    out: NDArray = stats.false_discovery_control(p, method="bh")
    return out


@dataclass
class Model:
    """Expected counts, noise shape and the per-hour spike flags, for every cell."""

    groups: NDArray  # peer group per constituency
    mu: NDArray  # expected voters (with level)
    mu_struct: NDArray  # expected voters without the short-term level
    k_eff: NDArray  # NB shape per cell
    k_hat: NDArray  # estimated shape per hour (before phase term)
    tested: NDArray  # cell went through the velocity tests
    p_up: NDArray  # upper mid-p (1 where untested)
    p_down: NDArray  # lower mid-p
    q_up: NDArray  # BH-adjusted upper p (per hour, across tested constituencies)
    q_down: NDArray  # BH-adjusted lower p
    spike_level: NDArray  # 0 none, 1 warning, 2 critical (after BH and guards)
    started: NDArray  # first hour with data per constituency (n_hours if none)
    active: NDArray
    outage: NDArray  # per hour: platform-wide silence
    mu_offline: NDArray  # expected voters for silence tests (peer volume carried over outages)


def fit(frame: Frame, s: DetectionSettings) -> Model:
    """Run the causal expected-count model over all closed hours of the frame."""
    counts = frame.votes
    n_c, n_h = counts.shape
    closed = frame.closed
    active = frame.active()
    groups = peer_groups(frame, s.min_group_size)
    registered = np.asarray([float(f.denominator) for f in frame.facts])
    prior = s.prior_weight * s.prior_participation * np.maximum(registered, 1.0)

    g_hour = group_sum(counts, groups) if n_c else counts.copy()
    peers = g_hour - counts  # leave-one-out peer volume per cell
    cum = np.cumsum(counts, axis=1) - counts  # before t
    g_cum = group_sum(cum, groups) if n_c else cum.copy()
    prior_peers = (group_sum(prior[:, None], groups)[:, 0] - prior) if n_c else prior
    propensity = (cum + prior[:, None]) / (g_cum - cum + prior_peers[:, None] + 1e-9)

    has_data = frame.tx > 0
    started = np.where(has_data.any(axis=1), has_data.argmax(axis=1), n_h)

    # Platform-wide silence: most started, active constituencies have nothing in the hour.
    total_tx = frame.tx.sum(axis=0)
    outage = np.zeros(n_h, dtype=bool)
    last_busy = -1
    for t in range(min(closed, n_h)):
        eligible = active[:, t] & (started < t)
        n_eligible = int(eligible.sum())
        silent = int((eligible & ~has_data[:, t]).sum())
        if (
            last_busy >= 0
            and n_eligible >= s.outage_min_constituencies
            and silent >= s.outage_share * n_eligible
            and total_tx[t] <= 0.5 * total_tx[last_busy]
        ):
            outage[t] = True
        elif total_tx[t] > 0:
            last_busy = t
    peers_offline = peers.copy()
    for t in range(1, n_h):
        if outage[t]:
            peers_offline[:, t] = peers_offline[:, t - 1]

    # Phase term: how steep the group's volume is changing at t.
    p_prev = np.concatenate([peers[:, :1], peers[:, :-1]], axis=1)
    slope = np.abs(np.log((peers + 1.0) / (p_prev + 1.0)))  # peers only: c's own surge is no ramp
    phase_var = (s.phase_sd_hours * slope) ** 2

    mu_struct = peers * propensity
    mu_offline = peers_offline * propensity
    mu = np.zeros_like(counts)
    k_eff = np.full_like(counts, s.nb_shape_default)
    k_hat = np.full(n_h, s.nb_shape_default)
    tested = np.zeros_like(counts, dtype=bool)
    p_up = np.ones_like(counts)
    p_down = np.ones_like(counts)
    q_up = np.ones_like(counts)
    q_down = np.ones_like(counts)
    spike_level = np.zeros_like(counts, dtype=np.int8)
    level = np.ones(n_c)
    num = 0.0  # sum of (counts - mu)^2 - counts
    den = 0.0  # sum of mu^2
    min_excess = np.maximum(s.spike_min_excess, s.spike_min_excess_share * registered)
    for t in range(min(closed, n_h)):
        k = s.nb_shape_default
        if den > 0 and num > 0:
            k = float(np.clip(den / num, s.nb_shape_min, s.nb_shape_max))
        elif den > 0:
            k = s.nb_shape_max
        k_hat[t] = k
        mu_t = mu_struct[:, t] * level
        mu[:, t] = mu_t
        k_t = 1.0 / (1.0 / k + phase_var[:, t])
        k_eff[:, t] = k_t
        v_t = counts[:, t]
        test = (
            active[:, t]
            & has_data[:, t]
            & (t >= started + s.warmup_hours)
            & (mu_t >= 1.0)
            & (peers[:, t] > 0)
        )
        tested[:, t] = test
        flagged = np.zeros(n_c, dtype=bool)
        if test.any():
            idx = np.flatnonzero(test)
            up = upper_midp(v_t[idx], mu_t[idx], k_t[idx])
            down = lower_midp(v_t[idx], mu_t[idx], k_t[idx])
            p_up[idx, t] = up
            p_down[idx, t] = down
            adj = bh_adjust(up)
            adj_down = bh_adjust(down)
            q_up[idx, t] = adj
            q_down[idx, t] = adj_down
            guard = (v_t[idx] >= s.spike_min_ratio * mu_t[idx]) & (
                v_t[idx] - mu_t[idx] >= min_excess[idx]
            )
            warn = guard & (adj <= s.spike_q_warn)
            crit = guard & (adj <= s.spike_q_crit)
            spike_level[idx, t] = np.where(crit, 2, np.where(warn, 1, 0))
            flagged[idx] = (adj <= s.spike_q_warn) | (adj_down <= s.drop_q)
            # Update the noise estimate with unflagged, well-populated cells.
            ok = ~flagged[idx] & (mu_t[idx] > 5.0)
            if ok.any():
                vv, mm = v_t[idx][ok], mu_struct[idx, t][ok] * level[idx][ok]
                num += float(np.sum((vv - mm) ** 2 - vv))
                den += float(np.sum(mm**2))
        if s.level_alpha > 0:
            upd = has_data[:, t] & ~flagged & (mu_struct[:, t] > 0) & active[:, t]
            ratio = (v_t + 1.0) / (mu_struct[:, t] + 1.0)
            new = np.clip(
                (1 - s.level_alpha) * level + s.level_alpha * ratio, s.level_min, s.level_max
            )
            level = np.where(upd, new, level)
    return Model(
        groups=groups,
        mu=mu,
        mu_struct=mu_struct,
        k_eff=k_eff,
        k_hat=k_hat,
        tested=tested,
        p_up=p_up,
        p_down=p_down,
        q_up=q_up,
        q_down=q_down,
        spike_level=spike_level,
        started=started,
        active=active,
        outage=outage,
        mu_offline=mu_offline * np.where(mu_struct > 0, mu / np.maximum(mu_struct, 1e-9), 1.0),
    )
