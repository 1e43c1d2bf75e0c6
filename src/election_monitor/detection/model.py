"""The expected-count model shared by the statistical detectors.

For constituency c and UTC hour t (research/detection.md §3)::

    mu[c, t] = level[c, t] * registered[c] * shape[type(c), h] * own[c, h] * common[c, t]

with h the local hour of day of (c, t):

- ``shape``: the pooled diurnal shape in LOCAL time of c's constituency type (voters per
  registered voter at local hour h over all earlier hours of every constituency of the type,
  any time zone), shrunk toward the shape of all types. Zones east of c have usually lived
  through hour h already, and earlier days count too.
- ``own``: c's own hour-of-day factor learned from its previous days (a constituency that
  votes earlier than its type): the log ratio of its counts to the expectation at hour h,
  shrunk to 0 by precision (prior variance: the phase effect at h plus ``own_hour_sd``^2;
  estimate variance: 1 / expected count so far), clipped 0.5-2.
- ``level``: c's own level, a ratio of exponentially weighted sums of its observed and
  structural counts over its earlier unflagged hours (half-life ``level_half_life_hours``),
  with a prior of ``level_prior_votes`` pseudo-votes at 1.
- ``common``: the leave-one-out MEDIAN, over the other constituencies of c's region (else
  its time zone, else the election), of observed / expected without ``common`` in the same
  hour. It absorbs regional and national shocks (a push notification, a slowdown); being a
  median, a subset of the region surging together does not lift it.

Noise is negative binomial with shape k estimated causally by the method of moments over
earlier unflagged hours with mu > 5 (it also absorbs the average misfit), per band of the
shape's slope (``nb_slope_bins``; steady hours are fitted better than ramps) shrunk toward the
overall k, plus a phase-uncertainty term on steep parts of the
shape: with ``u^2`` the part of the prior variance of the own factor (``(phase_sd * |d ln
shape / dh|)^2 + own_hour_sd^2``, the steeper of the two one-hour differences around h) that
c's earlier days have not resolved yet, ``k_eff = 1 / (1/k + u^2 + common factor noise)`` and
the upper (lower) tail is taken at ``mu * exp(+phase_z * u)`` (``mu * exp(-phase_z * u)``): a
constituency running half an hour ahead of its type on a steep ramp is not a spike.
Everything at hour t uses data up to t only (the common factor uses the other constituencies'
hour t), so a run after each batch and a run from scratch compute the same values.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

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


def _ids(keys: list[Any]) -> NDArray:
    lookup = {k: j for j, k in enumerate(sorted(set(keys), key=str))}
    return np.asarray([lookup[k] for k in keys], dtype=np.int64)


def common_groups(frame: Frame) -> list[NDArray]:
    """Group ids per constituency for the common factor: zone+region, then zone.

    Only constituencies on the same local clock share a factor: at one UTC hour, others in
    other zones are at other hours of their day, and their misfit there (an unlearnt part of
    the shape) is not a shock this constituency shares. A constituency alone in its zone
    gets no common factor and carries the typical size of one as extra noise instead.
    """
    facts = frame.facts
    return [
        _ids([(f.timezone, f.region) for f in facts]),
        _ids([f.timezone for f in facts]),
    ]


def loo_median(x: NDArray) -> NDArray:
    """For each element, the median of the other elements (NaN when there are none)."""
    n = x.size
    if n < 2:
        return np.full(n, np.nan)
    order = np.argsort(x, kind="stable")
    a = x[order]
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    m = n - 1

    def at(pos: int) -> NDArray:
        out: NDArray = a[np.where(pos < rank, pos, pos + 1)]
        return out

    if m % 2:
        return at(m // 2)
    return 0.5 * (at(m // 2 - 1) + at(m // 2))


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


def betabinom_sf(k: NDArray, n: int, a: NDArray, b: NDArray) -> NDArray:
    """P(X >= k) for X ~ BetaBinomial(n, a_i, b_i), one value per k_i (vectorised: scipy's
    generic discrete sf sums the pmf one element at a time)."""
    j = np.arange(n + 1, dtype=float)
    log_choose = special.gammaln(n + 1) - special.gammaln(j + 1) - special.gammaln(n - j + 1)
    a_, b_ = np.asarray(a, dtype=float)[:, None], np.asarray(b, dtype=float)[:, None]
    log_pmf = log_choose + special.betaln(j + a_, n - j + b_) - special.betaln(a_, b_)
    pmf = np.exp(log_pmf) * (j[None, :] >= np.asarray(k)[:, None])
    out: NDArray = np.clip(pmf.sum(axis=1), 0.0, 1.0)
    return out


def bh_adjust(p: NDArray) -> NDArray:
    """Benjamini-Hochberg adjusted p-values (empty-safe)."""
    if p.size == 0:
        return p
    out: NDArray = stats.false_discovery_control(p, method="bh")
    return out


def bh_adjust_grouped(p: NDArray, groups: NDArray) -> NDArray:
    """Benjamini-Hochberg adjusted p-values within each group, in one vectorised pass."""
    n = p.size
    if n == 0:
        return p
    order = np.lexsort((p, groups))
    g, ps = groups[order], p[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    sizes = np.diff(np.r_[starts, n])
    size = np.repeat(sizes, sizes)
    rank = np.arange(n) - np.repeat(starts, sizes) + 1
    scaled = ps * size / rank
    # Running minimum from each group's largest p down to its smallest.
    rev = scaled[::-1]
    ends_rev = np.r_[True, g[::-1][1:] != g[::-1][:-1]]
    seg = np.cumsum(ends_rev) - 1
    mins = np.empty(n)
    for k in range(seg[-1] + 1):  # one minimum.accumulate per group, no per-element Python
        sel = seg == k
        mins[sel] = np.minimum.accumulate(rev[sel])
    out = np.empty(n)
    out[order] = np.minimum(mins[::-1], 1.0)
    return out


@dataclass
class Model:
    """Expected counts, noise shape and the per-hour spike flags, for every cell."""

    groups: NDArray  # peer group per constituency
    mu: NDArray  # expected voters (with level)
    mu_struct: NDArray  # expected voters without the own level
    mu_pre: NDArray  # expected voters without the common (regional) factor
    k_eff: NDArray  # NB shape per cell
    k_steady: NDArray  # the same without the phase term (sums over several hours)
    p_up_unshifted: NDArray  # upper mid-p at mu itself (no phase tolerance)
    k_hat: NDArray  # estimated shape per hour (before phase term)
    tolerance: NDArray  # phase tolerance factor: tails are tested at mu x / this
    tested: NDArray  # cell went through the velocity tests
    p_up: NDArray  # upper mid-p (1 where untested)
    p_down: NDArray  # lower mid-p
    q_up: NDArray  # BH-adjusted upper p (per hour, across tested constituencies)
    q_down: NDArray  # BH-adjusted lower p
    spike_level: NDArray  # 0 none, 1 warning, 2 critical (after BH and guards)
    mu_local: NDArray  # expectation interpolated from the neighbouring hours (NaN: untested)
    p_local: NDArray  # upper mid-p against mu_local (1 where untested)
    q_local: NDArray  # its BH-adjusted value (per hour)
    mu_prev: NDArray  # expectation carried from the previous hour's ratio (NaN: untested)
    p_prev: NDArray  # upper mid-p against mu_prev
    by_neighbours: NDArray  # spike found only by the neighbour test
    phase: NDArray  # learned phase per constituency (hours behind its type's clock)
    started: NDArray  # first hour with data per constituency (n_hours if none)
    active: NDArray
    outage: NDArray  # per hour: platform-wide silence
    mu_offline: NDArray  # expected voters for silence tests (peer volume carried over outages)


def _outage(frame: Frame, s: DetectionSettings, active: NDArray, started: NDArray) -> NDArray:
    """Per hour: platform-wide silence (most started, active constituencies send nothing)."""
    n_h = frame.n_hours
    has_data = frame.tx > 0
    total_tx = frame.tx.sum(axis=0)
    outage = np.zeros(n_h, dtype=bool)
    last_busy = -1
    for t in range(min(frame.closed, n_h)):
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
    return outage


def _common(
    ratio: NDArray, ok: NDArray, levels: list[NDArray], min_peers: int
) -> tuple[NDArray, NDArray]:
    """Leave-one-out median of ``ratio`` over the first group level with enough others."""
    n = ratio.size
    out = np.ones(n)
    n_used = np.zeros(n)
    done = np.zeros(n, dtype=bool)
    for groups in levels:
        for g in np.unique(groups[~done]):
            members = groups == g
            use = np.flatnonzero(members & ok)
            need = np.flatnonzero(members & ~done)
            if use.size < min_peers or need.size == 0:
                continue
            med = loo_median(ratio[use])
            # Members that did not contribute see every contributor.
            full = float(np.median(ratio[use]))
            vals = np.full(n, full)
            cnt = np.full(n, float(use.size))
            vals[use] = med
            cnt[use] = use.size - 1
            enough = cnt[need] >= min_peers
            sel = need[enough]
            out[sel] = vals[sel]
            n_used[sel] = cnt[sel]
            done[sel] = True
        if done.all():
            break
    return out, n_used


def _phase(s: DetectionSettings, xy: NDArray, xx: NDArray) -> tuple[NDArray, NDArray]:
    """Each constituency's phase (ridge estimate, clipped) and its precision."""
    precision = xx + 1.0 / s.phase_sd_hours**2
    return np.clip(xy / precision, -s.phase_max_hours, s.phase_max_hours), precision


