"""Every registered rule is documented in docs/detection.md."""

from __future__ import annotations

from pathlib import Path

from election_monitor.detection import REGISTRY
from election_monitor.detection.settings import DetectionSettings

DOC = Path(__file__).resolve().parents[2] / "docs" / "detection.md"


def test_every_registered_rule_has_a_section_in_the_docs() -> None:
    text = DOC.read_text(encoding="utf-8")
    missing = [rule_id for rule_id in REGISTRY if f"### {rule_id}\n" not in text]
    assert not missing, f"document these rules in docs/detection.md: {missing}"


def test_every_rule_states_its_contract() -> None:
    for rule in REGISTRY.values():
        assert rule.alert_type
        assert rule.default_severity in {"critical", "warning", "info"}
        assert rule.inputs
        assert rule.summary


def test_defaults_need_no_file() -> None:
    assert DetectionSettings().spike_q_warn == 0.01
