"""What a simulation run is asked to produce: the knobs and their documented defaults.

Everything that changes the output is here, so that ``(config, seed)`` determines the files
byte for byte. ``ModelParams`` holds the statistical model (see docs/simulation.md for the
reasoning behind each default); ``SimulationConfig`` the run itself.
"""

# ruff: noqa: RUF001 - region and election names are Russian (Cyrillic) on purpose

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class OutputFormat(StrEnum):
    """Which of the three input formats to write (docs/formats.md)."""

    DEG_EXPORT = "deg-export"
    DEG_DUMP = "deg-dump"
    HOURLY_CSV = "hourly-csv"


class Chunking(StrEnum):
    """How the observer export is split: one zip per contract, or hourly CSV chunks."""

    SINGLE = "single"
    HOURLY = "hourly"


@dataclass(frozen=True, slots=True)
class RegionDef:
    """A region: its name, its time zone and its ``primaryUikRegionCode``."""

    name: str
    short: str
    timezone: str
    code: str


REGIONS: tuple[RegionDef, ...] = (
    RegionDef("Калининградская область", "Калининградский", "Europe/Kaliningrad", "39"),
    RegionDef("город Москва", "Московский", "Europe/Moscow", "77"),
    RegionDef("Свердловская область", "Свердловский", "Asia/Yekaterinburg", "66"),
    RegionDef("Новосибирская область", "Новосибирский", "Asia/Novosibirsk", "54"),
    RegionDef("Приморский край", "Приморский", "Asia/Vladivostok", "25"),
    RegionDef("Самарская область", "Самарский", "Europe/Samara", "63"),
    RegionDef("Омская область", "Омский", "Asia/Omsk", "55"),
    RegionDef("Иркутская область", "Иркутский", "Asia/Irkutsk", "38"),
    RegionDef("Республика Саха (Якутия)", "Якутский", "Asia/Yakutsk", "14"),
    RegionDef("Камчатский край", "Камчатский", "Asia/Kamchatka", "41"),
)

#: The region whose contracts allow revoting (isRevoteBlocked false), like Moscow's platform.
REVOTE_REGION_TIMEZONE = "Europe/Moscow"

#: Russia's eleven time zones, west to east (UTC+2 ... UTC+12), for ``SimulationConfig.timezones``.
ZONES: tuple[str, ...] = (
    "Europe/Kaliningrad",
    "Europe/Moscow",
    "Europe/Samara",
    "Asia/Yekaterinburg",
    "Asia/Omsk",
    "Asia/Novosibirsk",
    "Asia/Irkutsk",
    "Asia/Yakutsk",
    "Asia/Vladivostok",
    "Asia/Magadan",
    "Asia/Kamchatka",
)


class TurnoutShape(StrEnum):
    """The daily rhythm of voting (local time); ``type`` is each constituency type's own."""

    TYPE = "type"  # morning / lunch / evening peaks that differ by constituency type
    MORNING = "morning"  # most people vote before work
    EVENING = "evening"  # most people vote after work
    FLAT = "flat"  # even from 08:00 to 22:00
    WEEKEND = "weekend"  # the second voting day (the only one of a 1-day voting) is a weekend


#: Peaks ``(local hour, width h, weight)`` of each non-default shape, for every type alike.
SHAPE_PEAKS: dict[TurnoutShape, tuple[tuple[float, float, float], ...]] = {
    TurnoutShape.MORNING: ((8.5, 1.3, 0.62), (13.0, 2.0, 0.2), (19.0, 1.7, 0.18)),
    TurnoutShape.EVENING: ((9.5, 1.5, 0.15), (13.0, 2.0, 0.17), (20.0, 1.5, 0.68)),
    TurnoutShape.FLAT: tuple((h + 0.5, 1.0, 1.0 / 14) for h in range(8, 22)),
}
#: The weekend day: people sleep in, one broad peak in the early afternoon.
WEEKEND_PEAKS: tuple[tuple[float, float, float], ...] = (
    (11.5, 1.8, 0.35),
    (14.5, 2.2, 0.45),
    (19.0, 1.8, 0.2),
)


@dataclass(frozen=True, slots=True)
class TypeParams:
    """Per constituency type: size range (log-uniform), participation and profile shape."""

    voters_min: int
    voters_max: int
    participation: float  # mean share of the list issued a bulletin
    peaks: tuple[tuple[float, float, float], ...]  # (local hour, width h, weight)


