"""Database foundations: declarative base, column types, engine and sessions."""

from election_monitor.db.base import Base, TimestampMixin, UUIDMixin
from election_monitor.db.session import SessionLocal, get_db, get_engine, session_scope

__all__ = [
    "Base",
    "SessionLocal",
    "TimestampMixin",
    "UUIDMixin",
    "get_db",
    "get_engine",
    "session_scope",
]
