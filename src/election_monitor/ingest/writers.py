"""Bulk, idempotent writes of one batch, by the fastest path each database offers.

SQLite: ``INSERT OR IGNORE`` through the driver's ``executemany`` (tuples, no ORM objects).
PostgreSQL: ``COPY`` into a temporary table, then ``INSERT … ON CONFLICT DO NOTHING``.
Both return how many rows were new, so the caller can tell inserts from duplicates.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol

import orjson
import psycopg
from sqlalchemy import Connection

from election_monitor.exceptions import InvalidInputError

TX_COLUMNS = (
    "id",
    "constituency_id",
    "block_height",
    "timestamp",
    "type",
    "raw_data",
    "operation_data",
    "voter_key",
    "accepted",
    "bulletins",
    "rolled_back",
    "created_at",
)
EVENT_COLUMNS = (
    "id",
    "constituency_id",
    "operation",
    "timestamp",
    "block_height",
    "sender",
    "details",
    "raw_data",
    "rolled_back",
    "created_at",
)
ROLLBACK_COLUMNS = (
    "tx_id",
    "constituency_id",
    "timestamp",
    "source",
    "line",
    "raw_data",
    "created_at",
)
TABLES = {
    "transactions": ("id", TX_COLUMNS),
    "contract_events": ("id", EVENT_COLUMNS),
    "transaction_rollbacks": ("tx_id", ROLLBACK_COLUMNS),
}


class BatchWriter(Protocol):
    """Writes prepared row tuples; each method returns the number of new rows."""

    def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> int: ...

    def stored_raw(self, table: str, ids: Sequence[str]) -> dict[str, Any]: ...


class SQLiteWriter:
    """``INSERT OR IGNORE`` with the driver's executemany inside the caller's transaction."""

    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    def _cursor(self) -> Any:
        return self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        _, columns = TABLES[table]
        marks = ",".join("?" * len(columns))
        cur = self._cursor()
        cur.executemany(
            f"INSERT OR IGNORE INTO {table} ({','.join(columns)}) VALUES ({marks})", rows
        )
        count: int = cur.rowcount
        cur.close()
        return count

    def stored_raw(self, table: str, ids: Sequence[str]) -> dict[str, Any]:
        key, _ = TABLES[table]
        found: dict[str, Any] = {}
        cur = self._cursor()
        for start in range(0, len(ids), 500):
            chunk = ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for row_id, raw in cur.execute(
                f"SELECT {key}, raw_data FROM {table} WHERE {key} IN ({marks})", chunk
            ):
                found[row_id] = orjson.loads(raw)
        cur.close()
        return found


class PostgresWriter:
    """``COPY`` into a session temp table, then one ``INSERT … ON CONFLICT DO NOTHING``."""

    #: Rows loaded before the planner's statistics are refreshed; doubles after each refresh.
    FIRST_ANALYZE = 10_000

    def __init__(self, conn: Connection) -> None:
        self.conn = conn
        self._loaded: dict[str, int] = {}
        self._next_analyze: dict[str, int] = {}

    def _after_load(self, table: str, count: int) -> None:
        """Keep planner statistics in step with a bulk load.

        Autovacuum analyzes only after the transaction commits and on its own schedule; until
        then PostgreSQL plans the per-batch lookups for an empty table and scans a whole
        constituency for each of them. ANALYZE samples a fixed number of rows, so refreshing at
        doubling sizes costs a few hundred milliseconds per file.
        """
        loaded = self._loaded.get(table, 0) + count
        self._loaded[table] = loaded
        if loaded >= self._next_analyze.get(table, self.FIRST_ANALYZE):
            cur = self._cursor()
            cur.execute(f"ANALYZE {table}")
            cur.close()
            self._next_analyze[table] = loaded * 2

    def _cursor(self) -> Any:
        return self.conn.connection.driver_connection.cursor()  # type: ignore[union-attr]

    def insert(self, table: str, rows: Sequence[tuple[Any, ...]]) -> int:
        if not rows:
            return 0
        # New data is the common case: COPY straight into the table, as fast as PostgreSQL
        # loads. A repeated id aborts that COPY; then the savepoint is rolled back and the
        # batch goes through a temp table and ON CONFLICT DO NOTHING instead.
        _, columns = TABLES[table]
        cur = self._cursor()
        cur.execute("SAVEPOINT elmon_copy")
        try:
            with cur.copy(f"COPY {table} ({','.join(columns)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
        except psycopg.errors.UniqueViolation:
            cur.execute("ROLLBACK TO SAVEPOINT elmon_copy")
            cur.close()
            return self._insert_new_only(table, rows)
        cur.execute("RELEASE SAVEPOINT elmon_copy")
        cur.close()
        self._after_load(table, len(rows))
        return len(rows)

    def _insert_new_only(self, table: str, rows: Sequence[tuple[Any, ...]]) -> int:
        key, columns = TABLES[table]
        temp = f"_load_{table}"
        cols = ",".join(columns)
        cur = self._cursor()
        # Every time, not once per connection: a temp table created inside a savepoint that
        # was rolled back (a failed file) no longer exists.
        cur.execute(
            f"CREATE TEMP TABLE IF NOT EXISTS {temp} "
            f"(LIKE {table} INCLUDING DEFAULTS) ON COMMIT DELETE ROWS"
        )
        cur.execute(f"TRUNCATE {temp}")
        with cur.copy(f"COPY {temp} ({cols}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)
        cur.execute(
            f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {temp} ON CONFLICT ({key}) DO NOTHING"
        )
        count: int = cur.rowcount
        cur.close()
        self._after_load(table, count)
        return count

    def stored_raw(self, table: str, ids: Sequence[str]) -> dict[str, Any]:
        key, _ = TABLES[table]
        cur = self._cursor()
        cur.execute(f"SELECT {key}, raw_data FROM {table} WHERE {key} = ANY(%s)", (list(ids),))
        found = dict(cur.fetchall())
        cur.close()
        return found


def writer_for(conn: Connection) -> BatchWriter:
    """The fastest writer for the connection's database."""
    if conn.dialect.name == "sqlite":
        return SQLiteWriter(conn)
    if conn.dialect.name == "postgresql":
        return PostgresWriter(conn)
    raise InvalidInputError(f"bulk load supports SQLite and PostgreSQL, not {conn.dialect.name}")
