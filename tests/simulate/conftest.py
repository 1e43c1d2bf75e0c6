"""Small simulated elections, generated once per test session (identical calls are shared)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from election_monitor.simulate import Chunking, OutputFormat, SimulationConfig, simulate

Make = Callable[..., tuple[Path, dict[str, Any]]]


@pytest.fixture(scope="session")
def make_election(tmp_path_factory: pytest.TempPathFactory) -> Make:
    """Simulate into a fresh folder; returns (folder, truth). Do not modify the folder."""
    cache: dict[str, tuple[Path, dict[str, Any]]] = {}

    def make(
        *,
        seed: int = 1,
        constituencies: int = 6,
        scale: float = 0.04,
        anomalies: str = "all",
        output_format: OutputFormat = OutputFormat.DEG_EXPORT,
        chunks: Chunking = Chunking.SINGLE,
        **extra: Any,
    ) -> tuple[Path, dict[str, Any]]:
        key = repr((seed, constituencies, scale, anomalies, output_format, chunks, extra))
        if key in cache and not extra.pop("fresh", False):
            return cache[key]
        extra.pop("fresh", None)
        folder = tmp_path_factory.mktemp(f"sim-{output_format}-{seed}")
        config = SimulationConfig(
            seed=seed,
            constituencies=constituencies,
            scale=scale,
            anomalies=anomalies,
            output_format=output_format,
            chunks=chunks,
            workers=1,
            **extra,
        )
        simulate(folder, config)
        cache[key] = folder, json.loads((folder / "truth.json").read_text("utf-8"))
        return cache[key]

    return make
