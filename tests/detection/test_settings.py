"""Detector settings: defaults, a TOML file, per-election-type overrides."""

from __future__ import annotations

from pathlib import Path

import pytest

from election_monitor.detection.settings import ENV_VAR, DetectionSettings, load_settings_file
from election_monitor.exceptions import InvalidInputError


def test_no_file_means_the_documented_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(ENV_VAR, raising=False)
    file = load_settings_file()
    assert file.for_election(election_id="E", election_name="x") == DetectionSettings()


def test_file_overrides_and_election_type_overrides(tmp_path: Path) -> None:
    path = tmp_path / "detect.toml"
    path.write_text(
        '[detection]\nspike_q_warn = 0.02\n\n[election_types]\n"Federal 2026" = "federal"\n\n'
        "[types.federal]\nbulletin_validity_hours = 2\n",
        encoding="utf-8",
    )
    file = load_settings_file(path)
    federal = file.for_election(election_id="E1", election_name="Federal 2026")
    other = file.for_election(election_id="E2", election_name="Local")
    assert federal.spike_q_warn == 0.02
    assert federal.bulletin_validity_hours == 2
    assert other.bulletin_validity_hours == DetectionSettings().bulletin_validity_hours


def test_environment_variable_names_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "d.toml"
    path.write_text("[detection]\nclean_hours = 6\n", encoding="utf-8")
    monkeypatch.setenv(ENV_VAR, str(path))
    assert load_settings_file().for_election(election_id=None, election_name=None).clean_hours == 6


def test_unknown_key_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text("[detection]\nspike_q = 0.1\n", encoding="utf-8")
    with pytest.raises(InvalidInputError, match="spike_q"):
        load_settings_file(path)
