"""The electorate of a simulated election: regions, constituencies and their character.

Drawn once per run from the run's seed, before any transaction exists: each constituency gets
its contract id and keys, size, type, time zone and voting window, and the propensities that
make it differ from its peers (participation, unused bulletins, profile phase, day weights).
Region-hour shocks are drawn here too, because they are shared by the constituencies of a
region (that shared noise is what peer-based detectors must absorb).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

from election_monitor.exceptions import InvalidInputError
from election_monitor.simulate import ids
from election_monitor.simulate.config import (
    REGIONS,
    REVOTE_REGION_TIMEZONE,
    SHAPE_PEAKS,
    ZONES,
    ModelParams,
    RegionDef,
    SimulationConfig,
    TurnoutShape,
    TypeParams,
)
from election_monitor.simulate.profile import HOUR_MS

TYPES = ("urban", "suburban", "rural")
PLAN_STREAM = 0  # SeedSequence stream of the population and anomaly plan
CONSTITUENCY_STREAM = 1  # SeedSequence stream of each constituency's transactions
WINDOW_STREAM = 3  # SeedSequence stream choosing the contracts that open late / close early
LONE_ZONE_FALLBACK = "Asia/Anadyr"  # when every zone of ZONES is taken


@dataclass(frozen=True, slots=True)
class ConstituencySpec:
    """Everything fixed about one constituency (= one voting contract) before voting starts."""

    index: int
    contract_id: str
    user_key: int  # derives the voters' userId hashes
    name: str  # registry name
    voting_name: str  # VOTING_BASE.name
    poll_id: str
    region: int
    region_name: str
    region_code: str
    timezone: str
    ctype: str
    registered: int
    revote_blocked: bool
    start_ms: int  # voting opens (UTC ms), 08:00 local by default
    end_ms: int  # voting closes
    participation: float  # expected share of the list issued a bulletin
    unused: float  # share of bulletins never used
    phase: float  # profile phase shift, hours
    day_weights: tuple[float, ...]
    rush: float
    peaks: tuple[tuple[float, float, float], ...]
    uiks: tuple[int, ...]  # polling station numbers (4 digits)
    option_shares: tuple[float, ...]
    organiser_key: str
    issuer_key: str
    registrator_key: str
    server_keys: tuple[str, ...]
    commission_key: str
    seed: tuple[int, ...]  # SeedSequence entropy of this constituency's transactions
    #: the election's planned window on this constituency's clock (start_ms / end_ms differ
    #: only for a contract that opens late or closes early)
    nominal_start_ms: int = 0
    nominal_end_ms: int = 0
    weekend_day: int = -1  # voting day (0, 1, ...) that follows the weekend profile; -1 none
    #: hourly variance / mean of the counts (1 = Poisson); 0 = the model's gamma shocks
    dispersion: float = 0.0

    @property
    def hours(self) -> int:
        """Voting hours (the last may be partial)."""
        return math.ceil((self.end_ms - self.start_ms) / HOUR_MS)


@dataclass(frozen=True, slots=True)
class Population:
    """The constituencies and the region-hour shocks on one UTC hour grid."""

    constituencies: tuple[ConstituencySpec, ...]
    regions: tuple[RegionDef, ...]
    origin_ms: int  # the first UTC hour of the grid
    shocks: NDArray[np.float64]  # (regions, grid hours) multiplicative region-hour noise

    def shocks_for(self, spec: ConstituencySpec) -> NDArray[np.float64]:
        """The region shock of each of a constituency's voting hours."""
        first = (spec.start_ms - self.origin_ms) // HOUR_MS
        out: NDArray[np.float64] = self.shocks[spec.region, first : first + spec.hours]
        return out


def voting_window(config: SimulationConfig, timezone: str) -> tuple[int, int]:
    """(start, end) in UTC ms: ``config.start`` on the local clock (or as given, if aware)."""
    text = config.start.strip()
    try:
        moment = (
            datetime.combine(datetime.fromisoformat(text).date(), time(8, 0))
            if len(text) == 10
            else datetime.fromisoformat(text.replace("Z", "+00:00"))
        )
    except ValueError as error:
        raise InvalidInputError(f"--start: not an ISO date or date-time: {text!r}") from error
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(timezone))
    start = moment.astimezone(UTC)
    end = start + timedelta(hours=config.hours)
    return int(start.timestamp() * 1000), int(end.timestamp() * 1000)


