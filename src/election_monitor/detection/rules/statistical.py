"""Statistical detectors: explicit expected counts, minimum-count floors, and
Benjamini-Hochberg control across constituencies for every hour (or night) they test.

Each raises one alert per constituency x type x local day (night, or the whole election for
state-like conditions), updated in place as the evidence grows, and resolved automatically
after ``clean_hours`` of data without new evidence.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from election_monitor.alerts.service import Signal
from election_monitor.detection.frame import HOUR, NDArray
from election_monitor.detection.model import (
    betabinom_sf,
    bh_adjust,
    bh_adjust_grouped,
    group_sum,
    lower_midp,
    upper_midp,
)
from election_monitor.detection.rules.base import Context, Rule, iso, register
from election_monitor.enums import AlertSeverity, AlertType

CRIT = AlertSeverity.CRITICAL.value
WARN = AlertSeverity.WARNING.value


def evidence_from_p(p: float, ctx: Context) -> float:
    """Map a p-value to evidence in [0, 1]: 0 for p >= 10^-u0, then saturating."""
    u = -math.log10(max(p, 1e-300))
    return 1.0 - math.exp(-max(0.0, u - ctx.settings.score_u0) / ctx.settings.score_u1)


def _by_day(ctx: Context, cells: list[tuple[int, int]]) -> dict[tuple[int, str], list[int]]:
    out: dict[tuple[int, str], list[int]] = defaultdict(list)
    for c, t in cells:
        out[(c, ctx.day_key(c, t))].append(t)
    return out


def _hour_label(ctx: Context, c: int, t: int) -> str:
    local = ctx.frame.local(c, t)
    return f"{local:%Y-%m-%d %H:00} local"


def _stat(rule: type[Rule], ctx: Context, c: int, key: str, **kw: Any) -> Signal:
    return Signal(
        constituency_id=ctx.frame.facts[c].id,
        type=rule.alert_type,
        window_key=key,
        severity=kw.pop("severity", rule.default_severity),
        statistical=True,
        family=rule.family,
        **kw,
    )


def _model_note(ctx: Context) -> str:
    return (
        "expected = own level (restarted each local day) x registered voters x pooled "
        "diurnal shape of the constituency type in local time, shifted by the constituency's "
        "learned phase x own hour-of-day factor (earlier days) x leave-one-out median ratio "
        "of the region's other constituencies in the same hour; negative binomial noise with "
        "estimated shape and a phase tolerance on ramps; BH across constituencies per hour"
    )


@register
class UnusualSpike(Rule):
    id = "unusual_spike"
    alert_type = AlertType.UNUSUAL_SPIKE.value
    default_severity = WARN
    family = "velocity"
    inputs = ("hourly_stats.votes_cast", "peers", "registered_voters")
    statistical = True
    summary = "Voters in an hour far above the expected count (BH per hour, effect floors)."

    def evaluate(self, ctx: Context) -> list[Signal]:
        m, f = ctx.model, ctx.frame
        cells = [(int(c), int(t)) for c, t in zip(*np.nonzero(m.spike_level), strict=True)]
        out = []
        for (c, day), hours in sorted(_by_day(ctx, cells).items()):
            hours.sort()
            rows = [_spike_row(ctx, c, t) for t in hours]
            worst = max(rows, key=lambda r: r["ratio"])
            excess = sum(r["observed"] - r["expected"] for r in rows)
            level = max(int(m.spike_level[c, t]) for t in hours)
            out.append(
                _stat(
                    type(self),
                    ctx,
                    c,
                    day,
                    severity=CRIT if level >= 2 else WARN,
                    title=(
                        f"Voting {worst['ratio']:.1f}x the expected rate "
                        f"({worst['observed']} vs {worst['expected']:.0f}) at {worst['local']}"
                    ),
                    description=(
                        f"{f.facts[c].name}: {len(rows)} hour(s) on {day} with far more voters "
                        f"than expected from its peers and its own pace; about {excess:.0f} extra "
                        "votes in total."
                    ),
                    evidence={
                        "hours": rows,
                        "excess_votes": round(excess, 1),
                        "peer_group_size": int((m.groups == m.groups[c]).sum()),
                        "expected_how": _model_note(ctx) + "; an hour tested against its "
                        "neighbouring hours uses expected = model x the geometric mean of the "
                        "previous and next hours' observed/expected ratios",
                        "q_warn": ctx.settings.spike_q_warn,
                        "q_crit": ctx.settings.spike_q_crit,
                    },
                    last_seen=iso(f.hour(hours[-1]) + HOUR) or "",
                    magnitude=float(excess),
                    score_evidence=evidence_from_p(min(r["p"] for r in rows), ctx),
                )
            )
        return out


def _spike_row(ctx: Context, c: int, t: int) -> dict[str, Any]:
    """One flagged hour: observed, the expectation the test used, and how it was tested."""
    m, f = ctx.model, ctx.frame
    neighbours = bool(m.by_neighbours[c, t])
    expected = float(m.mu_local[c, t] if neighbours else m.mu[c, t])
    return {
        "hour": iso(f.hour(t)),
        "local": _hour_label(ctx, c, t),
        "observed": int(f.votes[c, t]),
        "expected": round(expected, 1),
        "ratio": round(float(f.votes[c, t] / max(expected, 1e-9)), 2),
        "test": "neighbouring hours" if neighbours else "model",
        "expected_by_model": round(float(m.mu[c, t]), 1),
        "expected_from_neighbours": None
        if np.isnan(m.mu_local[c, t])
        else round(float(m.mu_local[c, t]), 1),
        "p": float(m.p_local[c, t] if neighbours else m.p_up[c, t]),
        "p_adjusted": float(m.q_local[c, t] if neighbours else m.q_up[c, t]),
        "nb_shape": round(float(m.k_eff[c, t]), 2),
        "peers_voters": int(f.votes[m.groups == m.groups[c], t].sum() - f.votes[c, t]),
    }


@register
class UnusualDrop(Rule):
    id = "unusual_drop"
    alert_type = AlertType.UNUSUAL_DROP.value
    default_severity = WARN
    family = "velocity"
    inputs = ("hourly_stats.votes_cast", "peers")
    statistical = True
    summary = "Voters in an hour far below expected while peers are active (not silent: offline)."

    def evaluate(self, ctx: Context) -> list[Signal]:
        m, f, s = ctx.model, ctx.frame, ctx.settings
        mask = (
            m.tested
            & (m.q_down <= s.drop_q)
            & (f.votes <= s.drop_max_ratio * m.mu)
            & (m.mu >= s.drop_min_expected)
        )
        cells = {(int(c), int(t)) for c, t in zip(*np.nonzero(mask), strict=True)}
        cells |= _drop_runs(ctx)
        out = []
        for (c, day), hours in sorted(_by_day(ctx, sorted(cells)).items()):
            hours.sort()
            rows: list[dict[str, Any]] = [
                {
                    "hour": iso(f.hour(t)),
                    "local": _hour_label(ctx, c, t),
                    "observed": int(f.votes[c, t]),
                    "expected": round(float(m.mu[c, t]), 1),
                    "p": float(m.p_down[c, t]),
                    "p_adjusted": float(m.q_down[c, t]),
                }
                for t in hours
            ]
            missing = sum(r["expected"] - r["observed"] for r in rows)
            out.append(
                _stat(
                    type(self),
                    ctx,
                    c,
                    day,
                    title=f"Voting far below expected for {len(rows)} hour(s) on {day}",
                    description=(
                        f"{f.facts[c].name}: about {missing:.0f} fewer voters than expected while "
                        "its peers kept voting."
                    ),
                    evidence={
                        "hours": rows,
                        "missing_votes": round(missing, 1),
                        "expected_how": _model_note(ctx),
                    },
                    last_seen=iso(f.hour(hours[-1]) + HOUR) or "",
                    magnitude=float(missing),
                    score_evidence=evidence_from_p(min(r["p"] for r in rows), ctx),
                )
            )
        return out


def _drop_runs(ctx: Context) -> set[tuple[int, int]]:
    """Cells of runs of >= drop_run_hours consecutive tested hours, each at most
    drop_max_ratio x expected, whose summed count is improbably low (NB lower tail of the
    sum, k = M^2 / sum(mu^2 / k), p <= drop_run_p): three hours at 0.1x are a drop even when
    no single hour passes the per-hour test."""
    m, f, s = ctx.model, ctx.frame, ctx.settings
    low = m.tested & (f.votes <= s.drop_max_ratio * m.mu)
    low[:, f.closed :] = False
    out: set[tuple[int, int]] = set()
    for c in np.flatnonzero(low.sum(axis=1) >= s.drop_run_hours):
        run: list[int] = []
        for t in [*range(f.closed), -1]:
            if t >= 0 and low[c, t]:
                run.append(t)
                continue
            if len(run) >= s.drop_run_hours:
                # A phase error moves every hour of a flank the same way: each hour's
                # expectation is lowered by its phase tolerance before summing.
                mus = m.mu[c, run] / m.tolerance[c, run]
                total = float(mus.sum())
                if total >= s.drop_min_expected * len(run):
                    k = total**2 / max(float(np.sum(mus**2 / m.k_eff[c, run])), 1e-9)
                    x = np.asarray([float(f.votes[c, run].sum())])
                    p = float(lower_midp(x, np.asarray([total]), np.asarray([k]))[0])
                    if p <= s.drop_run_p:
                        out.update((int(c), t_) for t_ in run)
            run = []
    return out


@register
class NightActivity(Rule):
    id = "night_activity"
    alert_type = AlertType.NIGHT_ACTIVITY.value
    default_severity = WARN
    family = "timing"
    inputs = ("hourly_stats.votes_cast", "constituencies.timezone", "peers")
    statistical = True
    summary = "Voters over a local night far above the expected night total (BH per night)."

    def evaluate(self, ctx: Context) -> list[Signal]:
        m, f, s = ctx.model, ctx.frame, ctx.settings
        night = (ctx.local_hours >= s.night_start_hour) & (ctx.local_hours < s.night_end_hour)
        closed = np.zeros(f.votes.shape, dtype=bool)
        closed[:, : f.closed] = True
        nights: dict[int, list[tuple[int, list[int]]]] = defaultdict(list)
        for c in range(len(f.facts)):
            cols = np.flatnonzero(night[c] & m.active[c])
            by_date: dict[int, list[int]] = defaultdict(list)
            for t in cols:
                by_date[int(ctx.local_dates[c, t])].append(int(t))
            for d_key, ts in by_date.items():
                # Complete nights only, after the constituency started and warmed up.
                all_night = np.flatnonzero(night[c] & (ctx.local_dates[c] == d_key))
                if all_night.max() >= f.closed or min(ts) < m.started[c] + s.warmup_hours:
                    continue
                nights[d_key].append((c, ts))
        out = []
        registered = [fc.denominator for fc in f.facts]
        for _, members in sorted(nights.items()):
            xs = np.asarray([f.votes[c, ts].sum() for c, ts in members])
            # Expected: the structural model with the level frozen at the night's first hour
            # (an unflagged surge hour must not raise the bar for the rest of the night).
            mus = np.asarray([_night_mu(m, c, ts) for c, ts in members])
            # The night sum of NB hours as one NB with the same variance: k = M^2 / sum(mu^2/k)
            # (k without the phase term: over a whole night a phase shift moves little).
            ks = np.asarray(
                [
                    max(mus[i], 1e-9) ** 2
                    / max(float(np.sum(_night_mu_hours(m, c, ts) ** 2 / m.k_steady[c, ts])), 1e-9)
                    for i, (c, ts) in enumerate(members)
                ]
            )
            ok = mus > 0
            if not ok.any():
                continue
            p = np.ones(len(members))
            p[ok] = upper_midp(xs[ok], mus[ok], ks[ok])
            q = np.ones(len(members))
            q[ok] = bh_adjust(p[ok])
            for i, (c, ts) in enumerate(members):
                x, mu = float(xs[i]), float(mus[i])
                floor = max(s.night_min_excess, s.night_min_excess_share * registered[c])
                if not (q[i] <= s.night_q and x >= s.night_min_ratio * mu and x - mu >= floor):
                    continue
                excess = x - mu
                crit = (
                    registered[c] > 0
                    and excess >= s.night_crit_share * registered[c]
                    and q[i] <= s.night_q / 10
                )
                first, last = min(ts), max(ts)
                night_label = ctx.day_key(c, first)
                out.append(
                    _stat(
                        type(self),
                        ctx,
                        c,
                        f"night {night_label}",
                        severity=CRIT if crit else WARN,
                        title=(
                            f"Night voting {x / max(mu, 1e-9):.1f}x expected ({x:.0f} vs {mu:.0f})"
                        ),
                        description=(
                            f"{f.facts[c].name}: {x:.0f} voters between "
                            f"{s.night_start_hour:02d}:00 and {s.night_end_hour:02d}:00 local on "
                            f"{night_label}; about {mu:.0f} were expected from its peers' nights."
                        ),
                        evidence={
                            "night": night_label,
                            "timezone": f.facts[c].timezone,
                            "window": {
                                "start": iso(f.hour(first)),
                                "end": iso(f.hour(last) + HOUR),
                            },
                            "observed": int(x),
                            "expected": round(mu, 1),
                            "excess": round(excess, 1),
                            "excess_share_of_registered": round(excess / registered[c], 5)
                            if registered[c]
                            else None,
                            "p": float(p[i]),
                            "p_adjusted": float(q[i]),
                            "hours": [
                                {
                                    "local": _hour_label(ctx, c, t),
                                    "observed": int(f.votes[c, t]),
                                    "expected": round(float(e), 1),
                                }
                                for t, e in zip(ts, _night_mu_hours(m, c, ts), strict=True)
                            ],
                            "expected_how": _model_note(ctx) + "; summed over the night",
                        },
                        last_seen=iso(f.hour(last) + HOUR) or "",
                        magnitude=excess,
                        score_evidence=evidence_from_p(float(p[i]), ctx),
                    )
                )
        return out


def _night_mu_hours(m: Any, c: int, ts: list[int]) -> NDArray:
    first = ts[0]
    level = m.mu[c, first] / m.mu_struct[c, first] if m.mu_struct[c, first] > 0 else 1.0
    out: NDArray = m.mu_struct[c, ts] * level
    return out


def _night_mu(m: Any, c: int, ts: list[int]) -> float:
    return float(_night_mu_hours(m, c, ts).sum())


def _robust_sd(values: NDArray) -> float:
    if values.size < 2:
        return 0.0
    return float(1.4826 * np.median(np.abs(values - np.median(values))))


@register
class ParticipationDeviation(Rule):
    id = "baseline_deviation.participation"
    alert_type = AlertType.BASELINE_DEVIATION.value
    default_severity = WARN
    family = "peers"
    inputs = ("hourly_stats.votes_cast", "registered_voters", "peers")
    statistical = True
    summary = (
        "Participation so far far from peers of the same zone/region/type (funnel z with "
        "between-unit spread; BH per hour)."
    )

    def evaluate(self, ctx: Context) -> list[Signal]:
        m, f, s = ctx.model, ctx.frame, ctx.settings
        n_c = len(f.facts)
        if n_c < s.min_group_size:
            return []
        n_reg = np.asarray([float(fc.denominator) for fc in f.facts])
        cum = np.cumsum(f.votes, axis=1)
        flagged: dict[int, list[tuple[int, Any, Any, Any, Any, Any]]] = defaultdict(list)
        for t in range(f.closed):
            # Only constituencies whose own data reaches hour t (a stalled feed's frozen total
            # is the offline rule's evidence, not a participation to compare).
            ok = (
                (n_reg > 0)
                & (cum[:, t] >= s.peer_min_votes)
                & (t >= m.started + s.warmup_hours)
                & (f.covered > t)
            )
            if ok.sum() < s.min_group_size:
                continue
            part = np.where(n_reg > 0, cum[:, t] / np.maximum(n_reg, 1), 0.0)
            z = np.zeros(n_c)
            p0s = np.zeros(n_c)
            for g in np.unique(m.groups[ok]):
                members = ok & (m.groups == g)
                if members.sum() < s.min_group_size:
                    continue
                tau = _robust_sd(part[members])
                tot_n = n_reg[members].sum()
                idx = np.flatnonzero(members)
                # The peers' votes in the hours this constituency's own window was open: a
                # contract that opened late is compared with its peers over the same hours.
                per_hour = f.votes[members, : t + 1].sum(axis=0)
                open_hours = m.active[idx, : t + 1]
                peer_votes = open_hours @ per_hour - (open_hours * f.votes[idx, : t + 1]).sum(1)
                p0 = peer_votes / np.maximum(tot_n - n_reg[idx], 1.0)
                p0 = np.clip(p0, 1e-6, 1 - 1e-6)
                z[idx] = (part[idx] - p0) / np.sqrt(p0 * (1 - p0) / n_reg[idx] + tau**2)
                p0s[idx] = p0
            tested = np.flatnonzero(ok & (p0s > 0))
            if tested.size == 0:
                continue
            p = 2 * stats.norm.sf(np.abs(z[tested]))
            q = bh_adjust(p)
            for j, ci in enumerate(tested):
                diff = part[ci] - p0s[ci]
                big = abs(diff) >= max(s.peer_min_abs_diff, s.peer_min_rel_diff * p0s[ci])
                if q[j] <= s.peer_q and abs(z[ci]) >= s.peer_min_z and big:
                    flagged[int(ci)].append((t, part[ci], p0s[ci], z[ci], p[j], q[j]))
        out = []
        for c, rows in sorted(flagged.items()):
            if len(rows) < s.peer_min_hours:
                continue
            t, part, p0, z, p, q = rows[-1]
            word = "above" if part > p0 else "below"
            out.append(
                _stat(
                    type(self),
                    ctx,
                    c,
                    "election",
                    title=f"Participation {100 * part:.1f}% vs {100 * p0:.1f}% for peers",
                    description=(
                        f"{f.facts[c].name}: participation so far is {100 * abs(part - p0):.1f} "
                        f"points {word} comparable constituencies (z = {z:.1f}), beyond their "
                        "usual spread."
                    ),
                    evidence={
                        "at": iso(f.hour(t) + HOUR),
                        "participation": round(float(part), 5),
                        "peers_participation": round(float(p0), 5),
                        "z": round(float(z), 2),
                        "p": float(p),
                        "p_adjusted": float(q),
                        "hours_flagged": len(rows),
                        "first_flagged": iso(f.hour(rows[0][0]) + HOUR),
                        "peer_group_size": int((m.groups == m.groups[c]).sum()),
                        "expected_how": "leave-one-out pooled participation of the peer group; "
                        "spread = binomial + robust between-unit variance (1.4826 MAD)",
                    },
                    last_seen=iso(f.hour(t) + HOUR) or "",
                    magnitude=abs(float(part - p0)) * 1000,
                    score_evidence=evidence_from_p(float(p), ctx),
                )
            )
        return out


@register
class CorrelatedSpike(Rule):
    id = "correlated_spike"
    alert_type = AlertType.CORRELATED_SPIKE.value
    default_severity = WARN
    family = "cross"
    inputs = ("hourly_stats.votes_cast", "constituencies.region")
    statistical = True
    summary = (
        "Several constituencies of one region exceed their expectation (from other regions) in "
        "the same hour, more than a beta-binomial null allows; raised on each member."
    )

    def evaluate(self, ctx: Context) -> list[Signal]:
        m, f, s = ctx.model, ctx.frame, ctx.settings
        regions = np.asarray([fc.region for fc in f.facts])
        names = sorted(set(regions.tolist()))
        if len(names) < 2:
            return []
        votes_m = f.votes
        rid = np.asarray([names.index(r) for r in regions])
        mu = m.mu
        # Exceedances against the leave-one-out model: a region-wide shock lifts every peer
        # and is absorbed; a subset of a region surging together is not.
        tested = m.tested
        big = s.correlated_min_ratio * mu <= votes_m
        big_local = s.correlated_min_ratio * np.nan_to_num(m.mu_local, nan=np.inf) <= votes_m
        big_prev = s.correlated_min_ratio * np.nan_to_num(m.mu_prev, nan=np.inf) <= votes_m

        # Each member's evidence: the smallest upper-tail p of three views of the hour, each
        # with its ratio guard: against the model with its phase tolerance, against the
        # previous hour's pace, against both neighbouring hours. A member running early on a
        # steep morning ramp is high in none; a member surging for one hour is high in the
        # second and third even on a ramp.
        p_member = np.ones(votes_m.shape)
        for p_view, guard in ((m.p_up, big), (m.p_prev, big_prev), (m.p_local, big_local)):
            p_member = np.where(guard, np.minimum(p_member, p_view), p_member)
        p_member = np.where(tested, p_member, 1.0)

        def exceeding(cut: float) -> NDArray:
            out: NDArray = p_member < cut
            return out

        # Region-hour test: for each k, is the k-th smallest member p improbable for n
        # members under a beta-binomial null (ICC correlated_icc)? The p's are first scaled by
        # how often members fell below correlated_calibration_p in earlier quiet region-hours
        # (the minimum of three views, and the model's misfit, make them smaller than uniform).
        # Bonferroni over the k tried.
        icc = s.correlated_icc
        cal = s.correlated_calibration_p
        quiet = [cal * 100.0, 100.0]  # members below cal, members seen (prior: calibrated)
        alarms: dict[tuple[int, int], tuple[int, int, float]] = {}
        for t in range(f.closed):
            scale = max(1.0, quiet[0] / quiet[1] / cal)
            for r in range(len(names)):
                members = tested[:, t] & (rid == r)
                n = int(members.sum())
                lo = s.correlated_min_members
                if n < lo:
                    continue
                ps = np.sort(p_member[members, t])
                ks = np.arange(lo, max(lo, n // 2) + 1)
                x = np.clip(scale * ps[ks - 1], 1e-12, 1 - 1e-9)
                a, b = x * (1 - icc) / icc, (1 - x) * (1 - icc) / icc
                tails = betabinom_sf(ks, n, a, b) * ks.size
                best = int(np.argmin(tails))
                if tails[best] < s.correlated_p:
                    alarms[(r, t)] = (int(ks[best]), n, float(tails[best]))
                else:
                    quiet[0] += float((ps < cal).sum())
                    quiet[1] += n
        named = exceeding(s.correlated_member_p)
        found: list[GroupAlarm] = [
            GroupAlarm(
                kind="region",
                name=names[r],
                t=t,
                members=[int(j) for j in np.flatnonzero(named[:, t] & (rid == r))],
                exceeding=k,
                tested=n,
                p=tail,
                test="members",
            )
            for (r, t), (k, n, tail) in alarms.items()
        ]
        found += group_surges(ctx)
        return _correlated_signals(type(self), ctx, found)


@dataclass
class GroupAlarm:
    """One group-hour found surging together, and the members named in it."""

    kind: str  # region, timezone or type
    name: str
    t: int
    members: list[int]
    exceeding: int
    tested: int
    p: float
    test: str  # members (k-th smallest member p) or share (the group's share of the country)
    ratio: float | None = None
    excess: float | None = None
    scale: float | None = None  # share test: the member's expectation is mu_pre x this

    def evidence(self, ctx: Context) -> dict[str, Any]:
        out: dict[str, Any] = {
            "group": f"{self.kind}:{self.name}",
            "hour": iso(ctx.frame.hour(self.t)),
            "members_exceeding": self.exceeding,
            "members_tested": self.tested,
            "tail_p": self.p,
            "test": self.test,
            "member_ids": [ctx.frame.facts[j].id for j in self.members][:50],
        }
        if self.ratio is not None:
            out["share_ratio"] = round(self.ratio, 3)
            out["excess_votes"] = round(self.excess or 0.0, 1)
        return out


def group_surges(ctx: Context) -> list[GroupAlarm]:
    """Groups (region, time zone, constituency type) whose share of the country's voters in
    one hour jumps far above its usual share and above its neighbouring hours.

    x(t) = log of the group's observed / expected-without-the-regional-factor, minus the same
    for the rest of the country: a national swing cancels, a regional one does not (the
    model's regional factor absorbs it, so the per-member tests cannot see it). Two views,
    both must be improbable (the larger p counts): x(t) against the group's usual x and its
    between-hour spread, learned from earlier quiet hours; and x(t) against the mean of
    x(t-1) and x(t+1) (a group whose timing differs from its type's drifts over hours, a
    surge jumps). Poisson noise of the hour's counts is added; BH over the groups of each hour.
    """
    m, f, s = ctx.model, ctx.frame, ctx.settings
    n_c = len(f.facts)
    keys = {
        "region": [fc.region for fc in f.facts],
        "timezone": [fc.timezone for fc in f.facts],
        "type": [fc.type for fc in f.facts],
    }
    tests: list[tuple[str, str, int, NDArray, float, float, float]] = []
    z_pairs: list[tuple[float, float]] = []
    for kind, labels in keys.items():
        arr = np.asarray(labels)
        for name in sorted(set(labels)):
            inside = arr == name
            if inside.sum() < s.regional_min_members or inside.sum() > n_c / 2:
                continue
            series = _share_series(ctx, inside)
            level_hist: list[tuple[float, float]] = []  # quiet hours: (x, Poisson variance)
            jump_hist: list[tuple[float, float]] = []  # (x - neighbours' mean, its variance)
            for t in sorted(series):
                x, var, o_g, e_g, rest = series[t]
                around = (series.get(t - 1), series.get(t + 1))
                jump = None
                if around[0] is not None and around[1] is not None:
                    mean = 0.5 * (around[0][0] + around[1][0])
                    jump = (x - mean, var + 0.25 * (around[0][1] + around[1][1]))
                z_level = _z(x, var, level_hist, s)
                z_jump = _z(jump[0], jump[1], jump_hist, s) if jump else None
                if z_level is not None and z_jump is not None:
                    centre = float(
                        np.median([h[0] for h in level_hist[-s.regional_history_hours :]])
                    )
                    expected = e_g * rest * math.exp(centre)
                    tests.append(
                        (kind, name, t, series_members(m, inside, t), math.exp(x - centre),
                         o_g - expected, expected / max(e_g, 1e-9))
                    )  # fmt: skip
                    z_pairs.append((z_level, z_jump))
                if (z_level or 0.0) <= s.regional_history_z:
                    level_hist.append((x, var))  # a surge must not become the usual share
                if jump and (z_jump or 0.0) <= s.regional_history_z:
                    jump_hist.append(jump)
    if not tests:
        return []
    z = np.asarray(z_pairs)
    p = np.maximum(stats.norm.sf(z[:, 0]), stats.norm.sf(z[:, 1]))
    # BH over the groups tested in each hour: an hour's verdict is final once it settles
    # (BH over every hour of the pass would change earlier hours' verdicts as hours are added).
    q = bh_adjust_grouped(p, np.asarray([x[2] for x in tests]))
    out = []
    for (kind, name, t, g, ratio, excess, scale), p_i, q_i in zip(tests, p, q, strict=True):
        if q_i > s.regional_q or ratio < s.regional_min_ratio or excess < s.regional_min_excess:
            continue
        # Named are the members that are themselves high against the rest of the country's
        # pace (improbable at ``regional_member_p``): a group alarm must not put a
        # constituency that voted as expected on the observers' list.
        idx = np.flatnonzero(g)
        share_mu = np.maximum(scale * m.mu_pre[idx, t], 1e-9)  # the rest of the country's pace
        p_own = upper_midp(f.votes[idx, t], share_mu, m.k_eff[idx, t])
        members = idx[(f.votes[idx, t] > share_mu) & (p_own <= s.regional_member_p)]
        if members.size == 0:
            continue
        out.append(
            GroupAlarm(
                kind=kind,
                name=name,
                t=t,
                members=[int(c) for c in members],
                exceeding=int(members.size),
                tested=int(g.sum()),
                p=float(p_i),
                test="share",
                ratio=float(ratio),
                excess=float(excess),
                scale=float(scale),
            )
        )
    return out


def series_members(m: Any, inside: NDArray, t: int) -> NDArray:
    out: NDArray = m.tested[:, t] & inside
    return out


def _share_series(
    ctx: Context, inside: NDArray
) -> dict[int, tuple[float, float, float, float, float]]:
    """Per settled hour: x, its Poisson variance, the group's observed and expected (without
    the regional factor), and the rest of the country's observed / expected ratio."""
    m, f, s = ctx.model, ctx.frame, ctx.settings
    out: dict[int, tuple[float, float, float, float, float]] = {}
    for t in range(f.closed):
        use = m.tested[:, t]
        g, r = use & inside, use & ~inside
        if g.sum() < s.regional_min_members or r.sum() < s.regional_min_members:
            continue
        o_r, e_r = float(f.votes[r, t].sum()), float(m.mu_pre[r, t].sum())
        if min(o_r, e_r) <= 0:
            continue
        rest = o_r / e_r
        o_g, e_g = float(f.votes[g, t].sum()), float(m.mu_pre[g, t].sum())
        if e_g <= 0:
            continue
        if e_g * rest < s.regional_min_expected or o_r < s.regional_min_expected:
            continue
        x = math.log((o_g + 0.5) / (e_g * rest + 0.5))
        var = 1.0 / max(e_g * rest, 1.0) + 1.0 / o_r
        out[t] = (x, var, o_g, e_g, rest)
    return out


