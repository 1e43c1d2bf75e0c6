"""A constituency with no data at all may be an export not read yet: while an ingest is under
way it holds back the hours it owes, the quorum notwithstanding; from scratch it does not."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np

from election_monitor.detection.horizon import data_horizon

H0 = datetime(2026, 9, 18, 6, tzinfo=UTC)


def _horizon(last: list[datetime | None], *, hold: bool) -> tuple[int, int]:
    n_hours = 10
    h = data_horizon(
        h0=H0,
        n_hours=n_hours,
        last_data=last,
        finished=[False] * len(last),
        needs=np.ones((len(last), n_hours), dtype=bool),
        grace_minutes=15,
        grace_hours=1,
        quorum=0.8,
        hold_awaiting=hold,
    )
    return h.closed, h.complete


def test_an_awaiting_constituency_holds_the_horizon_only_while_held() -> None:
    reached = [H0 + timedelta(hours=10)] * 9
    assert _horizon([*reached, None], hold=False) == (10, 10)  # nothing of it to wait for
    assert _horizon([*reached, None], hold=True) == (0, 0)  # nothing without the tenth


def test_a_feed_that_stopped_is_not_held() -> None:
    """A constituency with data that then stops is live evidence: the quorum applies."""
    reached = [H0 + timedelta(hours=10)] * 9
    stopped = H0 + timedelta(hours=3)
    assert _horizon([*reached, stopped], hold=True) == (9, 3)
    assert _horizon([*reached, stopped], hold=False) == (9, 3)
