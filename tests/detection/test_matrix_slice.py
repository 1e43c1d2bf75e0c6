"""A one-seed slice of the robustness matrix on a tiny election (benchmarks/detection_matrix.py
runs the whole grid with five seeds per cell; its table is in docs/detection.md)."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

from election_monitor.detection.matrix import (
    EXACT_TYPES,
    SLICE,
    TINY,
    cells_named,
    markdown,
    run_matrix,
)


@pytest.mark.slow
def test_matrix_slice_scores_every_cell_against_its_reference_run(tmp_path: Path) -> None:
    cells = cells_named(SLICE)
    results = run_matrix(cells, [1], tmp_path, base=TINY)
    table = markdown(results).splitlines()
    assert len(table) == 2 + len(cells)
    for result in results:
        figures = result.as_dict()
        orjson.dumps(figures, option=orjson.OPT_NON_STR_KEYS)  # the benchmark's JSON
        for run in (result.evaluation.as_dict(), result.reference.as_dict()):
            exact = {k: v for k, v in run["recall"].items() if k.split("@")[0] in EXACT_TYPES}
            assert exact, result.cell.name  # every cell injects the exact types
            # exact rules are exact in every cell and arrival order: all found, none false
            assert all(v["recall"] == 1.0 for v in exact.values()), (result.cell.name, exact)
            assert not set(run["false_by_type"]) & set(EXACT_TYPES), result.cell.name
        for difference in result.differences:
            assert difference["same"] == (not difference["missing"] and not difference["extra"])
        assert result.order_independent == (not any(
            d["missing"] or d["extra"] for d in result.differences
        ))  # fmt: skip
    # the scenario cells differ from the base one in what was simulated
    by_name = {r.cell.name: r for r in results}
    assert by_name["surge-region"].evaluation.injected.keys() > {"correlated_spike@2.0 [region]"}
    assert "platform_outage@2.0" in by_name["outage-platform"].evaluation.injected