def _z(x: float, var: float, history: list[tuple[float, float]], s: Any) -> float | None:
    """x against the median of its recent history, with the history's extra-Poisson spread
    (1.4826 MAD, never below regional_min_sd) plus this hour's Poisson variance."""
    if len(history) < s.regional_min_history:
        return None
    recent = history[-s.regional_history_hours :]
    xs = np.asarray([h[0] for h in recent])
    centre = float(np.median(xs))
    spread2 = (1.4826 * float(np.median(np.abs(xs - centre)))) ** 2
    extra = max(spread2 - float(np.median([h[1] for h in recent])), s.regional_min_sd**2)
    return (x - centre) / math.sqrt(extra + var)


def _correlated_signals(rule: type[Rule], ctx: Context, found: list[GroupAlarm]) -> list[Signal]:
    """One signal per member and local day, naming every group-hour it was part of."""
    f, m = ctx.frame, ctx.model
    per_member: dict[tuple[int, str], list[GroupAlarm]] = defaultdict(list)
    alarmed = {(a.kind, a.name, a.t) for a in found}
    for alarm in found:
        for c in alarm.members:
            per_member[(c, ctx.day_key(c, alarm.t))].append(alarm)
    out = []
    for (c, day), member_alarms in sorted(per_member.items()):
        member_alarms.sort(key=lambda a: (a.t, a.kind, a.name))
        hours = sorted({a.t for a in member_alarms})
        share = {a.t: a.scale for a in member_alarms if a.scale is not None}
        consecutive = any(
            (a.kind, a.name, a.t - 1) in alarmed or (a.kind, a.name, a.t + 1) in alarmed
            for a in member_alarms
        )
        rows: list[dict[str, Any]] = [
            {
                "hour": iso(f.hour(t)),
                "observed": int(f.votes[c, t]),
                "expected": round(float(m.mu[c, t]), 1),
                "expected_from_rest_of_country": round(float(m.mu_pre[c, t] * share[t]), 1)
                if t in share
                else None,
            }
            for t in hours
        ]
        excess = sum(
            x["observed"] - (x["expected_from_rest_of_country"] or x["expected"]) for x in rows
        )
        first = member_alarms[0]
        out.append(
            _stat(
                rule,
                ctx,
                c,
                day,
                severity=CRIT if consecutive else WARN,
                title=(
                    f"Simultaneous surge in {first.kind} {first.name}: {first.exceeding}"
                    f" of {first.tested} constituencies"
                ),
                description=(
                    f"{f.facts[c].name} surged together with other constituencies of "
                    f"{first.kind} {first.name} on {day}; investigate as a group (coordinated "
                    "action or a regional event)."
                ),
                evidence={
                    "group": {
                        "kind": first.kind,
                        "name": first.name,
                        first.kind: first.name,
                        "hours": [a.evidence(ctx) for a in member_alarms],
                    },
                    "hours": rows,
                    "excess_votes": round(excess, 1),
                    "expected_how": _model_note(ctx) + "; a group-hour alarms when (members) "
                    "the k-th smallest member p (smallest upper-tail p against the model, the "
                    "previous hour's pace and the neighbouring hours) is improbable for the "
                    "group's size under a beta-binomial null (ICC correlated_icc), Bonferroni "
                    "over k; or when (share) the group's observed/expected ratio, divided by "
                    "the rest of the country's, is far above its usual value given its "
                    "between-hour spread and Poisson noise (BH over all group-hours)",
                },
                last_seen=iso(f.hour(hours[-1]) + HOUR) or "",
                magnitude=float(excess),
                score_evidence=evidence_from_p(min(a.p for a in member_alarms), ctx),
            )
        )
    return out