def type_params(model: ModelParams, ctype: str) -> TypeParams:
    """The parameters of a constituency type."""
    params: TypeParams = getattr(model, ctype)
    return params


def zone_of(config: SimulationConfig, index: int, region: RegionDef) -> str:
    """The time zone of constituency ``index`` (without the lone-zone move).

    ``timezones = 0`` keeps each region's own zone. With N zones spread evenly over ZONES,
    N at most the regions gives region r the zone r mod N (regions share zones); more zones
    than regions spread the constituencies of a region over several zones (as Yakutia spans
    three), constituency i in zone i mod N.
    """
    if config.timezones == 0:
        return region.timezone
    n = config.timezones
    chosen = [ZONES[round(k * (len(ZONES) - 1) / (n - 1))] if n > 1 else "Europe/Moscow"
              for k in range(n)]  # fmt: skip
    if n <= config.regions:
        return chosen[(index % config.regions) % n]
    return chosen[index % n]


def _check(config: SimulationConfig) -> None:
    if config.constituencies < 1:
        raise InvalidInputError("--constituencies must be at least 1")
    if not 1 <= config.regions <= len(REGIONS):
        raise InvalidInputError(f"--regions must be between 1 and {len(REGIONS)}")
    if config.hours < 6:
        raise InvalidInputError("--hours must be at least 6")
    if not 0 <= config.timezones <= len(ZONES):
        raise InvalidInputError(f"timezones must be between 0 (one per region) and {len(ZONES)}")
    if (
        config.voters_range is not None
        and not 1 <= config.voters_range[0] <= (config.voters_range[1])
    ):
        raise InvalidInputError("voters_range must be (low, high) with 1 <= low <= high")
    if config.overdispersion != 0 and config.overdispersion < 1:
        raise InvalidInputError("overdispersion must be 0 (the model's shocks) or at least 1")
    if config.late_start < 0 or config.early_finish < 0:
        raise InvalidInputError("late_start and early_finish must not be negative")
    if config.late_start + config.early_finish > config.constituencies:
        raise InvalidInputError("late_start + early_finish exceed the constituencies")
    if not 1 <= config.window_shift_hours <= config.hours // 3:
        raise InvalidInputError("window_shift_hours must be between 1 and a third of the hours")


def _moved_windows(config: SimulationConfig) -> dict[int, tuple[int, int]]:
    """Constituency index -> (hours opened late, hours closed early), from its own stream."""
    if not config.late_start and not config.early_finish:
        return {}
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, WINDOW_STREAM]))
    order = [int(i) for i in rng.permutation(config.constituencies)]
    shift = config.window_shift_hours
    ends = config.late_start + config.early_finish
    late = dict.fromkeys(order[: config.late_start], (shift, 0))
    return late | dict.fromkeys(order[config.late_start : ends], (0, shift))


def _weekend_day(config: SimulationConfig) -> int:
    if config.turnout_shape != TurnoutShape.WEEKEND:
        return -1
    return 1 if config.hours > 24 else 0


