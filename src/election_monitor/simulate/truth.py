"""The ground truth of a run: counts as the counting rules define them, and the injections.

``Tally`` counts what a writer actually emitted (after format filtering), applying DESIGN.md's
counting rules to the event records, so truth.json agrees with the files by construction and a
reader or metric that disagrees with it has a bug (or the rules changed):

- bulletins_issued: voters in accepted blindSigIssue transactions not rolled back;
- votes_cast: distinct voter keys with an accepted vote not rolled back;
- accepted_votes / rejected_votes: vote calls accepted / rejected by the contract, not rolled back;
- revotes: accepted_votes - votes_cast;
- transactions: distinct tx ids of blindSigIssue and vote lines (rollback lines and a reused
  id's second line excluded; rolled-back originals included);
- rollbacks: rollback lines; duplicate_tx_lines: lines reusing an earlier tx id;
- contract_events: lines of every other operation.
Hours are UTC hours of the written ``ts``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from election_monitor.simulate import events as ev
from election_monitor.simulate.profile import HOUR_MS

HOURLY_FIELDS = ("bulletins", "votes", "new_voters", "rejected", "transactions", "contract_events")
TOTAL_FIELDS = (
    "bulletins_issued",
    "votes_cast",
    "accepted_votes",
    "rejected_votes",
    "revotes",
    "rollbacks",
    "transactions",
    "duplicate_tx_lines",
    "contract_events",
)


def iso_utc(ms: int) -> str:
    """ISO-8601 UTC with a ``Z`` (seconds precision, milliseconds when present)."""
    moment = datetime.fromtimestamp(ms / 1000, UTC)
    text = moment.isoformat(timespec="milliseconds" if ms % 1000 else "seconds")
    return text.replace("+00:00", "Z")


class Tally:
    """Counts of one constituency, updated batch by batch from emitted events."""

    def __init__(self) -> None:
        self.bulletins = 0
        self.accepted = 0
        self.rejected = 0
        self.rollbacks = 0
        self.transactions = 0
        self.reused = 0
        self.contract_events = 0
        self._seen = np.zeros(1024, bool)  # by voter session id (dense, from 0)
        self._votes_cast = 0
        self._hourly: dict[int, np.ndarray[Any, np.dtype[np.int64]]] = {}

    def update(self, batch: ev.Events) -> None:
        """Count a batch of emitted events (chain order)."""
        if not len(batch):
            return
        flags, kind, accepted = batch["flags"], batch["kind"], batch["accepted"] == 1
        rollback_line = (flags & ev.ROLLBACK_LINE) != 0
        reused = (flags & ev.REUSED_ID) != 0
        counted = ~rollback_line & ~reused
        live = counted & ((flags & ev.ROLLED_BACK) == 0)
        other = counted & (kind == ev.KIND_OTHER)
        tx = counted & (kind != ev.KIND_OTHER)
        issue = live & (kind == ev.KIND_ISSUE) & accepted
        vote = live & (kind == ev.KIND_VOTE) & accepted
        rejected = live & (kind == ev.KIND_VOTE) & ~accepted
        self.rollbacks += int(rollback_line.sum())
        self.reused += int(reused.sum())
        self.contract_events += int(other.sum())
        self.transactions += int(tx.sum())
        self.bulletins += int(batch["nusers"][issue].sum())
        self.accepted += int(vote.sum())
        self.rejected += int(rejected.sum())
        new = np.zeros(len(batch), bool)
        vote_rows = np.flatnonzero(vote)
        if len(vote_rows):
            voters, first = np.unique(batch["voter"][vote_rows], return_index=True)
            if voters[-1] >= len(self._seen):
                grown = np.zeros(max(int(voters[-1]) + 1, 2 * len(self._seen)), bool)
                grown[: len(self._seen)] = self._seen
                self._seen = grown
            fresh = ~self._seen[voters]
            self._seen[voters[fresh]] = True
            new[vote_rows[first[fresh]]] = True
            self._votes_cast += int(fresh.sum())
        hours = batch["ts"] // HOUR_MS
        base = int(hours.min())
        rel = hours - base
        size = int(rel.max()) + 1
        columns = [
            np.bincount(rel, weights=np.where(issue, batch["nusers"], 0), minlength=size),
            np.bincount(rel[vote], minlength=size),
            np.bincount(rel[new], minlength=size),
            np.bincount(rel[rejected], minlength=size),
            np.bincount(rel[tx], minlength=size),
            np.bincount(rel[other], minlength=size),
        ]
        table = np.stack(columns, axis=1).astype(np.int64)
        for k in np.flatnonzero(table.any(axis=1)).tolist():
            hour = base + k
            row = self._hourly.get(hour)
            self._hourly[hour] = table[k] if row is None else row + table[k]

    @property
    def votes_cast(self) -> int:
        """Distinct voter keys with an accepted vote."""
        return self._votes_cast

    def totals(self) -> dict[str, int]:
        """The per-constituency totals of truth.json."""
        return {
            "bulletins_issued": self.bulletins,
            "votes_cast": self.votes_cast,
            "accepted_votes": self.accepted,
            "rejected_votes": self.rejected,
            "revotes": self.accepted - self.votes_cast,
            "rollbacks": self.rollbacks,
            "transactions": self.transactions,
            "duplicate_tx_lines": self.reused,
            "contract_events": self.contract_events,
        }

    def hourly(self) -> dict[str, dict[str, int]]:
        """Counts per UTC hour (ISO hour start -> counts), hours with any line only."""
        return {
            iso_utc(hour * HOUR_MS): dict(zip(HOURLY_FIELDS, (int(v) for v in row), strict=True))
            for hour, row in sorted(self._hourly.items())
        }


@dataclass(slots=True)
class ConstituencyResult:
    """What generating one constituency produced: its truth entry and files."""

    index: int
    entry: dict[str, Any]
    anomalies: list[dict[str, Any]] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    transactions_written: int = 0
