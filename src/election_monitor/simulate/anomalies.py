"""Injected anomalies: the ``--anomalies`` syntax and where each injection goes.

Detection can only be scored against a known truth, so every alert type of DESIGN.md has an
injection here with a count and a magnitude. Planning is global (a correlated spike needs
several constituencies in one hour; a duplicate vote needs a contract that blocks revotes) and
happens before generation; the generator then realises each injection and reports its exact
window, which goes to truth.json.

Syntax: ``all`` | ``none`` | ``ITEM[,ITEM...]`` with ``ITEM = NAME[:COUNT[:MAGNITUDE]]``.
``NAME`` is an alert type or its short alias (or ``all``); later items override earlier ones,
so ``all,offline:0`` is every type but offline, ``spike:3:4`` three 4x spikes.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from election_monitor.enums import AlertType
from election_monitor.exceptions import InvalidInputError
from election_monitor.simulate.population import Population
from election_monitor.simulate.profile import local_hours


@dataclass(frozen=True, slots=True)
class AnomalyKind:
    """One injectable anomaly type: its alias, default magnitude and what the magnitude means."""

    type: str  # the alert type it is scored as (or PLATFORM_OUTAGE)
    alias: str
    default: float
    meaning: str
    name: str = ""  # unique name when several kinds share an alert type (else the type)
    in_all: bool = True  # part of ``all`` (the kinds added later are not: same output)

    @property
    def key(self) -> str:
        """The kind's unique name."""
        return self.name or self.type


#: An outage of the whole platform: not an alert type of one constituency (the detectors
#: raise one platform-wide ``constituency_offline`` parent alert), and its constituencies
#: stay clean.
PLATFORM_OUTAGE = "platform_outage"
#: Contracts served by one node: a node outage silences every ``index % NODES`` contract.
NODES = 4


KINDS: tuple[AnomalyKind, ...] = (
    AnomalyKind(
        AlertType.VOTES_EXCEED_BULLETINS,
        "excess",
        0.05,
        "accepted votes with no bulletin issued, as a share of the expected votes, in one hour",
    ),
    AnomalyKind(AlertType.UNUSUAL_SPIKE, "spike", 5.0, "rate multiplier for one daytime hour"),
    AnomalyKind(AlertType.UNUSUAL_DROP, "drop", 0.1, "rate multiplier for three daytime hours"),
    AnomalyKind(
        AlertType.NIGHT_ACTIVITY,
        "night",
        0.02,
        "extra bulletins and votes, as a share of registered voters, 01:00-04:00 local",
    ),
    AnomalyKind(
        AlertType.BASELINE_DEVIATION,
        "deviation",
        0.6,
        "participation multiplier for the whole voting (peers unchanged)",
    ),
    AnomalyKind(
        AlertType.CORRELATED_SPIKE,
        "correlated",
        3.0,
        "rate multiplier for one hour in a group of at least three constituencies of a region",
    ),
    AnomalyKind(AlertType.CONSTITUENCY_OFFLINE, "offline", 3.0, "hours with no transactions"),
    AnomalyKind(
        AlertType.DUPLICATE_VOTE,
        "duplicate",
        10.0,
        "voter keys accepted twice on a contract with isRevoteBlocked true",
    ),
    AnomalyKind(
        AlertType.TURNOUT_EXCEEDS_REGISTERED,
        "turnout",
        1.05,
        "bulletins issued / registered voters at the close (extra bulletins to unlisted ids)",
    ),
    AnomalyKind(
        AlertType.VOTE_OUTSIDE_WINDOW,
        "outside",
        15.0,
        "accepted votes before startVoting or after finishVoting",
    ),
    AnomalyKind(
        AlertType.HIGH_REJECTION_RATE,
        "rejection",
        0.25,
        "share of vote calls rejected by the contract during six hours",
    ),
    AnomalyKind(
        AlertType.RESULTS_MISMATCH,
        "mismatch",
        0.03,
        "relative excess of the published results over the counted votes",
    ),
    AnomalyKind(
        AlertType.DATA_INTEGRITY,
        "integrity",
        20.0,
        "minutes a burst of 25 timestamps goes back; one tx id is also reused with other content",
    ),
    AnomalyKind(
        AlertType.CORRELATED_SPIKE,
        "surge",
        2.0,
        "rate multiplier for one hour in every constituency of a region",
        name="region_surge",
        in_all=False,
    ),
    AnomalyKind(
        AlertType.CONSTITUENCY_OFFLINE,
        "node",
        2.0,
        f"hours with no transactions on every contract of one of {NODES} nodes",
        name="node_outage",
        in_all=False,
    ),
    AnomalyKind(
        PLATFORM_OUTAGE,
        "platform",
        2.0,
        "hours with no transactions on every contract (the whole platform)",
        name=PLATFORM_OUTAGE,
        in_all=False,
    ),
)