@dataclass
class _Cells:
    """What the pace and neighbour views read: counts, expectations and their log misfits."""

    counts: NDArray
    mu: NDArray
    k_steady: NDArray
    tested: NDArray  # the hour itself is tested
    seen: NDArray  # a neighbouring hour only needs data and an expectation

    def __post_init__(self) -> None:
        self.log_r = np.log((self.counts + 0.5) / (self.mu + 0.5))
        self.var_r = 1.0 / (self.counts + 0.5) + 1.0 / self.k_steady
        log_mu = np.log(np.maximum(self.mu, 1e-3))
        # bend[:, i]: second difference of the log expectation centred on hour i (0 at the ends)
        self.bend = np.zeros_like(log_mu)
        self.bend[:, 1:-1] = log_mu[:, 2:] - 2 * log_mu[:, 1:-1] + log_mu[:, :-2]


def _after_previous_hour(s: DetectionSettings, cells: _Cells) -> tuple[NDArray, NDArray]:
    """Expected = mu[t] x the previous hour's observed/expected ratio, and its upper mid-p.

    Available as soon as hour t closes; the persistent part of a constituency's misfit
    (its timing on a ramp, a level not learned yet) cancels. The correlated-spike rule counts
    members with it (a one-hour group surge spills votes into the next hour, which blunts the
    two-sided neighbour test).
    """
    counts, mu, k_steady = cells.counts, cells.mu, cells.k_steady
    log_r, var_r = cells.log_r, cells.var_r
    n_c, n_h = counts.shape
    mu_prev = np.full((n_c, n_h), np.nan)
    p_prev = np.ones((n_c, n_h))
    if n_h < 2:
        return mu_prev, p_prev
    ok = cells.tested[:, 1:] & cells.seen[:, :-1]
    mu_prev[:, 1:] = np.where(ok, mu[:, 1:] * np.exp(log_r[:, :-1]), np.nan)
    # Where the expected curve bends (a ramp starting), a constituency a little ahead of its
    # type changes pace by about its phase error x the change of slope.
    inv_k = (
        1.0 / k_steady[:, 1:]
        + var_r[:, :-1]
        + s.spike_neighbour_sd**2
        + (s.phase_sd_hours * cells.bend[:, :-1]) ** 2
    )
    idx = np.nonzero(ok)
    at = (idx[0], idx[1] + 1)
    p_prev[at] = upper_midp(counts[at], mu_prev[at], 1.0 / inv_k[idx])
    return mu_prev, p_prev