@register
class ConstituencyOffline(Rule):
    id = "constituency_offline"
    alert_type = AlertType.CONSTITUENCY_OFFLINE.value
    default_severity = WARN
    family = "offline"
    inputs = ("hourly_stats.transaction_count", "newest data time", "peers")
    statistical = True
    summary = (
        "No transactions for a run of voting hours whose probability under the expected counts "
        "is below 1e-4; a platform-wide silence raises one parent alert instead."
    )

    def evaluate(self, ctx: Context) -> list[Signal]:
        m, f = ctx.model, ctx.frame
        out: list[Signal] = []
        # Silence is evidence only inside the settled horizon (the others' data moved on, or
        # this constituency's own data resumed after the gap) and only for a feed that has
        # sent something: a constituency without any data yet is awaiting data, not offline.
        silent = (f.tx <= 0) & m.active & ~f.awaiting[:, None]
        silent[:, f.closed :] = False
        k = m.k_eff
        with np.errstate(divide="ignore", invalid="ignore"):
            ln_p0 = k * np.log(k / (k + np.maximum(m.mu_offline, 0.0)))
        for c in range(len(f.facts)):
            run: list[int] = []
            for t in range(f.closed + 1):
                if t < f.closed and silent[c, t]:
                    run.append(t)
                    continue
                if t < f.closed and m.outage[t] and run:
                    continue
                if run:
                    self._run(ctx, c, run, ln_p0, out)
                run = []
        out.extend(self._outages(ctx, silent))
        return out

    def _run(self, ctx: Context, c: int, run: list[int], ln_p0: NDArray, out: list[Signal]) -> None:
        m, f, s = ctx.model, ctx.frame, ctx.settings
        own = [t for t in run if not m.outage[t]]
        if not own:
            return
        ln_p = float(ln_p0[c, own].sum())
        expected = float(m.mu_offline[c, own].sum())
        if ln_p > s.offline_log_p or expected < s.offline_min_expected:
            return
        first, last = run[0], run[-1]
        ongoing = last == f.closed - 1
        out.append(
            _stat(
                type(self),
                ctx,
                c,
                ctx.day_key(c, first),
                severity=CRIT if len(own) >= 2 and ln_p <= s.offline_crit_log_p else WARN,
                title=(
                    f"No data for {len(own)} voting hour(s) since {_hour_label(ctx, c, first)}"
                    + (" (still silent)" if ongoing else "")
                ),
                description=(
                    f"{f.facts[c].name} sent no transactions from {iso(f.hour(first))} to "
                    f"{iso(f.hour(last) + HOUR)} although about {expected:.0f} voters were "
                    "expected (feed stalled, files missing, or the constituency is down)."
                ),
                evidence={
                    "window": {"start": iso(f.hour(first)), "end": iso(f.hour(last) + HOUR)},
                    "silent_hours": len(own),
                    "ongoing": ongoing,
                    "expected_votes_lost": round(expected, 1),
                    "log_probability": round(ln_p, 2),
                    "newest_data_time": iso(f.newest),
                    "expected_how": _model_note(ctx) + "; P(no data) = prod NB P(0)",
                },
                last_seen=iso(f.hour(last) + HOUR) or "",
                magnitude=float(len(own)),
                score_evidence=min(1.0, -ln_p / 30.0),
            )
        )

    def _outages(self, ctx: Context, silent: NDArray) -> list[Signal]:
        m, f = ctx.model, ctx.frame
        out = []
        t = 0
        while t < f.closed:
            if not m.outage[t]:
                t += 1
                continue
            start = t
            while t < f.closed and m.outage[t]:
                t += 1
            hours = list(range(start, t))
            affected = np.flatnonzero(silent[:, hours].any(axis=1))
            if affected.size == 0:
                continue
            eligible = int((m.active[:, start] & (m.started < start)).sum())
            c = int(affected[0])
            out.append(
                _stat(
                    type(self),
                    ctx,
                    c,
                    f"platform:{iso(f.hour(start))}",
                    severity=CRIT,
                    title=(
                        f"Platform-wide outage: {affected.size} of {eligible} constituencies "
                        f"silent for {len(hours)} hour(s)"
                    ),
                    description=(
                        f"From {iso(f.hour(start))} to {iso(f.hour(t - 1) + HOUR)} most "
                        "constituencies of the election sent no data at once; this one alert "
                        "stands for all of them (their own offline alerts are inhibited)."
                    ),
                    evidence={
                        "scope": "platform",
                        "election_id": f.election_id,
                        "window": {"start": iso(f.hour(start)), "end": iso(f.hour(t - 1) + HOUR)},
                        "silent_constituencies": affected.size,
                        "eligible_constituencies": eligible,
                        "constituency_ids": [f.facts[j].id for j in affected[:100]],
                        "inhibits": "constituency_offline for these hours",
                    },
                    last_seen=iso(f.hour(t - 1) + HOUR) or "",
                    magnitude=float(len(hours)),
                    score_evidence=0.0,
                )
            )
        return out