BY_NAME: dict[str, AnomalyKind] = (
    {k.type: k for k in KINDS if not k.name}
    | {k.key: k for k in KINDS}
    | {k.alias: k for k in KINDS}
)

#: Types whose injection occupies daytime hours of the voting (so they never overlap).
_HOURLY_DURATION: dict[str, int] = {
    AlertType.VOTES_EXCEED_BULLETINS: 1,
    AlertType.UNUSUAL_SPIKE: 1,
    AlertType.UNUSUAL_DROP: 3,
    AlertType.CORRELATED_SPIKE: 1,
    AlertType.DUPLICATE_VOTE: 3,
    AlertType.HIGH_REJECTION_RATE: 6,
    AlertType.DATA_INTEGRITY: 1,
}


@dataclass(frozen=True, slots=True)
class AnomalyRequest:
    """How many injections of one type, with which magnitude."""

    type: str
    count: int
    magnitude: float
    name: str = ""  # the kind's unique name when it differs from the type

    @property
    def key(self) -> str:
        """The requested kind's unique name."""
        return self.name or self.type


def parse_spec(spec: str) -> list[AnomalyRequest]:
    """Parse an ``--anomalies`` value; raises ``InvalidInputError`` with the accepted names."""
    chosen: dict[str, AnomalyRequest] = {}
    text = spec.strip()
    if text.lower() in ("", "none"):
        return []
    for item in text.split(","):
        parts = [p.strip() for p in item.strip().split(":")]
        name = parts[0].lower()
        if name == "none":
            chosen.clear()
            continue
        if name != "all" and name not in BY_NAME:
            raise InvalidInputError(
                f"unknown anomaly {parts[0]!r}; use all, none or one of: "
                + ", ".join(f"{k.alias} ({k.type})" for k in KINDS)
            )
        if len(parts) > 3 or (name == "all" and len(parts) > 2):
            raise InvalidInputError(f"bad anomaly item {item!r}: NAME[:COUNT[:MAGNITUDE]]")
        try:
            count = int(parts[1]) if len(parts) > 1 and parts[1] else 1
            magnitude = float(parts[2]) if len(parts) > 2 else None
        except ValueError as error:
            raise InvalidInputError(f"bad anomaly item {item!r}: {error}") from error
        if count < 0:
            raise InvalidInputError(f"bad anomaly item {item!r}: negative count")
        kinds = tuple(k for k in KINDS if k.in_all) if name == "all" else (BY_NAME[name],)
        for kind in kinds:
            if magnitude is not None and not _valid_magnitude(kind, magnitude):
                raise InvalidInputError(f"bad magnitude {magnitude} for {kind.alias}")
            chosen[kind.key] = AnomalyRequest(
                kind.type,
                count,
                kind.default if magnitude is None else magnitude,
                kind.name,
            )
    order = [k.key for k in KINDS]
    return sorted((r for r in chosen.values() if r.count > 0), key=lambda r: order.index(r.key))


