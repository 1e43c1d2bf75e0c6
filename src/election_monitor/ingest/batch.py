"""Load one batch of reader output: classify every row, write in bulk, apply rollbacks,
refresh the metrics it touched. Runs inside the caller's database transaction, so a batch
and its job checkpoint commit together or not at all.

Hourly buckets are settled per batch; constituency totals either per batch too, or, when the
caller passes a :class:`PendingTotals`, once for all batches of a commit (the run of many small
files refreshes each touched constituency once per commit, not once per file).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import orjson
from sqlalchemy import Connection, insert, select, update

from election_monitor.enums import UNKNOWN_CONSTITUENCY_TYPE
from election_monitor.ingest import rowgate
from election_monitor.ingest.limits import unreadable
from election_monitor.ingest.records import TRANSACTION_OPERATIONS, ChainRecord, Row, RowError
from election_monitor.ingest.rowgate import TimeWindow
from election_monitor.ingest.writers import BatchWriter
from election_monitor.metrics.service import (
    Bucket,
    HourDelta,
    add_hour_deltas,
    existing_voter_keys,
    hour_of,
    refresh_hours,
    refresh_totals,
)
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

    def merge(self, other: BatchResult) -> None:
        """Add another batch's outcome to this one (the results of one commit, for the hooks)."""
        self.read += other.read
        self.transactions_inserted += other.transactions_inserted
        self.events_inserted += other.events_inserted
        self.rollbacks_inserted += other.rollbacks_inserted
        self.duplicates += other.duplicates
        self.rejected += other.rejected
        self.rejections.extend(other.rejections)
        self.buckets |= other.buckets
        self.constituencies |= other.constituencies


@dataclass
class PendingTotals:
    """Constituency totals owed by the batches loaded since the last refresh.

    A constituency every batch counted exactly carries the number of voter keys the batches
    added (the stored ``votes_cast`` plus that sum is exact); one that any batch could not
    count exactly (a rollback, a repeated row) is recounted in SQL.
    """

    constituencies: set[str] = field(default_factory=set)
    new_voters: dict[str, int] = field(default_factory=dict)
    recount: set[str] = field(default_factory=set)

    def add(self, constituencies: set[str], new_voters: dict[str, int]) -> None:
        for cid in constituencies:
            if cid in new_voters and cid not in self.recount:
                self.new_voters[cid] = self.new_voters.get(cid, 0) + new_voters[cid]
            else:
                self.recount.add(cid)
                self.new_voters.pop(cid, None)
        self.constituencies |= constituencies

    def merge(self, other: PendingTotals) -> None:
        self.add(other.recount, {})
        self.add(set(other.new_voters), other.new_voters)

    def refresh(self, conn: Connection) -> None:
        """Write the owed totals (inside the commit's transaction) and start over."""
        refresh_totals(conn, self.constituencies, new_voters=self.new_voters)
        self.constituencies, self.new_voters, self.recount = set(), {}, set()


def ts_datetime(ts_ms: int) -> datetime:
    """Epoch milliseconds as an aware UTC datetime."""
    return EPOCH + timedelta(milliseconds=ts_ms)


@dataclass
class PreparedTable:
    """One table's rows of a batch, de-duplicated by id, as tuples ready to insert."""

    table: str
    kind: str  # transaction, event, rollback (for messages)
    rows: dict[str, tuple[ChainRecord, tuple[Any, ...]]] = field(default_factory=dict)


@dataclass
class PreparedBatch:
    """A batch turned into insertable tuples; built without the database (in the reader thread)."""

    read: int
    rejections: list[RowError]
    duplicates: int
    tables: list[PreparedTable]
    contract_ids: set[str]
    tx_buckets: set[Bucket]
    event_constituencies: set[str]
    has_rollbacks: bool
    #: Per (constituency, epoch hour): [bulletins, counted votes, rejected votes, transactions]
    #: of the batch's distinct transaction rows, and the voter keys counted in that hour.
    hour_sums: dict[tuple[str, int], list[int]] = field(default_factory=dict)
    hour_keys: dict[tuple[str, int], set[str]] = field(default_factory=dict)


