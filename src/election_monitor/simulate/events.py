"""The simulator's intermediate form: one numpy record per contract transaction.

Generation produces event records, the format writers turn them into lines. Keeping events as
a structured array (not Python objects) is what lets the common lines (bulletins and votes)
be rendered in bulk; the rare irregular transactions (lifecycle calls, voter lists, bulletins
for several voters, injected oddities) carry a ``payload`` index into a list of :class:`Call`
objects and are rendered one by one.

Counting facts live on the record itself (``kind``, ``accepted``, ``nusers``, ``voter``,
``flags``), so the ground truth is computed from exactly what is written, whatever the format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

# kind: what the transaction counts as
KIND_OTHER = 0  # lifecycle, voter lists, tallying
KIND_ISSUE = 1  # blindSigIssue
KIND_VOTE = 2  # vote

# flags
ROLLED_BACK = 1  # the chain later rolled this transaction back (export: a rollback line follows)
ROLLBACK_LINE = 2  # the export's rollback line (repeats the original, rollback = -1)
REUSED_ID = 4  # reuses an earlier transaction id with other content (data_integrity)

EVENT_DTYPE = np.dtype(
    [
        ("order", "i8"),  # position in the chain (ms); equals ts except for injected clock skew
        ("ts", "i8"),  # the sender's timestamp written in the line (ms, UTC)
        ("kind", "u1"),
        ("accepted", "u1"),
        ("flags", "u1"),
        ("nusers", "u1"),  # voters in a blindSigIssue
        ("uik", "i2"),  # polling station number (4 digits)
        ("cidx", "i4"),  # constituency index
        ("payload", "i4"),  # index into the constituency's calls, -1 for bulk-rendered lines
        ("voter", "i8"),  # voter session (one-time key) of a vote, -1 otherwise
        ("txid", "S44"),
        ("sig", "S64"),
        ("sender", "S44"),  # the voter's one-time key (votes); issuer keys are per contract
        ("user", "S64"),  # userId hash (blindSigIssue)
        ("blob_a", "S44"),  # vote: encrypted bulletin; issue: maskedSig
        ("blob_b", "S44"),  # vote: blindSig; issue: the blind signature written to the diff
    ]
)

Events = NDArray[np.void]

EntryType = Literal["string", "integer", "boolean", "binary"]


def empty(n: int = 0) -> Events:
    """A zeroed event array (``payload`` and ``voter`` set to -1)."""
    out = np.zeros(n, EVENT_DTYPE)
    out["payload"] = -1
    out["voter"] = -1
    return out


def concat(parts: list[Events]) -> Events:
    """Concatenate event arrays (an empty list gives an empty array)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty()
    if len(parts) == 1:
        return parts[0]
    return np.concatenate(parts)


def sort(events: Events) -> Events:
    """Events in chain order (stable, so ties keep generation order)."""
    return events[np.argsort(events["order"], kind="stable")]


@dataclass(slots=True)
class Entry:
    """One ``{key, value}`` of params or of the state diff.

    ``decoded`` is the structure a string value holds as JSON (``data``, ``results``,
    ``VOTING_BASE``, voter lists); the hourly CSV writes it decoded.
    """

    key: str
    type: EntryType
    value: str | int | bool
    decoded: Any = None


@dataclass(slots=True)
class Call:
    """An irregular transaction rendered one at a time."""

    operation: str  # "createContract" for the type-103 transaction
    sender: str
    params: list[Entry]
    diff: list[Entry]
    tx_type: int = 104
    extra: dict[str, Any] = field(default_factory=dict)


Payload = Call | Callable[[], Call]  # voter lists are built only when written (memory)


def resolve(payload: Payload) -> Call:
    """The call of a payload, building a deferred one."""
    return payload if isinstance(payload, Call) else payload()
