"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, TypeEngine

from election_monitor.timeutil import ensure_utc


def json_type() -> TypeEngine[Any]:
    """JSON on SQLite, JSONB on PostgreSQL (queries on raw_data/operation_data want JSONB).

    A new type object per column: ``MutableList.as_mutable`` tracks the columns declared with
    its exact type instance, so one shared instance would make every JSON column list-only.
    """
    return JSON().with_variant(JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that always comes back timezone-aware UTC.

    PostgreSQL stores ``timestamptz``; SQLite has no zone, so UTC is stored naive
    (``YYYY-MM-DD HH:MM:SS.ffffff``) and the zone re-attached on load.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = ensure_utc(value)
        if dialect.name == "sqlite":
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return ensure_utc(value)
