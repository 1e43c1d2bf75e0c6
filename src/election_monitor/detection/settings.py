"""Detector thresholds and windows: documented defaults, an optional TOML file, and
per-election-type overrides.

The defaults work with no file at all. A file looks like::

    [detection]                 # overrides of the defaults for every election
    spike_q_warn = 0.01

    [election_types]            # which type each election is (by id or by name)
    "Moscow City Duma 2026" = "revote_allowed"

    [types.federal]             # overrides for elections of that type
    bulletin_validity_hours = 2

Every field of ``DetectionSettings`` is one key; unknown keys are an error (a typo must not
silently leave a default in place). The file is found by ``--settings``, else the
``ELMON_DETECTION_SETTINGS`` environment variable, else the defaults apply.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

from election_monitor.exceptions import InvalidInputError

ENV_VAR = "ELMON_DETECTION_SETTINGS"


@dataclass(frozen=True)
class DetectionSettings:
    """Every threshold and window the detectors use (see docs/detection.md)."""

    # -- time base --------------------------------------------------------------------
    #: A constituency's newest data this close to an hour's end counts as reaching it.
    close_grace_minutes: float = 15.0
    #: A constituency that owes data for an hour stops holding the election's horizon back
    #: once this share of the constituencies voting then have data this many hours beyond
    #: it (its feed stopped, or its data has not arrived: see docs/detection.md).
    horizon_quorum: float = 0.8
    horizon_grace_hours: float = 1.0
    #: During an ingest a constituency with no data at all holds the horizon back (its file
    #: may not have been read yet) until the election has been loading this long (wall time).
    awaiting_release_minutes: float = 30.0
    #: During an ingest, data below the horizon already evaluated (a late file) is re-scored
    #: at most this often (and always at the end of the run).
    refit_seconds: float = 30.0
    #: Detection looks at most this far before the election's start and after its end (a
    #: stray timestamp must not stretch the hourly matrices over decades).
    frame_margin_before_hours: float = 24.0
    frame_margin_after_hours: float = 168.0
    #: The share of an hour a voting window must cover for the hour to count as voting.
    min_open_fraction: float = 0.25
    #: Statistical alerts resolve after this many hours of data without new evidence.
    clean_hours: float = 3.0
    #: Velocity tests start this many hours after a constituency's first data.
    warmup_hours: int = 4

    # -- exact rules ------------------------------------------------------------------
    #: A bulletin can be used this many hours after the hour it was issued in (0: off).
    bulletin_validity_hours: int = 24
    #: Votes this many seconds outside the voting window are still tolerated (clock skew).
    window_tolerance_seconds: float = 0.0
    #: Where the chain does not say whether revotes are blocked, assume they are.
    assume_revote_blocked: bool = False
    #: A timestamp going backwards along block heights by more than this is a warning ...
    ts_regression_warn_seconds: float = 60.0
    #: ... and by more than this a critical alert.
    ts_regression_critical_seconds: float = 3600.0

    # -- expected-count model -----------------------------------------------------------
    #: Prior participation (of registered voters) used before a constituency has history.
    prior_participation: float = 0.9
    #: Weight of that prior, as a share of the registered voters (pseudo-votes).
    prior_weight: float = 0.05
    #: Peer groups smaller than this are merged upward (region+type -> type -> all).
    min_group_size: int = 4
    #: Negative-binomial shape before enough data to estimate it, and its clip range.
    nb_shape_default: float = 20.0
    nb_shape_min: float = 2.0
    nb_shape_max: float = 500.0
    #: Shape estimated per band of |d ln shape / dh| (edges), shrunk toward the overall one
    #: with this share of the overall evidence as prior weight.
    nb_slope_bins: tuple[float, ...] = (0.15, 0.4)
    nb_band_prior: float = 0.1
    #: Extra variance on steep ramps: phase uncertainty in hours.
    phase_sd_hours: float = 0.5
    #: A constituency's learned phase is clipped to this many hours either way.
    phase_max_hours: float = 2.0
    #: ... and its effect on an hour's expectation to exp(+-this).
    phase_max_log: float = 0.7
    #: Tails are tested at the expectation shifted by this many phase s.d. (see model.py).
    phase_z: float = 2.0
    #: Slope of ln shape per hour assumed where a neighbouring local hour is not seen yet.
    unknown_slope: float = 0.3
    #: Own level: half-life (hours) of the weighted sums and prior pseudo-votes at level 1.
    level_half_life_hours: float = 12.0
    level_prior_votes: float = 30.0
    #: At this local hour a new voting day begins: the level restarts from the whole
    #: voting's level so far, worth this many expected votes.
    day_boundary_hour: int = 4
    level_day_prior_votes: float = 100.0
    #: A flagged hour updates the level with its count clipped to [mu / this, mu x this].
    level_clip: float = 2.0
    #: Own hour-of-day factor: its prior s.d. (log scale) beyond the phase effect; clip range.
    own_hour_sd: float = 0.07
    level_min: float = 0.5
    level_max: float = 2.0
    #: Shrinkage of a type's diurnal shape toward all types' (in median constituency-hours).
    shape_prior_weight: float = 3.0
    #: Common factor: at least this many other constituencies with at least this many
    #: expected voters in the hour, else the next wider group (zone+region -> zone -> none).
    common_min_peers: int = 2
    common_min_expected: float = 3.0
    #: variance of log(common factor) assumed for a constituency without zone peers until the
    #: election has shown its own (then: the mean square of the factors seen so far)
    common_shock_var: float = 0.05
    #: A group alarm names only members whose own upper-tail p is at most this.
    regional_member_p: float = 0.05
    #: Hours with a raw tail p below this do not update the level, shape or noise estimate.
    update_exclude_p: float = 1e-3

    # -- velocity (spikes, drops) ---------------------------------------------------------
    spike_q_warn: float = 0.01
    spike_q_crit: float = 1e-6  # critical needs all three: adjusted p ...
    spike_crit_min_ratio: float = 3.0  # ... observed / expected ...
    spike_crit_excess_share: float = 0.005  # ... and excess >= this share of registered
    spike_min_ratio: float = 1.5
    spike_min_excess: int = 20
    spike_min_excess_share: float = 0.002  # of registered voters
    #: Second spike test, once the next hour is in: the hour against its two neighbours'
    #: ratios to the model (immune to a constituency running ahead of or behind its type on
    #: a ramp). Log-scale s.d. allowed for the interpolation itself ...
    spike_neighbour_sd: float = 0.25
    #: ... plus this x the second difference of the model's log expectation at the hour ...
    spike_neighbour_curvature: float = 0.25
    #: ... and the hour must also be above the model itself at this upper tail p; BH level
    #: (a second look at every hour: stricter than spike_q_warn).
    spike_neighbour_model_p: float = 0.05
    spike_neighbour_q: float = 0.001
    #: An hour above the model is a spike only if it is also above its previous hour's pace
    #: or its two neighbours at this upper tail p.
    spike_jump_p: float = 0.05
    drop_q: float = 0.01
    drop_max_ratio: float = 0.4
    drop_min_expected: float = 10.0  # per hour
    drop_run_hours: int = 2  # a run of low hours ...
    drop_run_p: float = 1e-6  # ... whose summed count has a lower tail p below this

    # -- night -----------------------------------------------------------------------------
    night_start_hour: int = 0
    night_end_hour: int = 5
    night_q: float = 0.001
    night_min_ratio: float = 1.5
    night_min_excess: int = 20
    night_min_excess_share: float = 0.005  # of registered voters (half the 1 % target)
    night_crit_share: float = 0.01  # excess >= this share of registered voters: critical

    # -- peers (participation) -------------------------------------------------------------
    peer_q: float = 0.001
    peer_min_z: float = 4.0
    peer_min_votes: int = 50
    peer_min_abs_diff: float = 0.05  # participation points (0.05 = 5 pp) ...
    peer_min_rel_diff: float = 0.25  # ... and this share of the peers' participation
    peer_min_hours: int = 10  # ... in at least this many complete hours

    # -- cross-constituency ----------------------------------------------------------------
    #: Members' p-values are scaled by how often quiet members fell below this p.
    correlated_calibration_p: float = 0.01
    correlated_p: float = 1e-4
    correlated_min_members: int = 3
    correlated_icc: float = 0.005
    correlated_min_ratio: float = 1.5
    #: Once a region-hour alarms, members with a tail p below this are named too.
    correlated_member_p: float = 0.1
    #: A group's share of the country's voters in an hour (see docs/detection.md):
    #: groups of at least this many tested members (and at most half the country) ...
    regional_min_members: int = 3
    #: ... with at least this many expected voters in the group and in the rest ...
    regional_min_expected: float = 30.0
    #: ... and this many earlier quiet hours (of at most regional_history_hours) to learn
    #: its usual share and between-hour spread (never below regional_min_sd in log) ...
    regional_min_history: int = 6
    regional_history_hours: int = 24
    regional_min_sd: float = 0.05
    #: ... alarm at BH q <= regional_q with the share at least regional_min_ratio x usual
    #: and regional_min_excess extra voters; hours above z = regional_history_z are kept
    #: out of the history.
    regional_q: float = 0.001
    regional_min_ratio: float = 1.5
    regional_min_excess: float = 30.0
    regional_history_z: float = 3.0
    outage_share: float = 0.5  # of active constituencies silent in the same hour
    outage_min_constituencies: int = 3

    # -- offline ---------------------------------------------------------------------------
    offline_log_p: float = -9.21  # ln(1e-4)
    offline_min_expected: float = 20.0  # expected voters over the silent hours
    offline_crit_log_p: float = -18.42  # critical: ln(1e-8) and >= 2 silent hours

    # -- rejections and revotes --------------------------------------------------------------
    rejection_q: float = 0.001
    rejection_min_count: int = 10
    rejection_min_ratio: float = 3.0
    rejection_min_rate: float = 0.05
    revote_min_share: float = 0.1  # revote surge: revotes >= this share of voters ...
    revote_min_z: float = 4.0  # ... and this far above peers

    # -- anomaly score -----------------------------------------------------------------------
    score_u0: float = 2.0
    score_u1: float = 2.0


def _check_keys(table: dict[str, Any], where: str) -> dict[str, Any]:
    known = {f.name for f in fields(DetectionSettings)}
    unknown = sorted(set(table) - known)
    if unknown:
        raise InvalidInputError(f"unknown detection setting(s) in {where}: {', '.join(unknown)}")
    return table


@dataclass(frozen=True)
class SettingsFile:
    """A parsed settings file: base overrides, election types and per-type overrides."""

    base: dict[str, Any]
    election_types: dict[str, str]
    types: dict[str, dict[str, Any]]

    def for_election(
        self, *, election_id: str | None, election_name: str | None
    ) -> DetectionSettings:
        """The settings for one election: defaults, then the file, then its type's overrides."""
        settings = replace(DetectionSettings(), **self.base)
        kind = self.election_types.get(election_id or "") or self.election_types.get(
            election_name or ""
        )
        if kind is not None:
            settings = replace(settings, **self.types.get(kind, {}))
        return settings


EMPTY = SettingsFile(base={}, election_types={}, types={})


def load_settings_file(path: Path | str | None = None) -> SettingsFile:
    """Read the TOML file (``path``, else ``$ELMON_DETECTION_SETTINGS``); none means defaults."""
    if path is None:
        env = os.environ.get(ENV_VAR)
        if not env:
            return EMPTY
        path = env
    path = Path(path)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise InvalidInputError(f"cannot read detection settings {path}: {exc}") from exc
    base = _check_keys(dict(data.get("detection", {})), f"{path} [detection]")
    types = {
        name: _check_keys(dict(table), f"{path} [types.{name}]")
        for name, table in dict(data.get("types", {})).items()
    }
    election_types = {str(k): str(v) for k, v in dict(data.get("election_types", {})).items()}
    missing = sorted(set(election_types.values()) - set(types))
    if missing:
        raise InvalidInputError(f"{path}: election types without a [types.X] table: {missing}")
    return SettingsFile(base=base, election_types=election_types, types=types)