@register
class HighRejectionRate(Rule):
    id = "high_rejection_rate"
    alert_type = AlertType.HIGH_REJECTION_RATE.value
    default_severity = WARN
    family = "rejections"
    inputs = ("hourly_stats.rejected_votes", "hourly_stats.vote_calls", "peers")
    statistical = True
    summary = "Share of vote calls rejected by the contract in an hour far above peers' share."

    def evaluate(self, ctx: Context) -> list[Signal]:
        m, f, s = ctx.model, ctx.frame, ctx.settings
        rej = f.rejected
        attempts = f.vote_calls + rej
        cum_r = np.cumsum(rej, axis=1)
        cum_a = np.cumsum(attempts, axis=1)
        peer_r = group_sum(cum_r, m.groups) - cum_r
        peer_a = group_sum(cum_a, m.groups) - cum_a
        rate0 = np.maximum((peer_r + 1.0) / (peer_a + 100.0), 1e-4)
        expected = attempts * rate0
        cells: list[tuple[int, int, float, float]] = []
        for t in range(f.closed):
            idx = np.flatnonzero((rej[:, t] >= s.rejection_min_count) & m.active[:, t])
            if idx.size == 0:
                continue
            n_tested = int(((attempts[:, t] > 0) & m.active[:, t]).sum())
            p = upper_midp(rej[idx, t], expected[idx, t], np.full(idx.size, s.nb_shape_default))
            # BH over every constituency with vote calls this hour (the untested have p = 1).
            full = np.ones(max(n_tested, idx.size))
            full[: idx.size] = p
            q = bh_adjust(full)[: idx.size]
            for j, ci in enumerate(idx):
                rate = rej[ci, t] / max(attempts[ci, t], 1)
                if (
                    q[j] <= s.rejection_q
                    and rej[ci, t] >= s.rejection_min_ratio * expected[ci, t]
                    and rate >= s.rejection_min_rate
                ):
                    cells.append((int(ci), t, float(p[j]), float(q[j])))
        by: dict[tuple[int, str], list[tuple[int, float, float]]] = defaultdict(list)
        for c, t, p_cell, q_cell in cells:
            by[(c, ctx.day_key(c, t))].append((t, p_cell, q_cell))
        out = []
        for (c, day), rows in sorted(by.items()):
            detail: list[dict[str, Any]] = [
                {
                    "hour": iso(f.hour(t)),
                    "rejected": int(rej[c, t]),
                    "vote_calls": int(attempts[c, t]),
                    "rate": round(float(rej[c, t] / max(attempts[c, t], 1)), 4),
                    "peers_rate": round(float(rate0[c, t]), 5),
                    "expected_rejected": round(float(expected[c, t]), 1),
                    "p": p_cell,
                    "p_adjusted": q_cell,
                }
                for t, p_cell, q_cell in rows
            ]
            worst = max(detail, key=lambda d: d["rate"])
            out.append(
                _stat(
                    type(self),
                    ctx,
                    c,
                    day,
                    title=(
                        f"{100 * worst['rate']:.0f}% of votes rejected by the contract "
                        f"(peers {100 * worst['peers_rate']:.1f}%)"
                    ),
                    description=(
                        f"{f.facts[c].name}: the contract rejected an unusual share of vote calls "
                        f"in {len(detail)} hour(s) on {day}."
                    ),
                    evidence={
                        "hours": detail,
                        "expected_how": "peers' cumulative rejection "
                        "share (leave-one-out) x this hour's vote calls; BH per hour",
                    },
                    last_seen=iso(f.hour(rows[-1][0]) + HOUR) or "",
                    magnitude=float(sum(d["rejected"] for d in detail)),
                    score_evidence=evidence_from_p(min(d["p"] for d in detail), ctx),
                )
            )
        return out


