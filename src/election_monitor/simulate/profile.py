"""The diurnal profile: the expected share of a constituency's voters in each voting hour.

Remote voting runs around the clock for about three days, and people vote by their own clock:
the profile is built in the constituency's *local* time (research/detection.md §8.1) as a
mixture of morning, lunch and evening peaks over a low night floor, with a per-constituency
phase shift, front-loaded day weights (day boundary at 04:00 local, so a night belongs to the
day before it) and an opening rush on day one. Each voting day is normalised to its weight, so
the whole profile sums to one.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
from numpy.typing import NDArray

HOUR_MS = 3_600_000
DAY_BOUNDARY_HOUR = 4.0  # local hour where one voting day ends and the next begins


def local_hours(start_ms: int, hours: int, timezone: str) -> NDArray[np.float64]:
    """Absolute local time (hours since the epoch, local clock) at each voting hour's middle."""
    tz = ZoneInfo(timezone)
    mids = start_ms + (np.arange(hours) + 0.5) * HOUR_MS
    offsets = np.array([_offset_ms(tz, int(m)) for m in mids], dtype=np.float64)
    out: NDArray[np.float64] = (mids + offsets) / HOUR_MS
    return out


def _offset_ms(tz: ZoneInfo, utc_ms: int) -> float:
    moment = datetime.fromtimestamp(utc_ms / 1000, UTC).astimezone(tz)
    offset = moment.utcoffset()
    return 0.0 if offset is None else offset.total_seconds() * 1000


def day_index(local_abs_hours: NDArray[np.float64]) -> NDArray[np.int64]:
    """Voting day (0, 1, ...) of each hour, days split at 04:00 local."""
    day = np.floor((local_abs_hours - DAY_BOUNDARY_HOUR) / 24).astype(np.int64)
    out: NDArray[np.int64] = day - day[0]
    return out


def shape(
    local_hour: NDArray[np.float64],
    peaks: Sequence[tuple[float, float, float]],
    phase: float,
    night_floor: float,
) -> NDArray[np.float64]:
    """Unnormalised activity at local clock hours: a floor plus Gaussian peaks (wrapping)."""
    out = np.full(local_hour.shape, night_floor, dtype=np.float64)
    for centre, width, weight in peaks:
        d = (local_hour - phase - centre + 12.0) % 24.0 - 12.0
        out += weight * np.exp(-0.5 * (d / width) ** 2) / (width * np.sqrt(2 * np.pi))
    return out


def hourly_profile(
    *,
    start_ms: int,
    hours: int,
    timezone: str,
    peaks: Sequence[tuple[float, float, float]],
    phase: float,
    day_weights: Sequence[float],
    rush: float,
    night_floor: float,
    weekend_day: int = -1,
    weekend_peaks: Sequence[tuple[float, float, float]] = (),
) -> NDArray[np.float64]:
    """Share of the voting's bulletins expected in each voting hour (sums to 1).

    The hours of voting day ``weekend_day`` (if any) follow ``weekend_peaks`` instead.
    """
    local_abs = local_hours(start_ms, hours, timezone)
    act = shape(local_abs % 24.0, peaks, phase, night_floor)
    days = day_index(local_abs)
    if weekend_day >= 0 and weekend_peaks:
        weekend = days == weekend_day
        act[weekend] = shape(local_abs[weekend] % 24.0, weekend_peaks, phase, night_floor)
    act[: min(2, hours)] *= 1.0 + rush
    weights = np.asarray(extend_weights(day_weights, int(days.max()) + 1), dtype=np.float64)
    out = np.zeros(hours, dtype=np.float64)
    for d in range(len(weights)):
        mask = days == d
        total = act[mask].sum()
        if total > 0:
            out[mask] = act[mask] / total * weights[d]
    result: NDArray[np.float64] = out / out.sum()
    return result


def extend_weights(weights: Sequence[float], days: int) -> list[float]:
    """Day weights for ``days`` days: the given ones, then each further day 0.8 of the last."""
    out = list(weights[:days])
    while len(out) < days:
        out.append((out[-1] if out else 1.0) * 0.8)
    total = sum(out)
    return [w / total for w in out]
