"""Named queries on elections."""

from __future__ import annotations

from datetime import datetime

from election_monitor.crud.base import BaseCRUD
from election_monitor.enums import ElectionStatus
from election_monitor.models import Election
from election_monitor.schemas import ElectionCreate, ElectionUpdate


class ElectionCRUD(BaseCRUD[Election, ElectionCreate, ElectionUpdate]):
    """CRUD operations for Election model."""

    model = Election

    def get_by_name(self, *, name: str) -> Election | None:
        """Get an election by name (the oldest, if several share it)."""
        return self._first(self._select().where(Election.name == name))

    def get_active_elections(self) -> list[Election]:
        """Get all active elections."""
        return self._all(self._select().where(Election.status == ElectionStatus.ACTIVE))

    def get_by_date_range(self, *, start_date: datetime, end_date: datetime) -> list[Election]:
        """Get elections that overlap the range [start_date, end_date]."""
        return self._all(
            self._select().where(Election.start_date <= end_date, Election.end_date >= start_date)
        )
