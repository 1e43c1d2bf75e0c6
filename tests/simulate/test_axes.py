"""The simulator's robustness axes: zones, sizes, turnout shapes, dispersion, own windows,
outages and region-wide surges (docs/simulation.md, "Robustness axes")."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from election_monitor.exceptions import InvalidInputError
from election_monitor.simulate import SimulationConfig, parse_spec
from election_monitor.simulate.anomalies import NODES, PLATFORM_OUTAGE
from election_monitor.simulate.config import ZONES, TurnoutShape
from election_monitor.simulate.generator import ConstituencyGenerator
from election_monitor.simulate.population import build_population
from election_monitor.timeutil import parse_datetime
from tests.simulate.conftest import Make


def _zones(**options: object) -> Counter[str]:
    population = build_population(SimulationConfig(constituencies=22, **options))  # type: ignore[arg-type]
    return Counter(s.timezone for s in population.constituencies)


def test_time_zones_one_to_eleven_and_a_lone_constituency() -> None:
    assert _zones(timezones=1) == Counter({"Europe/Moscow": 22})
    assert set(_zones(timezones=11)) == set(ZONES)
    assert len(_zones(timezones=3)) == 3
    assert _zones() == _zones(timezones=0)  # the default: each region its own zone
    lone = build_population(SimulationConfig(constituencies=22, timezones=1, lone_zone=True))
    zones = [s.timezone for s in lone.constituencies]
    assert zones.count(zones[-1]) == 1
    assert set(zones[:-1]) == {"Europe/Moscow"}
    # opening is 08:00 on each constituency's own clock
    last = lone.constituencies[-1]
    opening = datetime.fromtimestamp(last.start_ms / 1000, ZoneInfo(last.timezone))
    assert (opening.hour, opening.minute) == (8, 0)


def test_voters_range_overrides_the_type_ranges() -> None:
    population = build_population(SimulationConfig(constituencies=40, voters_range=(200, 1000)))
    sizes = [s.registered for s in population.constituencies]
    assert min(sizes) >= 200
    assert max(sizes) <= 1000
    assert len(set(sizes)) > 20


def _local_shares(spec_options: dict[str, object], seed: int = 4) -> np.ndarray:
    """Expected bulletins per local hour of day, over all constituencies and days."""
    config = SimulationConfig(seed=seed, constituencies=10, scale=0.1, **spec_options)  # type: ignore[arg-type]
    population = build_population(config)
    out = np.zeros(24)
    for spec in population.constituencies:
        gen = ConstituencyGenerator(
            spec, config.model, population.shocks_for(spec), [], rollback_lines=False
        )
        tz = ZoneInfo(spec.timezone)
        for j, value in enumerate(gen.expected):
            local = datetime.fromtimestamp(spec.start_ms / 1000 + j * 3600 + 1800, tz)
            out[local.hour] += value
    return out / out.sum()


def test_turnout_shapes_move_the_peak() -> None:
    morning = _local_shares({"turnout_shape": TurnoutShape.MORNING})
    evening = _local_shares({"turnout_shape": TurnoutShape.EVENING})
    flat = _local_shares({"turnout_shape": TurnoutShape.FLAT})
    assert morning[6:12].sum() > 0.45
    assert evening[17:23].sum() > 0.45
    assert morning[6:12].sum() > 2 * evening[6:12].sum()
    day = flat[10:20]  # (09:00 has the opening rush; the last day closes at 20:00)
    assert day.max() < 1.6 * day.min()  # no peak in the day


def test_weekend_day_follows_its_own_profile() -> None:
    config = SimulationConfig(seed=2, constituencies=3, scale=0.1, turnout_shape="weekend")  # type: ignore[arg-type]
    population = build_population(config)
    spec = population.constituencies[0]
    assert spec.weekend_day == 1
    gen = ConstituencyGenerator(
        spec, config.model, population.shocks_for(spec), [], rollback_lines=False
    )
    expected = gen.expected
    # voting opens 08:00 local: day 1 is hours 0-19, day 2 hours 20-43; 07:00 local of each
    # day against its 12:00: people sleep in on the weekend
    weekday_ratio = expected[20 + 3] / expected[20 + 8]  # day 2 (weekend)
    day3_ratio = expected[44 + 3] / expected[44 + 8]
    assert weekday_ratio < 0.5 * day3_ratio


@pytest.mark.parametrize(("factor", "low", "high"), [(1.0, 0.7, 1.4), (3.0, 2.2, 4.0)])
def test_overdispersion_is_variance_over_mean(factor: float, low: float, high: float) -> None:
    config = SimulationConfig(seed=9, constituencies=20, scale=0.3, overdispersion=factor)
    population = build_population(config)
    ratios = []
    for spec in population.constituencies:
        gen = ConstituencyGenerator(
            spec, config.model, population.shocks_for(spec), [], rollback_lines=False
        )
        busy = gen.expected > 20
        ratios.extend(((gen.counts[busy] - gen.expected[busy]) ** 2 / gen.expected[busy]).tolist())
    assert low < float(np.mean(ratios)) < high


def test_contracts_with_their_own_window(make_election: Make) -> None:
    _folder, truth = make_election(
        seed=6, constituencies=8, anomalies="none", late_start=2, early_finish=1, hours=36
    )
    _, plain = make_election(seed=6, constituencies=8, anomalies="none", hours=36)
    assert truth["election"] == plain["election"]  # the election's window does not move
    moved = [c for c in truth["constituencies"] if "planned_start" in c]
    assert len(moved) == 3
    late = [c for c in moved if c["voting_start"] != c["planned_start"]]
    early = [c for c in moved if c["voting_end"] != c["planned_end"]]
    assert len(late) == 2
    assert len(early) == 1
    for c in late:
        shift = parse_datetime(c["voting_start"]) - parse_datetime(c["planned_start"])
        assert shift.total_seconds() == 4 * 3600
    for c in moved:
        start, end = parse_datetime(c["voting_start"]), parse_datetime(c["voting_end"])
        busy = [parse_datetime(h) for h, row in c["hourly"].items() if row["bulletins"]]
        assert start <= min(busy)
        assert max(busy) < end


def test_region_surge_node_and_platform_outages(make_election: Make) -> None:
    _folder, truth = make_election(
        seed=3, constituencies=12, anomalies="surge:1:2,node:1:2,platform:1:1", regions=3
    )
    by_type: dict[str, list[dict[str, object]]] = {}
    for a in truth["anomalies"]:
        by_type.setdefault(a["details"].get("scope", a["type"]), []).append(a)
    region = by_type["region"]
    members = {
        c["id"] for c in truth["constituencies"] if c["region"] == region[0]["details"]["region"]
    }
    assert {a["constituency_id"] for a in region} == members
    assert {a["type"] for a in region} == {"correlated_spike"}
    assert len({a["start"] for a in region}) == 1
    node = by_type["node"]
    assert {a["type"] for a in node} == {"constituency_offline"}
    assert len(node) == len(
        [
            c
            for i, c in enumerate(truth["constituencies"])
            if i % NODES == node[0]["details"]["node"]
        ]
    )
    platform = by_type["platform"]
    assert {a["type"] for a in platform} == {PLATFORM_OUTAGE}
    assert len(platform) == 12
    # a platform outage leaves its constituencies clean, and they are silent in its hour
    injected = {a["constituency_id"] for a in truth["anomalies"] if a["type"] != PLATFORM_OUTAGE}
    assert (
        set(truth["clean_constituencies"]) == {c["id"] for c in truth["constituencies"]} - injected
    )
    for c in truth["constituencies"]:
        assert c["hourly"].get(platform[0]["start"], {"bulletins": 0})["bulletins"] == 0


def test_new_kinds_are_not_part_of_all() -> None:
    assert {r.key for r in parse_spec("all")}.isdisjoint(
        {"region_surge", "node_outage", PLATFORM_OUTAGE}
    )
    (surge,) = parse_spec("surge:2:2.5")
    assert (surge.type, surge.key, surge.count, surge.magnitude) == (
        "correlated_spike",
        "region_surge",
        2,
        2.5,
    )
    with pytest.raises(InvalidInputError):
        parse_spec("surge:1:0.5")


@pytest.mark.parametrize(
    "bad",
    [
        {"timezones": 12},
        {"voters_range": (500, 100)},
        {"overdispersion": 0.5},
        {"late_start": 8, "early_finish": 8},
        {"window_shift_hours": 30},
    ],
)
def test_bad_axis_values_are_refused(bad: dict[str, object]) -> None:
    with pytest.raises(InvalidInputError):
        build_population(SimulationConfig(constituencies=12, **bad))  # type: ignore[arg-type]