@dataclass(frozen=True, slots=True)
class ModelParams:
    """The statistical model of a voting; defaults follow research/detection.md §8."""

    urban: TypeParams = TypeParams(
        30_000, 100_000, 0.925, ((9.5, 1.5, 0.33), (13.0, 2.0, 0.25), (19.5, 1.7, 0.42))
    )
    suburban: TypeParams = TypeParams(
        10_000, 50_000, 0.935, ((9.0, 1.5, 0.38), (13.0, 2.0, 0.27), (19.0, 1.7, 0.35))
    )
    rural: TypeParams = TypeParams(
        2_000, 20_000, 0.945, ((8.8, 1.4, 0.45), (12.5, 2.0, 0.30), (18.5, 1.7, 0.25))
    )
    type_shares: tuple[float, float, float] = (0.4, 0.3, 0.3)  # urban, suburban, rural
    participation_kappa: float = 120.0  # Beta concentration around the type mean
    region_sd: float = 0.015  # regional shift of participation
    night_floor: float = 0.004  # share of a day's votes per night hour (before day weights)
    day_weights: tuple[float, ...] = (0.45, 0.30, 0.25)  # share of votes per voting day
    day_weight_kappa: float = 150.0  # Dirichlet concentration of per-constituency day weights
    phase_sd_hours: float = 0.5  # constituency phase shift of the diurnal profile
    opening_rush_max: float = 1.0  # day-1 first two hours multiplied by 1 + U(0, max)
    k_regional: float = 20.0  # gamma shape of region-hour shocks (0 = none)
    k_idio: float = 100.0  # gamma shape of constituency-hour shocks (0 = none)
    unused_share: float = 0.015  # mean share of bulletins never used (0.4-3 % in 2024)
    unused_min: float = 0.004
    unused_max: float = 0.03
    lag_median_s: float = 150.0  # bulletin issuance -> vote, lognormal
    lag_sigma: float = 0.9
    lag_max_s: float = 3000.0  # a bulletin is valid about an hour
    rejected_share: float = 0.003  # vote attempts the contract rejects (then retried)
    rejected_final_share: float = 0.3  # of those, voters who give up after the rejection
    issue_fail_share: float = 0.0005  # blindSigIssue failures (retried)
    multi_issue_share: float = 0.001  # blindSigIssue carrying two voters (older contracts)
    revote_share: float = 0.08  # voters revoting where the contract allows it
    revote_mean_hours: float = 8.0
    rollback_share: float = 0.0003  # bulletin/vote transactions rolled back and resubmitted
    list_adds_per_day: float = 1.5  # addToVotersList calls per voting day
    list_removes_per_day: float = 1.0  # removeFromVotersList calls per voting day
    list_batch: int = 1000  # userIdHashes per voter-list transaction
    uiks_per_constituency: tuple[int, int] = (3, 12)
    options: tuple[int, int] = (2, 8)  # candidates per ballot


@dataclass(frozen=True, slots=True)
class SimulationConfig:
    """One simulation run; the same config and seed give byte-identical files."""

    seed: int = 1
    constituencies: int = 12
    regions: int = 5
    anomalies: str = "all"  # see anomalies.parse_spec
    output_format: OutputFormat = OutputFormat.DEG_EXPORT
    chunks: Chunking = Chunking.SINGLE
    scale: float = 1.0  # multiplies registered voters
    voters_max: int | None = None  # caps registered voters (after scale)
    voters_min: int = 200  # floor of registered voters (after scale)
    start: str = "2026-09-18T08:00"  # local opening wall-clock time, or an aware instant
    hours: int = 60
    election_name: str = "Выборы депутатов Государственной Думы Федерального Собрания"
    election_timezone: str = "Europe/Moscow"
    workers: int = 0  # processes; 0 = as many as useful on this machine
    compress_level: int = 1  # zip / gzip deflate level (1 = fastest)
    model: ModelParams = field(default_factory=ModelParams)
    # -- robustness axes (docs/simulation.md, "Robustness axes"); the defaults keep the
    # output of earlier versions byte for byte
    #: distinct time zones, 1-11 (ZONES); 0 = each region in its own zone (REGIONS)
    timezones: int = 0
    #: move the last constituency into a zone no other constituency uses
    lone_zone: bool = False
    #: registered voters log-uniform in [low, high] for every type, instead of the type
    #: ranges times ``scale`` (``voters_max`` still caps)
    voters_range: tuple[int, int] | None = None
    turnout_shape: TurnoutShape = TurnoutShape.TYPE
    #: hourly counts with variance = this x the mean (1 = Poisson), no region-hour shocks;
    #: 0 = the gamma shocks of ``model`` (k_regional, k_idio)
    overdispersion: float = 0.0
    #: constituencies whose contract opens late / closes early by ``window_shift_hours``
    #: (their own startVoting / finishVoting move; the election's window does not)
    late_start: int = 0
    early_finish: int = 0
    window_shift_hours: int = 4