def build_population(config: SimulationConfig) -> Population:
    """Draw the constituencies of a run (deterministic in ``config.seed``)."""
    _check(config)
    moved = _moved_windows(config)
    weekend_day = _weekend_day(config)
    model = config.model
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, PLAN_STREAM]))
    regions = REGIONS[: config.regions]
    region_shift = rng.normal(0.0, model.region_sd, len(regions))
    region_unused = np.where(np.arange(len(regions)) % 2 == 0, 0.012, 0.02) * rng.uniform(
        0.7, 1.3, len(regions)
    )
    counters = [0] * len(regions)
    specs: list[ConstituencySpec] = []
    for index in range(config.constituencies):
        region_index = index % len(regions)
        region = regions[region_index]
        counters[region_index] += 1
        number = counters[region_index]
        ctype = TYPES[int(rng.choice(3, p=np.asarray(model.type_shares) / sum(model.type_shares)))]
        tp = type_params(model, ctype)
        if config.voters_range is None:
            size = math.exp(rng.uniform(math.log(tp.voters_min), math.log(tp.voters_max)))
            registered = max(config.voters_min, round(size * config.scale))
        else:
            low, high = config.voters_range
            registered = round(math.exp(rng.uniform(math.log(low), math.log(high))))
        if config.voters_max is not None:
            registered = max(1, min(registered, config.voters_max))
        kappa = model.participation_kappa
        participation = float(
            np.clip(
                rng.beta(tp.participation * kappa, (1 - tp.participation) * kappa)
                + region_shift[region_index],
                0.6,
                0.985,
            )
        )
        u_mean = float(region_unused[region_index])
        unused = float(
            np.clip(rng.beta(u_mean * 60, (1 - u_mean) * 60), model.unused_min, model.unused_max)
        )
        day_weights = tuple(
            float(w) for w in rng.dirichlet(np.asarray(model.day_weights) * model.day_weight_kappa)
        )
        lo, hi = model.uiks_per_constituency
        n_uiks = int(rng.integers(lo, hi + 1))
        uiks = tuple(sorted(int(u) for u in rng.choice(9000, n_uiks, replace=False) + 1000))
        n_options = int(rng.integers(model.options[0], model.options[1] + 1))
        timezone = zone_of(config, index, region)
        if config.lone_zone and index == config.constituencies - 1 and index > 0:
            taken = {zone_of(config, i, regions[i % len(regions)]) for i in range(index)}
            timezone = next((z for z in ZONES if z not in taken), LONE_ZONE_FALLBACK)
        nominal_start, nominal_end = voting_window(config, timezone)
        late, early = moved.get(index, (0, 0))
        start_ms, end_ms = nominal_start + late * HOUR_MS, nominal_end - early * HOUR_MS
        peaks = SHAPE_PEAKS.get(config.turnout_shape, tp.peaks)
        district = f"{region.short} одномандатный избирательный округ № {number}"
        specs.append(
            ConstituencySpec(
                index=index,
                contract_id=ids.one_id(rng),
                user_key=int(rng.integers(0, 2**62)),
                name=district,
                voting_name=f"{config.election_name}: {district}",
                poll_id=f"{region.code}-{number:03d}-{config.seed % 10000:04d}",
                region=region_index,
                region_name=region.name,
                region_code=region.code,
                timezone=timezone,
                ctype=ctype,
                registered=registered,
                revote_blocked=region.timezone != REVOTE_REGION_TIMEZONE,
                start_ms=start_ms,
                end_ms=end_ms,
                participation=participation,
                unused=unused,
                phase=float(rng.normal(0.0, model.phase_sd_hours)),
                day_weights=day_weights,
                rush=float(rng.uniform(0.0, model.opening_rush_max)),
                peaks=peaks,
                uiks=uiks,
                option_shares=tuple(float(s) for s in rng.dirichlet(np.full(n_options, 3.0))),
                organiser_key=ids.one_id(rng),
                issuer_key=ids.one_id(rng),
                registrator_key=ids.one_id(rng),
                server_keys=tuple(ids.one_id(rng) for _ in range(3)),
                commission_key=ids.one_id(rng),
                seed=(config.seed, CONSTITUENCY_STREAM, index),
                nominal_start_ms=nominal_start,
                nominal_end_ms=nominal_end,
                weekend_day=weekend_day,
                dispersion=config.overdispersion,
            )
        )
    origin = min(s.nominal_start_ms for s in specs) // HOUR_MS * HOUR_MS
    grid = (max(s.nominal_end_ms for s in specs) - origin) // HOUR_MS + 2
    if config.overdispersion > 0:
        shocks = np.ones((len(regions), grid))  # the dispersion is the constituency's own
    elif model.k_regional > 0:
        shocks = rng.gamma(model.k_regional, 1.0 / model.k_regional, (len(regions), grid))
    else:
        shocks = np.ones((len(regions), grid))
    return Population(tuple(specs), regions, origin, shocks)
