"""The evaluation scorer against a truth.json-shaped document."""

from __future__ import annotations

from election_monitor.detection.evaluation import score_run

TRUTH = {
    "election": {"start": "2026-09-18T05:00:00Z", "end": "2026-09-20T17:00:00Z"},
    "anomalies": [
        {"constituency_id": "A", "type": "unusual_spike", "magnitude": 5.0,
         "start": "2026-09-18T12:00:00Z", "end": "2026-09-18T13:00:00Z"},
        {"constituency_id": "B", "type": "duplicate_vote", "magnitude": 10.0,
         "start": "2026-09-18T12:00:00Z", "end": "2026-09-18T15:00:00Z"},
    ],
    "clean_constituencies": ["C", "D"],
}  # fmt: skip


def _alert(cid: str, kind: str, severity: str = "warning", **details: object) -> dict[str, object]:
    return {"constituency_id": cid, "type": kind, "severity": severity, "details": details}


def test_recall_precision_delay_and_false_alerts() -> None:
    alerts = [
        _alert("A", "unusual_spike", hours=[{"hour": "2026-09-18T12:00:00+00:00"}]),
        _alert("C", "night_activity"),
        _alert("D", "unusual_spike", "critical"),
    ]
    ev = score_run(alerts, TRUTH).as_dict()
    assert ev["recall"]["unusual_spike@5.0"] == {
        "injected": 1, "detected": 1, "recall": 1.0, "median_delay_h": 0.0,
    }  # fmt: skip
    assert ev["recall"]["duplicate_vote@10.0"]["recall"] == 0.0
    assert ev["precision"] == round(1 / 3, 3)
    # 2 clean constituencies x 2.5 days = 5 constituency-days; 1 warning, 1 critical.
    assert ev["false_warning_per_100_clean_days"] == 20.0
    assert ev["false_critical_per_100_clean_days"] == 20.0


def test_an_alert_long_after_the_anomaly_does_not_count() -> None:
    late = _alert("A", "unusual_spike", hours=[{"hour": "2026-09-18T20:00:00+00:00"}])
    ev = score_run([late], TRUTH).as_dict()
    assert ev["recall"]["unusual_spike@5.0"]["detected"] == 0


def test_a_correlated_group_counts_per_member_and_once_as_a_group() -> None:
    def member(cid: str) -> dict[str, object]:
        return {"constituency_id": cid, "type": "correlated_spike", "magnitude": 3.0,
                "start": "2026-09-18T12:00:00Z", "end": "2026-09-18T13:00:00Z",
                "details": {"group": "G1"}}  # fmt: skip

    truth = {**TRUTH, "anomalies": [member("A"), member("B"), member("E")]}
    found = _alert("B", "correlated_spike", hours=[{"hour": "2026-09-18T12:00:00+00:00"}])
    ev = score_run([found], truth).as_dict()
    assert ev["recall"]["correlated_spike@3.0"]["detected"] == 1
    assert ev["recall"]["correlated_spike@3.0"]["injected"] == 3
    assert ev["recall"]["correlated_spike@3.0 (groups)"] == {
        "injected": 1, "detected": 1, "recall": 1.0, "median_delay_h": 0.0,
    }  # fmt: skip
    # A member found by its own spike alert is a member found, not the group.
    alone = _alert("B", "unusual_spike", hours=[{"hour": "2026-09-18T12:00:00+00:00"}])
    ev = score_run([alone], truth).as_dict()
    assert ev["recall"]["correlated_spike@3.0"]["detected"] == 1
    assert ev["recall"]["correlated_spike@3.0 (groups)"]["detected"] == 0
