"""``elmon simulate`` end to end (small) and the API's parallel path."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from election_monitor.cli import app
from election_monitor.simulate import OutputFormat, SimulationConfig, simulate


def test_simulate_command_prints_json_summary(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        app,
        [
            "simulate",
            str(tmp_path / "out"),
            "--constituencies",
            "5",
            "--scale",
            "0.02",
            "--anomalies",
            "spike:2,offline",
            "--format",
            "hourly-csv",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["constituencies"] == 5
    assert summary["format"] == "hourly-csv"
    assert [a["type"] for a in summary["anomalies"]] == [
        "unusual_spike",
        "unusual_spike",
        "constituency_offline",
    ]
    assert (tmp_path / "out" / "truth.json").exists()


def test_simulate_command_refuses_to_overwrite_without_force(tmp_path: Path) -> None:
    args = ["simulate", str(tmp_path), "--constituencies", "2", "--scale", "0.01", "--json"]
    assert CliRunner().invoke(app, args).exit_code == 0
    again = CliRunner().invoke(app, args)
    assert again.exit_code == 1
    assert CliRunner().invoke(app, [*args, "--force"]).exit_code == 0


def test_worker_processes_write_the_same_bytes(tmp_path: Path) -> None:
    config = SimulationConfig(seed=9, constituencies=3, scale=0.02, anomalies="all", workers=1)
    one = simulate(tmp_path / "one", config)
    two = simulate(tmp_path / "two", SimulationConfig(**{**_fields(config), "workers": 2}))
    assert [p.read_bytes() for p in one.files] == [p.read_bytes() for p in two.files]
    assert one.truth == two.truth
    dump = SimulationConfig(**{**_fields(config), "output_format": OutputFormat.DEG_DUMP})
    assert (
        simulate(tmp_path / "dump", dump).transactions
        == one.transactions - one.truth["totals"]["rollbacks"]
    )


def _fields(config: SimulationConfig) -> dict[str, object]:
    return {name: getattr(config, name) for name in config.__dataclass_fields__}