def _neighbour_spikes(
    frame: Frame,
    s: DetectionSettings,
    cells: _Cells,
    p_model: NDArray,
    min_excess: NDArray,
    crit_excess: NDArray,
) -> tuple[NDArray, NDArray, NDArray, NDArray]:
    """The spike test for hour t once hour t+1 is closed: expected = mu[t] x the geometric
    mean of the neighbours' observed/expected ratios.

    A constituency running ahead of its type on a ramp has the same ratio in consecutive
    hours, so the interpolation follows it; a one-hour spike does not. The neighbours' own
    noise (log variance 1/v + 1/k each) and ``spike_neighbour_sd`` widen the NB; BH per
    hour; where the model's own log expectation bends sharply around t (a shape not learned
    yet) the interpolation is trusted less (``spike_neighbour_curvature``); the hour must also
    be above the model itself (``spike_neighbour_model_p``), so a
    normal hour between two low ones is not a spike.
    """
    counts, mu, k_steady = cells.counts, cells.mu, cells.k_steady
    log_r, var_r = cells.log_r, cells.var_r
    n_c, n_h = counts.shape
    mu_local = np.full((n_c, n_h), np.nan)
    p_local = np.ones((n_c, n_h))
    q_local = np.ones((n_c, n_h))
    level = np.zeros((n_c, n_h), dtype=np.int8)
    closed = min(frame.closed, n_h)
    if closed < 3:
        return mu_local, p_local, q_local, level
    mid = slice(1, closed - 1)
    ok = cells.tested[:, mid] & cells.seen[:, : closed - 2] & cells.seen[:, 2:closed]
    interp = 0.5 * (log_r[:, : closed - 2] + log_r[:, 2:closed])
    mu_local[:, mid] = np.where(ok, mu[:, mid] * np.exp(interp), np.nan)
    inv_k = (
        1.0 / k_steady[:, mid]
        + 0.25 * (var_r[:, : closed - 2] + var_r[:, 2:closed])
        + s.spike_neighbour_sd**2
        + (s.spike_neighbour_curvature * cells.bend[:, mid]) ** 2
    )
    for t in range(1, closed - 1):
        idx = np.flatnonzero(ok[:, t - 1])
        if idx.size == 0:
            continue
        v, m_loc = counts[idx, t], mu_local[idx, t]
        p = upper_midp(v, m_loc, 1.0 / inv_k[idx, t - 1])
        p_local[idx, t] = p
        q = bh_adjust(p)
        q_local[idx, t] = q
        excess = v - m_loc
        guard = (
            (v >= s.spike_min_ratio * m_loc)
            & (excess >= min_excess[idx])
            & (p_model[idx, t] <= s.spike_neighbour_model_p)
        )
        warn = guard & (q <= s.spike_neighbour_q)
        crit = (
            guard
            & (q <= s.spike_q_crit)
            & (v >= s.spike_crit_min_ratio * m_loc)
            & (excess >= crit_excess[idx])
        )
        level[idx, t] = np.where(crit, 2, np.where(warn, 1, 0))
    return mu_local, p_local, q_local, level


