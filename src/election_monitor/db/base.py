"""Declarative ``Base`` with a naming convention, and the seed's two mixins."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from election_monitor.db.types import UTCDateTime
from election_monitor.timeutil import utcnow

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class for all SQLAlchemy models."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def new_uuid() -> str:
    """A fresh random UUID as text (the seed's primary-key default)."""
    return str(uuid.uuid4())


class TimestampMixin:
    """Mixin to add created_at timestamp to models."""

    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, nullable=True)


class UUIDMixin:
    """Mixin to add UUID primary key to models."""

    id: Mapped[str] = mapped_column(String, primary_key=True, default=new_uuid)
