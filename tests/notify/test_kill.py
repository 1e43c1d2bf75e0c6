"""kill -9 of the dispatcher at random moments: every delivery arrives once per channel.

``benchmarks.notify_kill`` does the work (two channels, a receiver each, SIGKILL mid-send or
at a random time, then a last dispatcher drains); here 20 trials by default
(``ELMON_TEST_KILL_TRIALS`` changes it), in the benchmark 100.
"""

from __future__ import annotations

import os

import pytest
from benchmarks.notify_kill import CHANNELS, run_trials

TRIALS = int(os.environ.get("ELMON_TEST_KILL_TRIALS", "20"))


@pytest.mark.slow
def test_kill_9_trials_lose_nothing_and_accept_no_key_twice(empty_database_url: str) -> None:
    report = run_trials(empty_database_url, trials=TRIALS, alerts=10)
    expected = TRIALS * 10
    assert report.received_per_channel == dict.fromkeys(CHANNELS, expected), report
    assert report.duplicate_keys_accepted == 0, report
    assert report.keys_shared_between_channels == 0, report
    assert report.bad_signatures == 0, report
    assert report.not_delivered == 0, report
    assert report.kills_mid_send + report.kills_at_random_time == TRIALS
    assert report.ok
