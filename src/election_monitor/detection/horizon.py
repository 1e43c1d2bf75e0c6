"""How far an election's data is known to be complete: the data horizon.

Absence of data is evidence only once the data is known to be complete up to that time. A
constituency's own data reaches its newest row (or, once its contract's ``finishVoting`` is
loaded, as far as it will ever need to); the election's horizon is the first hour some
constituency still owes data for. A constituency that owes an hour stops holding the others
back once ``horizon_quorum`` of the constituencies voting then have data at least
``horizon_grace_hours`` beyond it: its feed was live elsewhere and did not move on (or it has
not sent anything yet: *awaiting data*). Everything a statistical rule computes for an hour
therefore uses a set of constituencies that later files can no longer change, whatever the
order they arrive in.

A constituency with no data at all is no evidence of a stopped feed: its file may simply not
have been read yet (exports read one contract after another). While an ingest is under way
(``hold_awaiting``) such a constituency holds back every hour it owes, quorum or not, so that
no peer statistic is computed on a partly loaded country; the ingest hook lets go once the
election has been loading for ``awaiting_release_minutes`` of wall time (a feed that never
started must not stall detection for everyone). Let go, or from scratch, it holds nothing:
there is nothing of it to wait for.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import numpy as np

HOUR = timedelta(hours=1)
NDArray = np.ndarray[Any, Any]


@dataclass(frozen=True)
class Horizon:
    """Per constituency how far its data reaches; for the election, which hours are settled."""

    #: hours [0, covered[c]) of constituency c's data are complete (n_hours when finished)
    covered: NDArray
    #: hours [0, closed) are settled for the whole election
    closed: int
    #: hours [0, complete) are covered by every constituency's own data (no quorum needed)
    complete: int
    #: constituencies without any data yet
    awaiting: NDArray


def data_horizon(
    *,
    h0: datetime,
    n_hours: int,
    last_data: list[datetime | None],
    finished: list[bool],
    needs: NDArray,
    grace_minutes: float,
    grace_hours: float,
    quorum: float,
    hold_awaiting: bool = False,
) -> Horizon:
    """The horizon of one election from each constituency's newest data time.

    ``needs[c, t]`` says whether constituency c's voting window covers hour t (so that its
    data is owed for that hour). A constituency's newest data within ``grace_minutes`` of an
    hour's end counts as reaching that end (the last voter of an hour is rarely at :59:59).
    """
    n_c = len(last_data)
    covered = np.zeros(n_c, dtype=np.int64)
    awaiting = np.zeros(n_c, dtype=bool)
    for c, (when, done) in enumerate(zip(last_data, finished, strict=True)):
        if done:
            covered[c] = n_hours
        elif when is None:
            awaiting[c] = True
        else:
            reach = (when - h0).total_seconds() / HOUR.total_seconds() + grace_minutes / 60.0
            covered[c] = int(np.clip(np.floor(reach), 0, n_hours))
    if n_c == 0 or n_hours == 0:
        return Horizon(covered=covered, closed=0, complete=0, awaiting=awaiting)
    hours = np.arange(n_hours)
    owes = needs & (hours[None, :] >= covered[:, None])
    if not hold_awaiting:
        owes &= ~awaiting[:, None]  # nothing to wait for: no evidence it will ever send
    # Constituencies voting at t whose data reaches beyond t + grace_hours.
    beyond = covered[:, None] >= hours[None, :] + 1 + grace_hours
    moved = (needs & beyond).sum(axis=0)
    voting = needs.sum(axis=0)
    settled = ~owes.any(axis=0) | ((moved >= quorum * voting) & (moved > 0))
    if hold_awaiting:
        settled &= ~(owes & awaiting[:, None]).any(axis=0)
    unsettled = np.flatnonzero(~settled)
    closed = int(unsettled[0]) if unsettled.size else n_hours
    owed = np.flatnonzero(owes.any(axis=0))
    complete = min(closed, int(owed[0]) if owed.size else n_hours)
    return Horizon(covered=covered, closed=closed, complete=complete, awaiting=awaiting)