def _valid_magnitude(kind: AnomalyKind, magnitude: float) -> bool:
    if kind.type == AlertType.UNUSUAL_DROP:
        return 0 <= magnitude < 1
    if kind.type == AlertType.BASELINE_DEVIATION:
        return 0 < magnitude < 1.5
    if kind.type in (AlertType.UNUSUAL_SPIKE, AlertType.CORRELATED_SPIKE):
        return magnitude > 1
    if kind.type == AlertType.TURNOUT_EXCEEDS_REGISTERED:
        return magnitude > 1
    if kind.type == AlertType.HIGH_REJECTION_RATE:
        return 0 < magnitude < 1
    return magnitude > 0


@dataclass(slots=True)
class Injection:
    """One planned injection in one constituency (a correlated group has one per member)."""

    id: str
    type: str
    constituency: int
    magnitude: float
    hour: int = -1  # first voting hour it affects (-1: not hour-bound)
    duration: int = 0  # voting hours it affects
    details: dict[str, Any] = field(default_factory=dict)


def plan(requests: list[AnomalyRequest], population: Population, seed: int) -> list[Injection]:
    """Choose constituencies and hours for every requested injection (deterministic)."""
    rng = np.random.default_rng(np.random.SeedSequence([seed, 7]))
    specs = population.constituencies
    load = np.zeros(len(specs), np.int64)
    busy: list[set[int]] = [set() for _ in specs]
    daytime = [_daytime_hours(s.start_ms, s.hours, s.timezone) for s in specs]
    injections: list[Injection] = []
    counter = 0

    def pick(candidates: list[int]) -> int:
        pool = np.asarray(candidates)
        least = pool[load[pool] == load[pool].min()]
        return int(rng.choice(least))

    def free_hour(c: int, duration: int) -> int:
        spec = specs[c]
        options = [
            h
            for h in daytime[c]
            if 4 <= h <= spec.hours - 3 - duration
            and not any(x in busy[c] for x in range(h - 1, h + duration + 1))
        ]
        if not options:
            options = list(range(4, max(5, spec.hours - 3 - duration)))
        return int(rng.choice(options))

    for request in requests:
        for _ in range(request.count):
            counter += 1
            ident = f"A{counter:03d}"
            kind = request.type
            if request.key in ("region_surge", "node_outage", PLATFORM_OUTAGE):
                injections += _plan_group(request, ident, population, daytime, busy, load, rng)
                continue
            if kind == AlertType.CORRELATED_SPIKE:
                members = _correlated_group(population, rng, load)
                hour_utc = _common_hour(members, population, daytime, busy, rng)
                for c in members:
                    h = (hour_utc - specs[c].start_ms) // 3_600_000
                    busy[c].add(h)
                    load[c] += 1
                    injections.append(
                        Injection(
                            ident,
                            kind,
                            c,
                            request.magnitude,
                            h,
                            1,
                            {"group": ident, "members": [specs[m].contract_id for m in members]},
                        )
                    )
                continue
            if kind == AlertType.DUPLICATE_VOTE:
                blocked = [s.index for s in specs if s.revote_blocked]
                c = pick(blocked or list(range(len(specs))))
            else:
                c = pick(list(range(len(specs))))
            load[c] += 1
            injection = Injection(ident, kind, c, request.magnitude)
            if kind in _HOURLY_DURATION or kind == AlertType.CONSTITUENCY_OFFLINE:
                duration = (
                    max(1, round(request.magnitude))
                    if kind == AlertType.CONSTITUENCY_OFFLINE
                    else _HOURLY_DURATION[kind]
                )
                injection.hour = free_hour(c, duration)
                injection.duration = duration
                busy[c].update(range(injection.hour, injection.hour + duration))
            elif kind == AlertType.NIGHT_ACTIVITY:
                injection.hour, injection.duration = _night_hours(specs[c], rng)
                busy[c].update(range(injection.hour, injection.hour + injection.duration))
            elif kind == AlertType.VOTE_OUTSIDE_WINDOW:
                injection.details["when"] = "before" if rng.random() < 0.5 else "after"
            injections.append(injection)
    return injections


