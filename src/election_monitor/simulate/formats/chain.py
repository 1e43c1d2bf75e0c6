"""Blocks and heights for the formats that carry them (block dump, hourly CSV).

A shard is one chain holding several contracts (as the 2021 platform's four shards did):
transactions of its contracts are merged in chain order and packed into blocks of at most
``MAX_BLOCK_TX`` transactions, one block per ``BLOCK_MS`` slot (more when a slot is busy).
Heights start at 1 and only increase, so a height or timestamp regression in the output is
always an injected one.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from numpy.typing import NDArray

from election_monitor.simulate import events as ev
from election_monitor.simulate.generator import ConstituencyGenerator
from election_monitor.simulate.profile import HOUR_MS
from election_monitor.simulate.truth import Tally

BLOCK_MS = 5_000
MAX_BLOCK_TX = 100


class Chain:
    """Assigns consecutive heights to batches of events in chain order."""

    def __init__(self) -> None:
        self.height = 0  # last height used

    def heights(self, batch: ev.Events) -> NDArray[np.int64]:
        """The block height of every event of a sorted batch (blocks never span batches)."""
        n = len(batch)
        if not n:
            return np.zeros(0, np.int64)
        slot = batch["order"] // BLOCK_MS
        new_slot = np.r_[True, slot[1:] != slot[:-1]]
        slot_start = np.maximum.accumulate(np.where(new_slot, np.arange(n), 0))
        rank = np.arange(n) - slot_start
        new_block = new_slot | (rank % MAX_BLOCK_TX == 0)
        out: NDArray[np.int64] = self.height + np.cumsum(new_block)
        self.height = int(out[-1])
        return out


def block_times(batch: ev.Events) -> NDArray[np.int64]:
    """A block's timestamp: the end of its slot."""
    out: NDArray[np.int64] = (batch["order"] // BLOCK_MS + 1) * BLOCK_MS
    return out


def run_shard(
    gens: list[ConstituencyGenerator],
    write_hour: Callable[[int, ev.Events, NDArray[np.int64], dict[int, bool]], None],
    progress: Callable[[int], None],
) -> dict[int, Tally]:
    """Advance a shard's generators hour by hour, merged into one chain.

    ``write_hour(hour, batch, heights, active)`` gets each hour's merged batch; ``active``
    tells which constituencies were still running (created and not finished) in that hour.
    """
    chain = Chain()
    tallies = {g.spec.index: Tally() for g in gens}
    hour = min(g.first_ms for g in gens) // HOUR_MS * HOUR_MS
    while not all(g.done for g in gens):
        parts = []
        active = {g.spec.index: g.first_ms < hour + HOUR_MS and not g.done for g in gens}
        for g in gens:
            batch = g.emit(hour + HOUR_MS)
            tallies[g.spec.index].update(batch)
            parts.append(batch)
        merged = ev.sort(ev.concat(parts))
        write_hour(hour, merged, chain.heights(merged), active)
        progress(len(merged))
        hour += HOUR_MS
    return tallies
