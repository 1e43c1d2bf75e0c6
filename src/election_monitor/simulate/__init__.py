"""Synthetic elections in the real input formats, with a ground truth to score detection.

``simulate(outdir, config)`` writes a realistic multi-region, three-day remote voting (the
observer export, a block dump or hourly CSV files), a registry CSV for
``elmon constituencies import``, ``election.json`` and ``truth.json``: the exact counts the
counting rules give and every injected anomaly with its constituency, window and magnitude.
The model and the anomaly syntax are documented in docs/simulation.md.
"""

from election_monitor.simulate.anomalies import KINDS, AnomalyKind, AnomalyRequest, parse_spec
from election_monitor.simulate.config import (
    Chunking,
    ModelParams,
    OutputFormat,
    SimulationConfig,
)
from election_monitor.simulate.runner import SimulationSummary, simulate

__all__ = [
    "KINDS",
    "AnomalyKind",
    "AnomalyRequest",
    "Chunking",
    "ModelParams",
    "OutputFormat",
    "SimulationConfig",
    "SimulationSummary",
    "parse_spec",
    "simulate",
]