def _plan_group(
    request: AnomalyRequest,
    ident: str,
    population: Population,
    daytime: list[list[int]],
    busy: list[set[int]],
    load: np.ndarray[Any, np.dtype[np.int64]],
    rng: np.random.Generator,
) -> list[Injection]:
    """A region-wide surge, a node outage or a platform outage: one hour for all members."""
    specs = population.constituencies
    details: dict[str, Any] = {"group": request.key + ":" + ident}
    if request.key == "region_surge":
        by_region: dict[int, list[int]] = {}
        for s in specs:
            by_region.setdefault(s.region, []).append(s.index)
        region = min(by_region, key=lambda r: (int(load[by_region[r]].sum()), -len(by_region[r])))
        members = by_region[region]
        duration, kind = 1, str(AlertType.CORRELATED_SPIKE)
        details |= {"scope": "region", "region": specs[members[0]].region_name}
    elif request.key == "node_outage":
        node = int(rng.integers(0, min(NODES, len(specs))))
        members = [s.index for s in specs if s.index % NODES == node]
        duration, kind = max(1, round(request.magnitude)), str(AlertType.CONSTITUENCY_OFFLINE)
        details |= {"scope": "node", "node": node}
    else:
        members = [s.index for s in specs]
        duration, kind = max(1, round(request.magnitude)), PLATFORM_OUTAGE
        details |= {"scope": "platform"}
    details["members"] = [specs[m].contract_id for m in members]
    hour_utc = _common_hour(members, population, daytime, busy, rng, duration)
    out = []
    for c in members:
        h = (hour_utc - specs[c].start_ms) // 3_600_000
        if h < 0 or h + duration > specs[c].hours:
            continue  # a contract not voting then (opened late, closed early)
        busy[c].update(range(h, h + duration))
        if kind != PLATFORM_OUTAGE:  # a platform outage leaves its constituencies clean
            load[c] += 1
        out.append(Injection(ident, kind, c, request.magnitude, h, duration, dict(details)))
    return out


def _daytime_hours(start_ms: int, hours: int, timezone: str) -> list[int]:
    local = local_hours(start_ms, hours, timezone) % 24
    return [h for h in range(hours) if 10 <= local[h] < 20]


