"""What each exported table holds: its columns (name, Arrow type, unit) and its query."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pyarrow as pa
from sqlalchemy import literal, select

from election_monitor.models import Alert, Constituency, HourlyStats, Transaction

UTC_TS = pa.timestamp("us", tz="UTC")


@dataclass(frozen=True)
class Column:
    name: str
    type: pa.DataType
    doc: str


@dataclass(frozen=True)
class Table:
    """One exportable table: columns in order, and the query yielding rows in that order."""

    name: str
    columns: tuple[Column, ...]
    query: Callable[[str], Any]  # election id -> a SELECT in export order

    @property
    def schema(self) -> pa.Schema:
        return pa.schema([pa.field(c.name, c.type) for c in self.columns])


def _in_election(election_id: str) -> Any:
    return select(Constituency.id).where(Constituency.election_id == election_id)


C = Constituency
CONSTITUENCIES = Table(
    "constituencies",
    (
        Column("constituency_id", pa.string(), "smart contract address"),
        Column("name", pa.string(), ""),
        Column("region", pa.string(), ""),
        Column("type", pa.string(), "urban, rural, suburban (unknown: not in the registry)"),
        Column("status", pa.string(), "active, offline, completed"),
        Column("timezone", pa.string(), "IANA zone; empty: the election's"),
        Column("registered_voters", pa.int64(), "voters (registry)"),
        Column("voters_listed", pa.int64(), "voters on the chain's lists"),
        Column("bulletins_issued", pa.int64(), "voters who received a bulletin"),
        Column("votes_cast", pa.int64(), "unique voter keys with an accepted vote"),
        Column("rejected_votes", pa.int64(), "vote calls the contract rejected"),
        Column("revotes", pa.int64(), "accepted votes by a key that had voted"),
        Column("participation_rate", pa.float64(), "% of registered voters"),
        Column("anomaly_score", pa.float64(), "0..1"),
        Column("voting_start", UTC_TS, "UTC"),
        Column("voting_end", UTC_TS, "UTC"),
        Column("last_data_time", UTC_TS, "UTC, newest transaction"),
        Column("inferred", pa.bool_(), "created from chain data, no registry entry"),
    ),
    lambda eid: select(
        C.id, C.name, C.region, C.type, C.status, C.timezone, C.registered_voters,
        C.voters_listed, C.bulletins_issued, C.votes_cast, C.rejected_votes, C.revotes,
        C.participation_rate, C.anomaly_score, C.voting_start, C.voting_end,
        C.last_data_time, C.inferred,
    ).where(C.election_id == eid).order_by(C.id),
)  # fmt: skip

H = HourlyStats
HOURLY = Table(
    "hourly",
    (
        Column("unit_id", pa.string(), "constituency id (the Election Forensics Toolkit's unit)"),
        Column("unit_name", pa.string(), ""),
        Column("region", pa.string(), ""),
        Column("unit_type", pa.string(), ""),
        Column("period_start", UTC_TS, "UTC, inclusive"),
        Column("period_minutes", pa.int64(), "length of the period (60)"),
        Column("registered_voters", pa.int64(), "register size (voters)"),
        Column("voters_listed", pa.int64(), "voters on the chain's lists (end of voting)"),
        Column("bulletins_issued", pa.int64(), "voters who received a bulletin in the period"),
        Column("votes_cast", pa.int64(), "unique voters with an accepted vote in the period"),
        Column("vote_calls", pa.int64(), "vote transactions in the period"),
        Column("rejected_votes", pa.int64(), "vote calls rejected in the period"),
        Column("transaction_count", pa.int64(), "transactions in the period"),
    ),
    lambda eid: select(
        H.constituency_id, C.name, C.region, C.type, H.hour, literal(60),
        C.registered_voters, C.voters_listed, H.bulletins_issued, H.votes_cast,
        H.vote_calls, H.rejected_votes, H.transaction_count,
    ).join(C, C.id == H.constituency_id).where(C.election_id == eid)
    .order_by(H.constituency_id, H.hour),
)  # fmt: skip

A = Alert
ALERTS = Table(
    "alerts",
    (
        Column("alert_id", pa.string(), ""),
        Column("constituency_id", pa.string(), ""),
        Column("type", pa.string(), "docs/detection.md"),
        Column("severity", pa.string(), "critical, warning, info"),
        Column("status", pa.string(), "active, investigating, resolved, snoozed"),
        Column("title", pa.string(), ""),
        Column("detected_at", UTC_TS, "UTC, wall clock"),
        Column("resolved_at", UTC_TS, "UTC, wall clock"),
        Column("assigned_to", pa.string(), ""),
        Column("details", pa.string(), "the evidence, JSON"),
    ),
    lambda eid: select(
        A.id, A.constituency_id, A.type, A.severity, A.status, A.title, A.detected_at,
        A.resolved_at, A.assigned_to, A.details,
    ).where(A.constituency_id.in_(_in_election(eid))).order_by(A.constituency_id, A.id),
)  # fmt: skip

T = Transaction
TRANSACTIONS = Table(
    "transactions",
    (
        Column("tx_id", pa.string(), "nestedTxId"),
        Column("constituency_id", pa.string(), ""),
        Column("block_height", pa.int64(), "0 where the format has none"),
        Column("timestamp", UTC_TS, "UTC, as set by the sender"),
        Column("type", pa.string(), "blindSigIssue or vote"),
        Column("voter_key", pa.string(), "vote: senderPublicKey"),
        Column("accepted", pa.bool_(), "vote: did the contract accept it"),
        Column("bulletins", pa.int64(), "blindSigIssue: voters served"),
        Column("rolled_back", pa.bool_(), "the chain rolled it back"),
    ),
    lambda eid: select(
        T.id, T.constituency_id, T.block_height, T.timestamp, T.type, T.voter_key,
        T.accepted, T.bulletins, T.rolled_back,
    ).where(T.constituency_id.in_(_in_election(eid))).order_by(T.id),
)  # fmt: skip
