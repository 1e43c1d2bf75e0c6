"""The last check a record passes before anything is derived from it or stored.

Readers bound what a *line* may hold; this gate bounds what a *record* may mean to the rest of
the system, the same way for every format:

- **plausible time** (``timestamp_out_of_range``): the sender's timestamp lies in the election's
  window widened by a margin (settings ``ingest_time_margin_before_hours`` /
  ``_after_hours``; a day before the start, a week after the end). One row dated 2090 or 1970
  would otherwise stretch every hourly series and detection frame over decades;
- **ids fit an index** (``field_too_long``): transaction, contract and sender ids and the
  operation name are at most :data:`MAX_ID_CHARS` (PostgreSQL cannot index longer keys);
- **storable text** (``nul_character``): no NUL anywhere in the record (PostgreSQL text and
  JSONB refuse it; SQLite would take it, and both databases must end the same).

Without an election the window is only what a timestamp can represent (1970 to 9999).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import orjson
from sqlalchemy import Connection, func, select

from election_monitor.ingest.limits import FIELD_TOO_LONG, TIMESTAMP_OUT_OF_RANGE, shown
from election_monitor.ingest.records import ChainRecord, RowError
from election_monitor.models import Election

MAX_ID_CHARS = 512
NUL_CHARACTER = "nul_character"
#: A JSON ``\u0000`` escape (not one whose backslash is itself escaped).
_NUL_ESCAPE = re.compile(r"(?<!\\)(?:\\\\)*\\u0000")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MS = timedelta(milliseconds=1)
#: The last millisecond a datetime can hold (9999-12-31T23:59:59.999Z).
LAST_REPRESENTABLE_MS = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - _EPOCH) // _MS


def _iso(ms: int) -> str:
    if 0 <= ms <= LAST_REPRESENTABLE_MS:
        return (_EPOCH + ms * _MS).isoformat(timespec="seconds").replace("+00:00", "Z")
    return "beyond year 9999"


@dataclass(frozen=True, slots=True)
class TimeWindow:
    """The epoch-millisecond range a row's timestamp must fall in (both ends included)."""

    first_ms: int = 0
    last_ms: int = LAST_REPRESENTABLE_MS

    def describe(self) -> str:
        return f"{_iso(self.first_ms)}..{_iso(self.last_ms)}"


def election_window(
    conn: Connection,
    election_id: str | None,
    *,
    before_hours: float | None = None,
    after_hours: float | None = None,
) -> TimeWindow:
    """The window of the named election (or of every election, when none is named), widened
    by the margins (default: the settings)."""
    if before_hours is None or after_hours is None:
        from election_monitor.config import get_settings

        settings = get_settings()
        before_hours = settings.ingest_time_margin_before_hours
        after_hours = settings.ingest_time_margin_after_hours
    query = select(func.min(Election.start_date), func.max(Election.end_date))
    if election_id is not None:
        query = query.where(Election.id == election_id)
    start, end = conn.execute(query).one()
    if start is None or end is None:
        return TimeWindow()
    if isinstance(start, str):  # SQLite aggregates hand back the stored text
        start, end = (datetime.fromisoformat(v) for v in (start, end))
    first = (_utc(start) - timedelta(hours=before_hours) - _EPOCH) // _MS
    last = (_utc(end) + timedelta(hours=after_hours) - _EPOCH) // _MS
    return TimeWindow(max(first, 0), min(last, LAST_REPRESENTABLE_MS))


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def check(record: ChainRecord, raw_json: str, window: TimeWindow) -> RowError | None:
    """The rejection of a record the rest of the system must not see, or None."""
    ts = record.ts_ms
    if not window.first_ms <= ts <= window.last_ms:
        return _reject(
            record,
            raw_json,
            f"{TIMESTAMP_OUT_OF_RANGE}: ts {ts} ({_iso(ts)}) is outside the election window "
            f"with its margins ({window.describe()})",
        )
    for what, value in (
        ("transaction id", record.tx_id),
        ("contract id", record.contract_id),
        ("sender", record.sender),
        ("operation", record.operation),
    ):
        if value is not None and len(value) > MAX_ID_CHARS:
            return _reject(
                record,
                raw_json,
                f"{FIELD_TOO_LONG}: {what} {shown(value)} is longer than {MAX_ID_CHARS}",
            )
    if ("\\u0000" in raw_json and _NUL_ESCAPE.search(raw_json)) or "\x00" in record.source:
        return _reject(record, raw_json, f"{NUL_CHARACTER}: the record holds a NUL (0x00)")
    return None


def _reject(record: ChainRecord, raw_json: str, reason: str) -> RowError:
    return RowError(record.source, record.line, reason, raw_json, tx_id=None)


def record_text(record: ChainRecord) -> str:
    """A record's raw content as JSON text (what is stored, and shown when it is rejected)."""
    return orjson.dumps(record.raw).decode()
