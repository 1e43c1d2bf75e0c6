"""An event's own date is publisher data: any value gives a date or none, never an exception."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from election_monitor.metrics.service import _as_datetime


@pytest.mark.parametrize("value", [2**63, -(2**63), 10**30, float("1e300")])
def test_an_out_of_range_epoch_is_no_date(value: float) -> None:
    # found by the dump fuzzer: a startVoting whose date is 2**63 ms crashed the totals refresh
    assert _as_datetime(value) is None


def test_an_epoch_in_milliseconds_is_a_utc_date() -> None:
    assert _as_datetime(1_758_000_000_000) == datetime.fromtimestamp(1_758_000_000, UTC)
