"""Load one batch of reader output: classify every row, write in bulk, apply rollbacks,
refresh the metrics it touched. Runs inside the caller's database transaction, so a batch
and its job checkpoint commit together or not at all.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from election_monitor.enums import UNKNOWN_CONSTITUENCY_TYPE
from election_monitor.ingest.records import TRANSACTION_OPERATIONS, ChainRecord, Row, RowError
from election_monitor.ingest.writers import BatchWriter
from election_monitor.metrics.service import Bucket, hour_of, refresh_hours, refresh_totals
from election_monitor.models import (
    Constituency,
    ContractEvent,
    Election,
    RejectedRow,
    Transaction,
    TransactionRollback,
)
from election_monitor.timeutil import utcnow

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
HOUR_MS = 3_600_000


@dataclass
class BatchResult:
    """How the rows of one batch ended, and what they touched."""

    read: int = 0
    transactions_inserted: int = 0
    events_inserted: int = 0
    rollbacks_inserted: int = 0
    duplicates: int = 0
    rejected: int = 0
    rejections: list[RowError] = field(default_factory=list)
    buckets: set[Bucket] = field(default_factory=set)
    constituencies: set[str] = field(default_factory=set)

    @property
    def inserted(self) -> int:
        return self.transactions_inserted + self.events_inserted + self.rollbacks_inserted


def ts_datetime(ts_ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime."""
    return EPOCH + timedelta(milliseconds=ts_ms)