def fit(frame: Frame, s: DetectionSettings) -> Model:
    """Run the causal expected-count model over all closed hours of the frame."""
    counts = frame.votes
    n_c, n_h = counts.shape
    closed = min(frame.closed, n_h)
    active = frame.active()
    has_data = frame.tx > 0
    groups = peer_groups(frame, s.min_group_size)
    levels = common_groups(frame)
    registered = np.asarray([max(float(f.denominator), 1.0) for f in frame.facts])
    type_names = sorted({f.type or "" for f in frame.facts})
    type_of = np.asarray([type_names.index(f.type or "") for f in frame.facts], dtype=np.int64)
    n_types = len(type_names)
    lh = frame.local_hours().astype(np.int64) if n_c else np.zeros((0, n_h), dtype=np.int64)
    started = np.where(has_data.any(axis=1), has_data.argmax(axis=1), n_h)
    outage = _outage(frame, s, active, started)
    # Alone on its clock: never a common factor; tested with the typical shock as noise.
    zone = levels[-1]
    lone = np.bincount(zone, minlength=int(zone.max()) + 1)[zone] == 1 if n_c else zone == 0

    # State, all causal: sums over earlier hours only.
    shape_v = np.zeros((n_types, 24))  # voters at local hour h, per type
    shape_r = np.zeros((n_types, 24))  # registered voters of those cells (x common factor)
    abs_v = np.zeros((n_types, 24))  # the same without the common factor: the absolute
    abs_r = np.zeros((n_types, 24))  # diurnal shape, whose slope gives the phase term
    n0 = s.shape_prior_weight * (float(np.median(registered)) if n_c else 1.0)
    lvl_num = np.full(n_c, s.level_prior_votes)
    lvl_den = np.full(n_c, s.level_prior_votes)
    run_num = np.full(n_c, s.level_prior_votes)  # the same over the whole voting
    run_den = np.full(n_c, s.level_prior_votes)
    decay = 0.5 ** (1.0 / max(s.level_half_life_hours, 1e-9))
    ph_xy = np.zeros(n_c)  # own phase: weighted sums of misfit x slope ...
    ph_xx = np.zeros(n_c)  # ... and slope^2
    own_v = np.zeros((n_c, 24))
    own_n = np.zeros((n_c, 24))  # days seen per local hour
    own_mu = np.zeros((n_c, 24))
    rows = np.arange(n_c)
    num = 0.0  # sum of (counts - mu)^2 - counts
    den = 0.0  # sum of mu^2
    edges = np.asarray(s.nb_slope_bins, dtype=float)
    shock_sq = 0.0  # sum of log(common)^2 over cells that had one: the typical shared
    shock_n = 0.0  # shock a constituency without zone peers cannot have removed
    num_b = np.zeros(edges.size + 1)  # the same per band of the shape's slope: ramps
    den_b = np.zeros(edges.size + 1)  # misfit more than steady hours

    mu = np.zeros_like(counts)
    mu_struct = np.zeros_like(counts)
    mu_pre = np.zeros_like(counts)
    k_eff = np.full_like(counts, s.nb_shape_default)
    k_steady = np.full_like(counts, s.nb_shape_default)
    p_up_unshifted = np.ones_like(counts)
    tolerance = np.ones_like(counts)
    k_hat = np.full(n_h, s.nb_shape_default)
    tested = np.zeros_like(counts, dtype=bool)
    p_up = np.ones_like(counts)
    p_down = np.ones_like(counts)
    q_up = np.ones_like(counts)
    q_down = np.ones_like(counts)
    spike_level = np.zeros_like(counts, dtype=np.int8)
    min_excess = np.maximum(s.spike_min_excess, s.spike_min_excess_share * registered)
    crit_excess = s.spike_crit_excess_share * registered
    for t in range(closed):
        k = s.nb_shape_default
        if den > 0 and num > 0:
            k = float(np.clip(den / num, s.nb_shape_min, s.nb_shape_max))
        elif den > 0:
            k = s.nb_shape_max
        k_hat[t] = k
        # Diurnal shape per type (shrunk toward all types); unseen hours share one value,
        # which the common factor then absorbs.
        all_v, all_r = shape_v.sum(axis=0), shape_r.sum(axis=0)
        seen = all_r > 0
        fallback = float(all_v[seen].sum() / all_r[seen].sum()) if seen.any() else 1.0
        f_all = np.where(seen, all_v / np.maximum(all_r, 1e-9), fallback)
        f_all = np.maximum(f_all, 1e-7)
        prof = (shape_v + n0 * f_all[None, :]) / (shape_r + n0)
        # A local hour no constituency of the type has lived through yet keeps the type's
        # ratio to all types from its latest seen hour (types differ smoothly along the day).
        known_t = shape_r > 0
        if not known_t.all() and known_t.any():
            rel = prof / f_all[None, :]
            for j in range(n_types):
                if not known_t[j].any():
                    continue
                last = rel[j, int(np.flatnonzero(known_t[j])[-1])]
                for hh in range(24):
                    if known_t[j, hh]:
                        last = rel[j, hh]
                    else:
                        rel[j, hh] = last
            prof = np.where(known_t, prof, rel * f_all[None, :])
        h = lh[:, t]
        f_type = prof[type_of, h]
        absolute = np.log((abs_v + 1.0) / (abs_r + 1.0) + 1e-7)
        nxt, prv = (h + 1) % 24, (h - 1) % 24
        slope = np.maximum(
            np.abs(absolute[type_of, nxt] - absolute[type_of, h]),
            np.abs(absolute[type_of, h] - absolute[type_of, prv]),
        )
        known = (abs_r[type_of, nxt] > 0) & (abs_r[type_of, prv] > 0) & (abs_r[type_of, h] > 0)
        slope = np.where(known, slope, s.unknown_slope)
        d_log = np.where(known, 0.5 * (absolute[type_of, nxt] - absolute[type_of, prv]), 0.0)
        # Own phase: c votes by the type's clock shifted by delta hours (shape at h - delta),
        # a ridge regression of its earlier log misfits on the shape's slope.
        delta, phase_prec = _phase(s, ph_xy, ph_xx)
        # Applied to first order on the absolute shape's central slope, as it was estimated
        # (``prof`` is relative to the common factor; interpolating a bumpy shape overshoots).
        phase_ratio = np.exp(np.clip(-delta * d_log, -s.phase_max_log, s.phase_max_log))
        f_c = f_type * phase_ratio
        # Shape k per slope band, shrunk toward the overall k (prior: nb_band_prior of its
        # evidence), clipped to [nb_shape_min, nb_shape_max].
        band = np.digitize(slope, edges)
        inv_all = 1.0 / k
        prior_w = s.nb_band_prior * den
        inv_b = (np.maximum(num_b, 0.0) + prior_w * inv_all) / np.maximum(den_b + prior_w, 1e-9)
        inv_b = np.where(den_b + prior_w > 0, inv_b, inv_all)
        inv_b = np.clip(inv_b, 1.0 / s.nb_shape_max, 1.0 / s.nb_shape_min)
        k_cell = 1.0 / inv_b[band]
        # Own hour-of-day factor, shrunk by precision: its prior spread is the part of the
        # phase effect the phase estimate has not resolved plus own_hour_sd; the estimate's is
        # the noise of the hours seen so far (Poisson on their counts + 1/k per day seen).
        tau2 = slope**2 / phase_prec + s.own_hour_sd**2
        # (earlier expectations without the phase, which is applied as known now: a
        # phase learned later must not be counted twice)
        seen_mu = own_mu[rows, h] * phase_ratio
        est = np.log((own_v[rows, h] + 0.5) / (seen_mu + 0.5))
        est_var = 1.0 / (seen_mu + 0.5) + 1.0 / (k_cell * np.maximum(own_n[rows, h], 1.0))
        weight = np.where(seen_mu > 0, tau2 / (tau2 + est_var), 0.0)
        own = np.exp(np.clip(weight * est, np.log(s.level_min), np.log(s.level_max)))
        level = lvl_num / lvl_den
        # Expected counts scale with the share of the hour the voting is open.
        reg_t = registered * frame.open_fraction[:, t]
        base = reg_t * f_c * own  # expected without level and common factor
        v_t = counts[:, t]
        pre = level * base
        eligible = has_data[:, t] & active[:, t] & (pre >= s.common_min_expected)
        ratio = (v_t + 0.5) / (pre + 0.5)
        common, n_common = _common(ratio, eligible, levels, s.common_min_peers)
        mu_struct[:, t] = base * common
        mu_pre[:, t] = pre
        mu_t = pre * common
        mu[:, t] = mu_t
        # Phase: the constituency's own timing may run ahead or behind its type's by about
        # phase_sd hours; on a ramp that moves the expectation by exp(+-phase_sd * slope).
        # The tails are tested against the expectation shifted by phase_z of those in the
        # unfavourable direction (a log-normal-like error the gamma tail would understate),
        # plus the variance term.
        phase_var = tau2 * (1.0 - weight)  # what the own factor has not learned yet
        phase_log = np.sqrt(phase_var)
        shift = np.exp(s.phase_z * phase_log)
        shared = n_common > 0
        shock_var = shock_sq / shock_n if shock_n > 0 else s.common_shock_var
        common_var = np.where(shared, 1.57 / (k_cell * np.maximum(n_common, 1.0)), shock_var)
        if shared.any():
            shock_sq += float(np.sum(np.log(common[shared]) ** 2))
            shock_n += float(shared.sum())
        k_t = 1.0 / (1.0 / k_cell + phase_var + common_var)
        k_eff[:, t] = k_t
        tolerance[:, t] = shift
        k_steady[:, t] = 1.0 / (1.0 / k_cell + common_var)
        test = (
            active[:, t]
            & has_data[:, t]
            & (t >= started + s.warmup_hours)
            & (mu_t >= 1.0)
            & (shared | lone)
        )
        tested[:, t] = test
        flagged = np.zeros(n_c, dtype=bool)
        if test.any():
            idx = np.flatnonzero(test)
            up = upper_midp(v_t[idx], mu_t[idx] * shift[idx], k_t[idx])
            down = lower_midp(v_t[idx], mu_t[idx] / shift[idx], k_t[idx])
            p_up[idx, t] = up
            p_up_unshifted[idx, t] = upper_midp(v_t[idx], mu_t[idx], k_t[idx])
            p_down[idx, t] = down
            adj = bh_adjust(up)
            q_up[idx, t] = adj
            q_down[idx, t] = bh_adjust(down)
            excess = v_t[idx] - mu_t[idx]
            guard = (v_t[idx] >= s.spike_min_ratio * mu_t[idx]) & (excess >= min_excess[idx])
            warn = guard & (adj <= s.spike_q_warn)
            crit = (
                guard
                & (adj <= s.spike_q_crit)
                & (v_t[idx] >= s.spike_crit_min_ratio * mu_t[idx])
                & (excess >= crit_excess[idx])
            )
            spike_level[idx, t] = np.where(crit, 2, np.where(warn, 1, 0))
            flagged[idx] = (up < s.update_exclude_p) | (down < s.update_exclude_p)
            ok = ~flagged[idx] & (mu_t[idx] > 5.0) & shared[idx]
            if ok.any():
                vv, mm = v_t[idx][ok], mu_t[idx][ok]
                contrib = (vv - mm) ** 2 - vv
                num += float(np.sum(contrib))
                den += float(np.sum(mm**2))
                bb = band[idx][ok]
                np.add.at(num_b, bb, contrib)
                np.add.at(den_b, bb, mm**2)
        # Updates from this hour's unflagged cells with data.
        # The level learns from flagged hours too, with the count clipped to [mu/c, c*mu]
        # (c = level_clip): a spike moves it a little, a wrong level cannot lock itself in.
        upd = has_data[:, t] & active[:, t] & ~flagged
        seen_t = has_data[:, t] & active[:, t]
        v_lvl = np.where(flagged, np.clip(v_t, mu_t / s.level_clip, mu_t * s.level_clip), v_t)
        lvl_num = np.where(seen_t, decay * lvl_num + v_lvl, lvl_num)
        lvl_den = np.where(seen_t, decay * lvl_den + base * common, lvl_den)
        run_num = np.where(seen_t, run_num + v_lvl, run_num)
        run_den = np.where(seen_t, run_den + base * common, run_den)
        # A new local voting day: people's plans differ day to day, so the level restarts
        # from the constituency's level over the whole voting so far, worth only
        # level_day_prior_votes, and the day's first busy hours set it.
        new_day = lh[:, t] == s.day_boundary_hour
        run_level = run_num / np.maximum(run_den, 1e-9)
        lvl_num = np.where(new_day, s.level_day_prior_votes * run_level, lvl_num)
        lvl_den = np.where(new_day, s.level_day_prior_votes, lvl_den)
        own_cell = upd & (t >= started + 1)
        np.add.at(own_v, (rows[own_cell], h[own_cell]), v_t[own_cell])
        np.add.at(own_n, (rows[own_cell], h[own_cell]), 1.0)
        np.add.at(
            own_mu,
            (rows[own_cell], h[own_cell]),
            (level * reg_t * f_type * common)[own_cell],
        )
        unshifted = level * reg_t * f_type * common
        r0 = np.log((v_t + 0.5) / (unshifted + 0.5))
        w = np.where(own_cell & known, 1.0 / (1.0 / (unshifted + 0.5) + 1.0 / k_cell), 0.0)
        if s.phase_max_hours > 0:
            ph_xy += w * r0 * -d_log
            ph_xx += w * d_log**2
        # The type's shape at h learns from c with c's exposure moved by its phase.
        exposure = reg_t[upd] * own[upd] * phase_ratio[upd]
        np.add.at(shape_v, (type_of[upd], h[upd]), v_t[upd] / np.maximum(level[upd], 1e-3))
        np.add.at(shape_r, (type_of[upd], h[upd]), exposure * common[upd])
        np.add.at(abs_v, (type_of[upd], h[upd]), v_t[upd] / np.maximum(level[upd], 1e-3))
        np.add.at(abs_r, (type_of[upd], h[upd]), exposure)
    # Neighbouring hours only need data and an expectation (a warm-up hour will do).
    seen = active & has_data & (mu >= 1.0)
    cells = _Cells(counts, mu, k_steady, tested, seen)
    mu_local, p_local, q_local, local_level = _neighbour_spikes(
        frame, s, cells, p_up_unshifted, min_excess, crit_excess
    )
    mu_prev, p_prev = _after_previous_hour(s, cells)
    # An hour above the model must also jump from its previous hour's pace or stand out
    # from both neighbours: a constituency running ahead of its type all morning does not.
    jump = (p_prev <= s.spike_jump_p) | (p_local <= s.spike_jump_p)
    spike_level = np.where(jump, spike_level, 0).astype(np.int8)
    by_neighbours = (local_level > 0) & (spike_level == 0)
    spike_level = np.maximum(spike_level, local_level)
    return Model(
        groups=groups,
        mu=mu,
        mu_struct=mu_struct,
        mu_pre=mu_pre,
        k_eff=k_eff,
        k_steady=k_steady,
        p_up_unshifted=p_up_unshifted,
        k_hat=k_hat,
        tolerance=tolerance,
        tested=tested,
        p_up=p_up,
        p_down=p_down,
        q_up=q_up,
        q_down=q_down,
        spike_level=spike_level,
        mu_local=mu_local,
        p_local=p_local,
        q_local=q_local,
        mu_prev=mu_prev,
        p_prev=p_prev,
        by_neighbours=by_neighbours,
        phase=_phase(s, ph_xy, ph_xx)[0],
        started=started,
        active=active,
        outage=outage,
        mu_offline=mu,
    )