@register
class RevoteSurge(Rule):
    id = "duplicate_vote.revote_surge"
    alert_type = AlertType.DUPLICATE_VOTE.value
    default_severity = WARN
    family = "peers"
    inputs = ("constituencies.revotes", "constituencies.votes_cast", "revote_blocked=false")
    statistical = True
    summary = "Where revoting is allowed, a share of revotes far above peers' share."

    def evaluate(self, ctx: Context) -> list[Signal]:
        m, f, s = ctx.model, ctx.frame, ctx.settings
        allowed = np.asarray([fc.revote_blocked is False for fc in f.facts], dtype=bool)
        # Up to the data horizon (totals may already hold data beyond it).
        votes = f.votes[:, : f.closed].sum(axis=1)
        rev = np.maximum(f.vote_calls[:, : f.closed].sum(axis=1) - votes, 0.0)
        ok = allowed & (votes >= 50)
        out = []
        for g in np.unique(m.groups[ok]) if ok.any() else []:
            members = np.flatnonzero(ok & (m.groups == g))
            if members.size < s.min_group_size:
                continue
            share = rev[members] / votes[members]
            tau = _robust_sd(share)
            for j, c in enumerate(members):
                s0 = (rev[members].sum() - rev[c]) / max(votes[members].sum() - votes[c], 1.0)
                s0 = min(max(s0, 1e-6), 1 - 1e-6)
                z = (share[j] - s0) / math.sqrt(s0 * (1 - s0) / votes[c] + tau**2)
                if z < s.revote_min_z or share[j] < s.revote_min_share:
                    continue
                out.append(
                    _stat(
                        type(self),
                        ctx,
                        int(c),
                        "revote_surge",
                        title=(
                            f"Revotes {100 * share[j]:.0f}% of voters vs {100 * s0:.0f}% for peers"
                        ),
                        description=(
                            f"{f.facts[c].name}: {int(rev[c])} revotes by {int(votes[c])} voters, "
                            "far more than comparable constituencies."
                        ),
                        evidence={
                            "revotes": int(rev[c]),
                            "votes_cast": int(votes[c]),
                            "share": round(float(share[j]), 4),
                            "peers_share": round(float(s0), 4),
                            "z": round(float(z), 2),
                        },
                        last_seen=iso(f.horizon) or "",
                        magnitude=float(rev[c]),
                        score_evidence=evidence_from_p(float(stats.norm.sf(z)), ctx),
                    )
                )
        return out