class BatchLoader:
    """Turns rows into database writes for one file's job (one instance per file)."""

    def __init__(
        self,
        conn: Connection,
        writer: BatchWriter,
        *,
        job_id: str,
        election: Callable[[Connection], str],
    ) -> None:
        self.conn = conn
        self.writer = writer
        self.job_id = job_id
        self.election = election
        self.known_constituencies: set[str] = set()
        sqlite = conn.dialect.name == "sqlite"
        self._ts: Callable[[datetime], Any] = _sqlite_ts if sqlite else _identity
        self._ts_ms: Callable[[int], Any] = SQLiteTimestamps() if sqlite else ts_datetime

    # -- the one entry point ---------------------------------------------------------
    def load(self, rows: Sequence[Row]) -> BatchResult:
        result = BatchResult(read=len(rows))
        txs: list[ChainRecord] = []
        events: list[ChainRecord] = []
        rollbacks: list[ChainRecord] = []
        for row in rows:
            if isinstance(row, RowError):
                result.rejections.append(row)
            elif row.rollback:
                rollbacks.append(row)
            elif row.operation in TRANSACTION_OPERATIONS:
                txs.append(row)
            else:
                events.append(row)
        records = txs + events + rollbacks
        if records:
            self._ensure_constituencies({r.contract_id for r in records})
        now = self._ts(utcnow())
        result.transactions_inserted = self._write(
            "transactions", txs, self._tx_tuple, now, result, kind="transaction"
        )
        result.events_inserted = self._write(
            "contract_events", events, self._event_tuple, now, result, kind="event"
        )
        result.rollbacks_inserted = self._write(
            "transaction_rollbacks", rollbacks, self._rollback_tuple, now, result, kind="rollback"
        )
        if result.transactions_inserted:
            result.buckets.update((r.contract_id, hour_of(ts_datetime(r.ts_ms))) for r in txs)
        if result.events_inserted:
            result.constituencies.update(r.contract_id for r in events)
        if rollbacks or result.inserted:
            self._apply_rollbacks(result)
        result.constituencies.update(cid for cid, _ in result.buckets)
        self._store_rejections(result.rejections, now)
        result.rejected = len(result.rejections)
        refresh_hours(self.conn, result.buckets)
        refresh_totals(self.conn, result.constituencies)
        return result

    # -- classification and writing ---------------------------------------------------
    def _write(
        self,
        table: str,
        records: list[ChainRecord],
        to_tuple: Callable[[ChainRecord, str, Any], tuple[Any, ...]],
        now: Any,
        result: BatchResult,
        *,
        kind: str,
    ) -> int:
        """Insert new rows; count identical repeats as duplicates, differing ones as rejected."""
        if not records:
            return 0
        unique: dict[str, tuple[ChainRecord, str]] = {}
        for record in records:
            raw_json = orjson.dumps(record.raw).decode()
            seen = unique.get(record.tx_id)
            if seen is None:
                unique[record.tx_id] = (record, raw_json)
            elif seen[1] == raw_json:
                result.duplicates += 1
            else:
                result.rejections.append(_conflict(record, kind, "an earlier line of this batch"))
        inserted = self.writer.insert(
            table, [to_tuple(rec, raw_json, now) for rec, raw_json in unique.values()]
        )
        repeated = len(unique) - inserted
        if repeated:
            stored = self.writer.stored_raw(table, list(unique))
            conflicts = [
                rec for tx_id, (rec, _) in unique.items() if stored.get(tx_id, rec.raw) != rec.raw
            ]
            result.rejections.extend(_conflict(rec, kind, "the stored one") for rec in conflicts)
            result.duplicates += repeated - len(conflicts)
        return inserted

    def _tx_tuple(self, r: ChainRecord, raw_json: str, now: Any) -> tuple[Any, ...]:
        counted_key = r.sender if (r.operation == "vote" and r.accepted) else None
        operation_data = {
            "operation": r.operation,
            "tx_type": r.tx_type,
            "sender": r.sender,
            "accepted": r.accepted,
            "reject_reason": r.reject_reason,
            "bulletins": r.bulletins,
            "polling_station": r.polling_station,
            "source": r.source,
            "line": r.line,
            **r.details,
        }
        return (
            r.tx_id,
            r.contract_id,
            r.block_height,
            self._ts_ms(r.ts_ms),
            r.operation,
            raw_json,
            orjson.dumps(operation_data).decode(),
            counted_key,
            r.accepted,
            r.bulletins if r.accepted else 0,
            False,
            now,
        )

    def _event_tuple(self, r: ChainRecord, raw_json: str, now: Any) -> tuple[Any, ...]:
        details = {
            "source": r.source,
            "line": r.line,
            "tx_type": r.tx_type,
            "accepted": r.accepted,
            "reject_reason": r.reject_reason,
            **r.details,
        }
        if r.polling_station:
            details["polling_station"] = r.polling_station
        return (
            r.tx_id,
            r.contract_id,
            r.operation,
            self._ts(ts_datetime(r.ts_ms)),
            r.block_height,
            r.sender,
            orjson.dumps(details).decode(),
            raw_json,
            False,
            now,
        )

    def _rollback_tuple(self, r: ChainRecord, raw_json: str, now: Any) -> tuple[Any, ...]:
        return (
            r.tx_id,
            r.contract_id,
            self._ts(ts_datetime(r.ts_ms)),
            r.source,
            r.line,
            raw_json,
            now,
        )

    # -- order-independent rollbacks ----------------------------------------------------
    def _apply_rollbacks(self, result: BatchResult) -> None:
        """Mark every stored transaction or event that has a rollback line, whichever came first."""
        rolled = select(TransactionRollback.tx_id).scalar_subquery()
        hit = self.conn.execute(
            select(Transaction.id, Transaction.constituency_id, Transaction.timestamp).where(
                Transaction.rolled_back.is_(False), Transaction.id.in_(rolled)
            )
        ).all()
        if hit:
            self.conn.execute(
                update(Transaction)
                .where(Transaction.id.in_([h.id for h in hit]))
                .values(rolled_back=True, voter_key=None)
            )
            result.buckets.update((h.constituency_id, hour_of(h.timestamp)) for h in hit)
        hit_events = self.conn.execute(
            select(ContractEvent.id, ContractEvent.constituency_id).where(
                ContractEvent.rolled_back.is_(False), ContractEvent.id.in_(rolled)
            )
        ).all()
        if hit_events:
            self.conn.execute(
                update(ContractEvent)
                .where(ContractEvent.id.in_([h.id for h in hit_events]))
                .values(rolled_back=True)
            )
            result.constituencies.update(h.constituency_id for h in hit_events)

    # -- constituencies and rejected rows ------------------------------------------------
    def _ensure_constituencies(self, ids: set[str]) -> None:
        """Create a placeholder for each contract id the registry has not named yet."""
        missing = ids - self.known_constituencies
        if not missing:
            return
        existing = set(
            self.conn.scalars(select(Constituency.id).where(Constituency.id.in_(missing)))
        )
        new = sorted(missing - existing)
        if new:
            election_id = self.election(self.conn)
            now = utcnow()
            self.conn.execute(
                insert(Constituency),
                [
                    {
                        "id": cid,
                        "election_id": election_id,
                        "name": cid,
                        "region": "unknown",
                        "type": UNKNOWN_CONSTITUENCY_TYPE,
                        "registered_voters": 0,
                        "inferred": True,
                        "created_at": now,
                        "last_update_time": now,
                    }
                    for cid in new
                ],
            )
            self.conn.execute(
                update(Election)
                .where(Election.id == election_id)
                .values(total_constituencies=Election.total_constituencies + len(new))
            )
        self.known_constituencies |= missing

    def _store_rejections(self, rejections: list[RowError], now: Any) -> None:
        if not rejections:
            return
        self.conn.execute(
            insert(RejectedRow),
            [
                {
                    "job_id": self.job_id,
                    "source": e.source,
                    "line": e.line,
                    "kind": e.kind,
                    "reason": e.reason,
                    "text": e.text,
                    "tx_id": e.tx_id,
                    "created_at": utcnow(),
                }
                for e in rejections
            ],
        )


def _conflict(record: ChainRecord, kind: str, against: str) -> RowError:
    return RowError(
        source=record.source,
        line=record.line,
        reason=f"transaction id reused with other content: {kind} {record.tx_id} "
        f"differs from {against}",
        text=orjson.dumps(record.raw).decode(),
        kind="conflict",
        tx_id=record.tx_id,
    )


def _sqlite_ts(value: datetime) -> str:
    """UTC as SQLAlchemy stores it in SQLite, so ORM reads and raw writes agree."""
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


class SQLiteTimestamps:
    """Epoch ms to SQLite's stored text, formatting each minute once (the hot path of a load)."""

    def __init__(self) -> None:
        self._minutes: dict[int, str] = {}

    def __call__(self, ts_ms: int) -> str:
        seconds, millis = divmod(ts_ms, 1000)
        minute, second = divmod(seconds, 60)
        prefix = self._minutes.get(minute)
        if prefix is None:
            prefix = _sqlite_ts(EPOCH + timedelta(minutes=minute))[:17]
            self._minutes[minute] = prefix
        return f"{prefix}{second:02d}.{millis:03d}000"


def _identity(value: datetime) -> datetime:
    return value
