"""What every reader yields: one normalised chain record, or one row error.

Readers are pure (a file in, these out) and stream: they never hold a whole file.
The counting rules (DESIGN.md, "The data") are applied by ``interpret`` so that every
format is counted the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Operations that become ``Transaction`` rows; everything else is a contract event.
TRANSACTION_OPERATIONS = frozenset({"blindSigIssue", "vote"})


@dataclass(slots=True)
class ChainRecord:
    """One contract transaction, whatever format it came from."""

    source: str  # file name (and ``!member`` for an archive member)
    line: int  # 1-based line number in the source (the block's line in a dump)
    tx_id: str  # nestedTxId: the chain's transaction id
    contract_id: str  # the voting contract = constituency id
    operation: str  # params.operation, or "createContract" for type 103
    ts_ms: int  # sender's timestamp, epoch milliseconds UTC
    block_height: int  # 0 where the format carries no height
    sender: str | None  # senderPublicKey (the one-time voter key for a vote)
    params: dict[str, Any]  # decoded params: key -> value
    diff: dict[str, Any]  # decoded state diff: key -> value
    rollback: bool  # True on a rollback line (rollback == -1)
    raw: dict[str, Any]  # the whole source record, nothing dropped
    tx_type: int | None = None  # 103 createContract / 104 call, when known
    # Set by ``interpret``:
    accepted: bool | None = None  # vote/blindSigIssue: did the contract accept it
    reject_reason: str | None = None  # FAIL_* key (and value) when rejected
    bulletins: int = 0  # blindSigIssue: voters issued a bulletin (len of data/userIds)
    polling_station: str | None = None  # "<primaryUikRegionCode>/<primaryUikNumber>"
    details: dict[str, Any] = field(default_factory=dict)  # per-operation facts


@dataclass(slots=True)
class RowError:
    """A line that could not be read; kept with its text so an observer can see it."""

    source: str
    line: int
    reason: str
    text: str
    kind: str = "malformed"  # or "conflict": a transaction id reused with other content
    tx_id: str | None = None


Row = ChainRecord | RowError


@dataclass(slots=True)
class ReadStats:
    """What a reader saw, so that every line is accounted for (filled as sources finish).

    For line-oriented formats ``lines == records + errors + skipped``; in a block dump one
    line holds many transactions, so there ``records + errors + ignored`` counts transactions.
    """

    lines: int = 0  # physical lines read, over all sources
    records: int = 0  # ChainRecords yielded
    errors: int = 0  # RowErrors yielded
    skipped: int = 0  # blank lines and header lines: nothing to read, not an error
    ignored: int = 0  # dump transactions of no interest (not a 103/104 call in a 105 wrapper)
    encodings: dict[str, str] = field(default_factory=dict)  # source name -> encoding used

    def add_source(
        self,
        name: str,
        encoding: str,
        *,
        lines: int,
        records: int,
        errors: int,
        skipped: int = 0,
        ignored: int = 0,
    ) -> None:
        """Account for one finished (or interrupted) source."""
        self.lines += lines
        self.records += records
        self.errors += errors
        self.skipped += skipped
        self.ignored += ignored
        self.encodings[name] = encoding