def _night_hours(spec: Any, rng: np.random.Generator) -> tuple[int, int]:
    local = local_hours(spec.start_ms, spec.hours, spec.timezone) % 24
    starts = [
        h
        for h in range(spec.hours - 3)
        if 1 <= local[h] < 2 and all(1 <= local[h + k] < 4 for k in range(3))
    ]
    if not starts:
        return max(0, spec.hours // 2), 3
    return int(rng.choice(starts)), 3


def _correlated_group(
    population: Population, rng: np.random.Generator, load: np.ndarray[Any, np.dtype[np.int64]]
) -> list[int]:
    specs = population.constituencies
    by_region: dict[int, list[int]] = {}
    for s in specs:
        by_region.setdefault(s.region, []).append(s.index)
    eligible = [r for r, members in by_region.items() if len(members) >= 3]
    if not eligible:
        chosen = rng.permutation(len(specs))[: min(3, len(specs))]
        return sorted(int(c) for c in chosen)
    region = int(rng.choice(eligible))
    members = by_region[region]
    size = min(len(members), max(3, round(0.4 * len(members))))
    ranked = sorted(members, key=lambda c: (load[c], rng.random()))
    return sorted(ranked[:size])


def _common_hour(
    members: list[int],
    population: Population,
    daytime: list[list[int]],
    busy: list[set[int]],
    rng: np.random.Generator,
    duration: int = 1,
) -> int:
    """A UTC hour start that is a free daytime voting hour of every member, if there is one."""
    specs = population.constituencies
    hour_ms = 3_600_000
    sets = []
    for c in members:
        s = specs[c]
        sets.append(
            {
                s.start_ms + h * hour_ms
                for h in daytime[c]
                if 4 <= h <= s.hours - 3 - duration
                and not busy[c] & set(range(h - 1, h + duration + 1))
            }
        )
    common = sorted(set.intersection(*sets)) if sets else []
    if not common:
        starts = [
            specs[c].start_ms + h * hour_ms for c in members for h in range(4, specs[c].hours - 4)
        ]
        lo = max(specs[c].start_ms for c in members) + 4 * hour_ms
        hi = min(specs[c].end_ms for c in members) - 4 * hour_ms
        common = sorted({t for t in starts if lo <= t < hi}) or [lo]
    return int(rng.choice(common))


def describe(kind: str, magnitude: float, details: dict[str, Any]) -> str:
    """A one-line human description of a realised injection."""
    d = details
    members = len(d.get("members", []))
    if kind == PLATFORM_OUTAGE:
        return f"the whole platform ({members} contracts) sends nothing for {magnitude:g} hours"
    if d.get("scope") == "node":
        return (
            f"node {d.get('node')} ({members} contracts) sends nothing for {magnitude:g} hours; "
            "what voters sent meanwhile arrives after"
        )
    if d.get("scope") == "region":
        return (
            f"bulletins and votes x{magnitude:g} in the same hour in all {members} "
            f"constituencies of {d.get('region')} (group {d.get('group')})"
        )
    texts = {
        AlertType.VOTES_EXCEED_BULLETINS: lambda: (
            f"{d.get('votes_without_bulletin')} accepted votes with fresh keys and no bulletin "
            "issued, within one hour"
        ),
        AlertType.UNUSUAL_SPIKE: lambda: (
            f"bulletins and votes x{magnitude:g} for one hour "
            f"({d.get('clean_bulletins')} -> {d.get('injected_bulletins')} bulletins)"
        ),
        AlertType.UNUSUAL_DROP: lambda: (
            f"bulletins and votes x{magnitude:g} for three daytime hours "
            f"({d.get('clean_bulletins')} -> {d.get('injected_bulletins')} bulletins)"
        ),
        AlertType.NIGHT_ACTIVITY: lambda: (
            f"{magnitude:.1%} of registered voters added as bulletins and votes between 01:00 and "
            f"04:00 local ({d.get('clean_bulletins')} -> {d.get('injected_bulletins')} bulletins)"
        ),
        AlertType.BASELINE_DEVIATION: lambda: (
            f"participation x{magnitude:g} for the whole voting (expected share of the list "
            f"issued a bulletin {d.get('participation')}), peers unchanged"
        ),
        AlertType.CORRELATED_SPIKE: lambda: (
            f"bulletins and votes x{magnitude:g} in the same hour in "
            f"{len(d.get('members', []))} constituencies (group {d.get('group')})"
        ),
        AlertType.CONSTITUENCY_OFFLINE: lambda: (
            f"no transactions for {magnitude:g} hours; transactions sent meanwhile arrive after"
        ),
        AlertType.DUPLICATE_VOTE: lambda: (
            f"{len(d.get('voter_keys', []))} voter keys accepted a second time although the "
            "voting blocks revotes"
        ),
        AlertType.TURNOUT_EXCEEDS_REGISTERED: lambda: (
            f"bulletins reach {magnitude:g} x registered voters: "
            f"{d.get('bulletins_to_unlisted')} bulletins to user ids not on the list"
        ),
        AlertType.VOTE_OUTSIDE_WINDOW: lambda: (
            f"{d.get('votes')} accepted votes {d.get('when')} the voting window "
            f"({'before startVoting' if d.get('when') == 'before' else 'after finishVoting'})"
        ),
        AlertType.HIGH_REJECTION_RATE: lambda: (
            f"{d.get('rejected_calls')} extra vote calls rejected by the contract "
            f"(~{magnitude:.0%} of vote calls) over six hours"
        ),
        AlertType.RESULTS_MISMATCH: lambda: (
            f"published results {d.get('published')} sum to {sum(d.get('published', []))}, "
            f"counted accepted voters {sum(d.get('counted', []))}"
        ),
        AlertType.DATA_INTEGRITY: lambda: (
            f"{d.get('shifted_tx')} consecutive transactions with timestamps {magnitude:g} "
            f"minutes in the past; tx id {d.get('reused_tx_id')} reused with other content"
        ),
    }
    return texts[AlertType(kind)]()
