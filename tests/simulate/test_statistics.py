"""The simulated voting looks real: profile, turnout, counting invariants, noise."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from election_monitor.simulate import SimulationConfig
from election_monitor.simulate.generator import ConstituencyGenerator
from election_monitor.simulate.population import build_population
from tests.simulate import readback
from tests.simulate.conftest import Make

CLEAN = {"seed": 4, "constituencies": 10, "scale": 0.04, "anomalies": "none"}


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_counting_invariants_hold_on_clean_contracts(make_election: Make, seed: int) -> None:
    folder, truth = make_election(seed=seed, constituencies=16, scale=0.02)
    contracts = readback.read_export(folder / "data").contracts
    clean = [c for c in truth["constituencies"] if c["clean"]]
    assert clean, "some constituencies stay clean"
    for c in clean:
        got = contracts[c["id"]].counts()
        assert sum(got["results"][0]) == got["votes_cast"]  # results = accepted voters
        assert got["bulletins_issued"] >= got["votes_cast"]
        assert got["bulletins_issued"] <= c["voters_final"] + c["voters_removed"]
        assert got["rejected_votes"] < 0.02 * got["accepted_votes"] + 5
        if got["revote_blocked"]:
            assert got["revotes"] == 0
        start = datetime.fromisoformat(c["voting_start"].replace("Z", "+00:00")).timestamp()
        end = datetime.fromisoformat(c["voting_end"].replace("Z", "+00:00")).timestamp()
        for tx in contracts[c["id"]].txs:
            if tx.operation == "vote" and tx.accepted:
                assert start * 1000 <= tx.ts < end * 1000


def test_turnout_is_in_the_deg_range(make_election: Make) -> None:
    _, truth = make_election(**CLEAN)
    for c in truth["constituencies"]:
        t = c["totals"]
        assert 0.6 <= t["votes_cast"] / c["registered_voters"] <= 1.0
        unused = 1 - t["votes_cast"] / t["bulletins_issued"]
        assert 0.0 <= unused <= 0.05


def test_night_hours_are_much_quieter_than_daytime_in_local_time(make_election: Make) -> None:
    _, truth = make_election(**CLEAN)
    night = day = 0
    for c in truth["constituencies"]:
        zone = ZoneInfo(c["timezone"])
        for hour, row in c["hourly"].items():
            local = datetime.fromisoformat(hour.replace("Z", "+00:00")).astimezone(zone).hour
            if 1 <= local < 6:
                night += row["bulletins"]
            elif 10 <= local < 21:
                day += row["bulletins"]
    # per hour: 5 night hours against 11 daytime hours
    assert night / 5 < 0.15 * day / 11


def test_first_day_is_the_busiest(make_election: Make) -> None:
    _, truth = make_election(**CLEAN)
    for c in truth["constituencies"]:
        hours = sorted(c["hourly"].items())
        start = datetime.fromisoformat(c["voting_start"].replace("Z", "+00:00"))
        by_day = [0, 0, 0]
        for hour, row in hours:
            elapsed = (datetime.fromisoformat(hour.replace("Z", "+00:00")) - start).total_seconds()
            day = min(2, max(0, int((elapsed / 3600 + 4) // 24)))
            by_day[day] += row["bulletins"]
        assert by_day[0] > by_day[2]


def test_hourly_counts_are_overdispersed() -> None:
    config = SimulationConfig(seed=11, constituencies=3, scale=1.0, anomalies="none")
    population = build_population(config)
    spec = max(population.constituencies, key=lambda s: s.registered)
    gen = ConstituencyGenerator(
        spec, config.model, population.shocks_for(spec), [], rollback_lines=True
    )
    expected, counts = gen.expected, gen.counts
    busy = expected > 50
    pearson = ((counts[busy] - expected[busy]) ** 2 / expected[busy]).mean()
    assert pearson > 3  # a Poisson process would give about 1


def test_bulletin_to_vote_lag_is_minutes(make_election: Make) -> None:
    folder, truth = make_election(**CLEAN)
    contract = readback.read_export(folder / "data").contracts[truth["constituencies"][0]["id"]]
    issue_ts = np.sort([t.ts for t in contract.txs if t.operation == "blindSigIssue"])
    vote_ts = np.sort([t.ts for t in contract.txs if t.operation == "vote" and t.accepted])
    # matched by rank: the typical vote comes a few minutes after its bulletin
    n = min(len(issue_ts), len(vote_ts))
    lag_min = np.median(vote_ts[: n // 2] - issue_ts[: n // 2]) / 60_000
    assert 0.5 < lag_min < 30