class RowEncoder:
    """Builds the row tuples of each table for one database dialect (pure Python, no I/O)."""

    def __init__(self, dialect: str, *, window: TimeWindow | None = None) -> None:
        sqlite = dialect == "sqlite"
        self._ts: Callable[[datetime], Any] = _sqlite_ts if sqlite else _identity
        self._ts_ms: Callable[[int], Any] = SQLiteTimestamps() if sqlite else ts_datetime
        # Even without an election, a timestamp must be one a datetime can hold.
        self.window = window or TimeWindow()

    def prepare(self, rows: Sequence[Row]) -> PreparedBatch:
        """Classify rows, de-duplicate within the batch, build tuples and the touched buckets.

        Every record passes :func:`rowgate.check` first (plausible time, id lengths, no NUL);
        any fault while building one row's tuple rejects that row (``row_unreadable``).
        """
        now = self._ts(utcnow())
        rejections: list[RowError] = []
        tables = {
            "transactions": PreparedTable("transactions", "transaction"),
            "contract_events": PreparedTable("contract_events", "event"),
            "transaction_rollbacks": PreparedTable("transaction_rollbacks", "rollback"),
        }
        builders = {
            "transactions": self._tx_tuple,
            "contract_events": self._event_tuple,
            "transaction_rollbacks": self._rollback_tuple,
        }
        duplicates = 0
        window = self.window
        contract_ids: set[str] = set()
        hours: set[tuple[str, int]] = set()
        hour_sums: dict[tuple[str, int], list[int]] = {}
        hour_keys: dict[tuple[str, int], set[str]] = {}
        event_constituencies: set[str] = set()
        for row in rows:
            if isinstance(row, RowError):
                rejections.append(row)
                continue
            if row.rollback:
                name = "transaction_rollbacks"
            elif row.operation in TRANSACTION_OPERATIONS:
                name = "transactions"
            else:
                name = "contract_events"
            try:
                raw_json = orjson.dumps(row.raw).decode()
                refused = rowgate.check(row, raw_json, window)
                if refused is None:
                    row_tuple = builders[name](row, raw_json, now)
            except Exception as exc:  # one row's fault rejects that row, never the batch
                refused = RowError(row.source, row.line, unreadable(exc), _raw_text(row))
            if refused is not None:
                rejections.append(refused)
                continue
            if name == "transactions":
                hours.add((row.contract_id, row.ts_ms // HOUR_MS))
            elif name == "contract_events":
                event_constituencies.add(row.contract_id)
            contract_ids.add(row.contract_id)
            target = tables[name]
            seen = target.rows.get(row.tx_id)
            if seen is None:
                target.rows[row.tx_id] = (row, row_tuple)
                if name == "transactions":
                    _add_to_hour(hour_sums, hour_keys, row, row_tuple)
            elif seen[0].raw == row.raw:
                duplicates += 1
            else:
                rejections.append(_conflict(row, target.kind, "an earlier line of this batch"))
        return PreparedBatch(
            read=len(rows),
            rejections=rejections,
            duplicates=duplicates,
            tables=list(tables.values()),
            contract_ids=contract_ids,
            tx_buckets={(cid, ts_datetime(h * HOUR_MS)) for cid, h in hours},
            event_constituencies=event_constituencies,
            has_rollbacks=bool(tables["transaction_rollbacks"].rows),
            hour_sums=hour_sums,
            hour_keys=hour_keys,
        )

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
            self._ts_ms(r.ts_ms),
            r.block_height,
            r.sender,
            orjson.dumps(details).decode(),
            raw_json,
            False,
            now,
        )

    def _rollback_tuple(self, r: ChainRecord, raw_json: str, now: Any) -> tuple[Any, ...]:
        return (r.tx_id, r.contract_id, self._ts_ms(r.ts_ms), r.source, r.line, raw_json, now)


# Built once (they run per batch): stored rows that a stored rollback line names.
_ROLLED = select(TransactionRollback.tx_id).scalar_subquery()
_ROLLED_BACK_TRANSACTIONS = select(
    Transaction.id, Transaction.constituency_id, Transaction.timestamp
).where(Transaction.rolled_back.is_(False), Transaction.id.in_(_ROLLED))
_ROLLED_BACK_EVENTS = select(ContractEvent.id, ContractEvent.constituency_id).where(
    ContractEvent.rolled_back.is_(False), ContractEvent.id.in_(_ROLLED)
)


class BatchLoader:
    """Writes prepared batches; one instance serves a whole run (set ``job_id`` per file)."""

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

    def forget(self) -> None:
        """Drop what this loader believes is stored (after a rollback to a savepoint)."""
        self.known_constituencies.clear()

    def load(self, batch: PreparedBatch, *, totals: PendingTotals | None = None) -> BatchResult:
        """Write a batch inside the caller's transaction and refresh what it touched; with
        ``totals``, the constituency totals are owed there instead of refreshed now."""
        result = BatchResult(read=batch.read, duplicates=batch.duplicates)
        result.rejections.extend(batch.rejections)
        if batch.contract_ids:
            self._ensure_constituencies(batch.contract_ids)
        keys = _counted_keys(batch)
        known = {cid: existing_voter_keys(self.conn, cid, k) for cid, k in keys.items()}
        inserted = {t.table: self._write(t, result) for t in batch.tables}
        result.transactions_inserted = inserted["transactions"]
        result.events_inserted = inserted["contract_events"]
        result.rollbacks_inserted = inserted["transaction_rollbacks"]
        if result.transactions_inserted:
            result.buckets |= batch.tx_buckets
        if result.events_inserted:
            result.constituencies |= batch.event_constituencies
        rolled_back: set[str] = set()
        if batch.has_rollbacks or result.inserted:
            rolled_back = self._apply_rollbacks(result)
        result.constituencies.update(cid for cid, _ in result.buckets)
        self._store_rejections(result.rejections)
        result.rejected = len(result.rejections)
        # Adding the batch's own sums is exact when every transaction row of the batch was new
        # and no rollback touched the constituency; otherwise its buckets are recounted in SQL.
        all_new = result.transactions_inserted == len(_table(batch, "transactions").rows)
        exact = {cid for cid in result.constituencies if all_new and cid not in rolled_back}
        add_hour_deltas(self.conn, _hour_deltas(batch, known, exact))
        refresh_hours(self.conn, {b for b in result.buckets if b[0] not in exact})
        new_voters = {cid: len(keys.get(cid, set()) - set(known.get(cid, {}))) for cid in exact}
        if totals is None:
            refresh_totals(self.conn, result.constituencies, new_voters=new_voters)
        else:
            totals.add(result.constituencies, new_voters)
        return result

    def _write(self, prepared: PreparedTable, result: BatchResult) -> int:
        """Insert new rows; count identical repeats as duplicates, differing ones as rejected."""
        if not prepared.rows:
            return 0
        inserted = self.writer.insert(prepared.table, [t for _, t in prepared.rows.values()])
        repeated = len(prepared.rows) - inserted
        if repeated:
            stored = self.writer.stored_raw(prepared.table, list(prepared.rows))
            conflicts = [
                rec
                for tx_id, (rec, _) in prepared.rows.items()
                if stored.get(tx_id, rec.raw) != rec.raw
            ]
            result.rejections.extend(
                _conflict(rec, prepared.kind, "the stored one") for rec in conflicts
            )
            result.duplicates += repeated - len(conflicts)
        return inserted

    # -- order-independent rollbacks ----------------------------------------------------
    def _apply_rollbacks(self, result: BatchResult) -> set[str]:
        """Mark every stored transaction or event that has a rollback line, whichever came first;
        returns the constituencies whose transactions changed."""
        hit = self.conn.execute(_ROLLED_BACK_TRANSACTIONS).all()
        if hit:
            self.conn.execute(
                update(Transaction)
                .where(Transaction.id.in_([h.id for h in hit]))
                .values(rolled_back=True, voter_key=None)
            )
            result.buckets.update((h.constituency_id, hour_of(h.timestamp)) for h in hit)
        changed = {h.constituency_id for h in hit}
        hit_events = self.conn.execute(_ROLLED_BACK_EVENTS).all()
        if hit_events:
            self.conn.execute(
                update(ContractEvent)
                .where(ContractEvent.id.in_([h.id for h in hit_events]))
                .values(rolled_back=True)
            )
            result.constituencies.update(h.constituency_id for h in hit_events)
        return changed

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

    def _store_rejections(self, rejections: list[RowError]) -> None:
        if not rejections:
            return
        self.conn.execute(
            insert(RejectedRow),
            [
                {
                    "job_id": self.job_id,
                    "source": storable(e.source),
                    "line": e.line,
                    "kind": e.kind,
                    "reason": storable(e.reason),
                    "text": storable(e.text),
                    "tx_id": e.tx_id,
                    "created_at": utcnow(),
                }
                for e in rejections
            ],
        )


def _add_to_hour(
    sums: dict[tuple[str, int], list[int]],
    keys: dict[tuple[str, int], set[str]],
    record: ChainRecord,
    row: tuple[Any, ...],
) -> None:
    """Count one distinct transaction row into its hour (columns as in ``TX_COLUMNS``)."""
    bucket = (record.contract_id, record.ts_ms // HOUR_MS)
    counts = sums.get(bucket)
    if counts is None:
        counts = sums[bucket] = [0, 0, 0, 0]
    counts[3] += 1
    if record.operation == "blindSigIssue":
        counts[0] += row[9]  # bulletins of an accepted issuance (0 when refused)
    elif row[7] is not None:  # a counted vote
        counts[1] += 1
        keys.setdefault(bucket, set()).add(row[7])
    elif record.accepted is False:
        counts[2] += 1


def _hour_deltas(
    batch: PreparedBatch, known: dict[str, dict[str, set[int]]], exact: set[str]
) -> list[HourDelta]:
    """The batch's contribution to each hour of the constituencies counted incrementally.

    A voter adds to an hour's unique voters unless a stored vote of that key already
    falls in the same hour.
    """
    deltas = []
    for (cid, hour), (bulletins, votes, rejected, count) in batch.hour_sums.items():
        if cid not in exact:
            continue
        stored = known.get(cid, {})
        new_in_hour = sum(
            1 for key in batch.hour_keys.get((cid, hour), ()) if hour not in stored.get(key, ())
        )
        deltas.append(
            HourDelta(
                cid, ts_datetime(hour * HOUR_MS), bulletins, new_in_hour, votes, rejected, count
            )
        )
    return deltas


def _table(batch: PreparedBatch, name: str) -> PreparedTable:
    return next(t for t in batch.tables if t.table == name)


def _counted_keys(batch: PreparedBatch) -> dict[str, set[str]]:
    """Voter keys of the batch's counted votes, per constituency (tuple columns 1 and 7)."""
    keys: dict[str, set[str]] = {}
    for _record, row in _table(batch, "transactions").rows.values():
        if row[7] is not None:
            keys.setdefault(row[1], set()).add(row[7])
    return keys


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


def storable(text: str) -> str:
    """Text as both databases store it: a NUL (refused by PostgreSQL) written as ``\\x00``."""
    return text.replace("\x00", "\\x00") if "\x00" in text else text


def _raw_text(record: ChainRecord) -> str:
    try:
        return orjson.dumps(record.raw).decode()
    except TypeError:
        return repr(record.raw)


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
