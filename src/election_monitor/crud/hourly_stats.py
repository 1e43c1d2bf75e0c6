"""Named queries on hourly statistics."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from election_monitor.crud.base import BaseCRUD, OrderBy
from election_monitor.models import HourlyStats
from election_monitor.schemas import HourlyStatsCreate


class HourlyStatsCRUD(BaseCRUD[HourlyStats, HourlyStatsCreate, BaseModel]):
    """CRUD operations for HourlyStats model."""

    model = HourlyStats

    def _order(self) -> list[OrderBy]:
        return [HourlyStats.hour, HourlyStats.constituency_id]

    def get_by_constituency(self, *, constituency_id: str) -> list[HourlyStats]:
        """Get hourly stats by constituency ID, oldest hour first."""
        return self._all(self._select().where(HourlyStats.constituency_id == constituency_id))

    def get_by_hour_range(self, *, start_hour: datetime, end_hour: datetime) -> list[HourlyStats]:
        """Get hourly stats with start_hour <= hour <= end_hour."""
        return self._all(
            self._select().where(HourlyStats.hour >= start_hour, HourlyStats.hour <= end_hour)
        )

    def get_latest_for_constituency(self, *, constituency_id: str) -> HourlyStats | None:
        """Get the newest hour's stats for a constituency."""
        stmt = (
            self._select()
            .where(HourlyStats.constituency_id == constituency_id)
            .order_by(None)
            .order_by(HourlyStats.hour.desc())
        )
        return self._first(stmt)
