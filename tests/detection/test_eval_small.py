"""CI-size end-to-end evaluation: simulate, ingest, detect, score against truth.json.

The full-size, multi-seed, multi-noise evaluation is benchmarks/detection_eval.py (its table is
in docs/detection.md); this one keeps the chain honest in CI in well under a minute.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from election_monitor.detection.evaluation import evaluate_seed

EXACT = (
    "votes_exceed_bulletins",
    "turnout_exceeds_registered",
    "duplicate_vote",
    "vote_outside_window",
    "results_mismatch",
    "data_integrity",
)


@pytest.mark.slow
def test_small_simulated_election_end_to_end(tmp_path: Path) -> None:
    ev, _ = evaluate_seed(
        seed=3, constituencies=24, workdir=tmp_path, scale=0.1, hours=48, workers=1
    )
    figures = ev.as_dict()
    recall = figures["recall"]
    for key, row in recall.items():
        if key.split("@")[0] in EXACT:
            assert row["recall"] == 1.0, key
    # 24 tiny constituencies (2-3 per region): only the gross statistical cases are certain;
    # the rates are measured at full size by benchmarks/detection_eval.py.
    for kind in ("unusual_spike", "constituency_offline", "high_rejection_rate"):
        (row,) = [r for k, r in recall.items() if k.startswith(kind + "@")]
        assert row["recall"] == 1.0, kind
    assert figures["false_critical_per_100_clean_days"] == 0.0
    assert figures["false_warning_per_100_clean_days"] <= 5.0  # ~20 clean c-days: 1 alert max
