"""Composite anomaly score in [0, 1], explainable.

Per family f, evidence E_f = max over the constituency's signals of that family of
``evidence x 2^(-age / half_life_f)`` (age in hours of data since the signal's newest
evidence; exact rules never decay and count 1). Score = noisy-OR: ``1 - prod(1 - w_f E_f)``.
One exact violation gives 1.0; two independent moderate signals reinforce each other.
The per-family contributions ``w_f E_f`` and the signal behind each are stored in
``anomaly_scores.components``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from election_monitor.alerts.service import Signal
from election_monitor.timeutil import parse_datetime

#: family -> (weight, half-life in hours; None: never decays)
FAMILIES: dict[str, tuple[float, float | None]] = {
    "integrity": (1.0, None),
    "timing": (0.7, 6.0),
    "velocity": (0.6, 6.0),
    "peers": (0.6, 24.0),
    "rejections": (0.5, 6.0),
    "cross": (0.5, 6.0),
    "offline": (0.3, 2.0),
}


def score_constituencies(
    signals: Iterable[Signal], *, data_time: datetime | None
) -> dict[str, tuple[float, list[dict[str, Any]]]]:
    """Constituency id -> (score, components sorted by contribution)."""
    best: dict[tuple[str, str], tuple[float, Signal]] = {}
    # In a fixed order, so that of equal evidence the same signal stands for its family
    # whatever order the alerts were read in.
    ordered = sorted(signals, key=lambda s: (s.constituency_id, s.family, s.type, s.window_key))
    for sig in ordered:
        weight, half_life = FAMILIES.get(sig.family, (0.5, 6.0))
        evidence = 1.0 if not sig.statistical else sig.score_evidence
        if half_life is not None and data_time is not None and sig.last_seen:
            age = max(0.0, (data_time - parse_datetime(sig.last_seen)).total_seconds() / 3600)
            evidence *= 2.0 ** (-age / half_life)
        key = (sig.constituency_id, sig.family)
        if evidence > best.get(key, (-1.0, sig))[0]:
            best[key] = (evidence, sig)
    per_c: dict[str, list[dict[str, Any]]] = {}
    for (cid, family), (evidence, sig) in best.items():
        weight = FAMILIES.get(family, (0.5, 6.0))[0]
        per_c.setdefault(cid, []).append(
            {
                "family": family,
                "type": sig.type,
                "title": sig.title,
                "evidence": round(evidence, 4),
                "weight": weight,
                "contribution": round(weight * evidence, 4),
                "last_seen": sig.last_seen,
            }
        )
    out: dict[str, tuple[float, list[dict[str, Any]]]] = {}
    for cid, components in per_c.items():
        remaining = 1.0
        for comp in components:
            remaining *= 1.0 - comp["contribution"]
        components.sort(key=lambda comp: (-comp["contribution"], comp["family"]))
        out[cid] = (round(1.0 - remaining, 4), components)
    return out
