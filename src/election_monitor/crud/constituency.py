"""Named queries on constituencies."""

from __future__ import annotations

from election_monitor.crud.base import BaseCRUD
from election_monitor.models import Constituency
from election_monitor.schemas import ConstituencyCreate, ConstituencyUpdate
from election_monitor.timeutil import utcnow


def participation(votes: int, registered: int) -> float:
    """Votes as a percentage of registered voters; 0 when nobody is registered."""
    return round(100.0 * votes / registered, 4) if registered > 0 else 0.0


class ConstituencyCRUD(BaseCRUD[Constituency, ConstituencyCreate, ConstituencyUpdate]):
    """CRUD operations for Constituency model."""

    model = Constituency

    def get_by_election(self, *, election_id: str) -> list[Constituency]:
        """Get constituencies by election ID."""
        return self._all(self._select().where(Constituency.election_id == election_id))

    def get_by_region(self, *, region: str) -> list[Constituency]:
        """Get constituencies by region."""
        return self._all(self._select().where(Constituency.region == region))

    def get_by_status(self, *, status: str) -> list[Constituency]:
        """Get constituencies by status."""
        return self._all(self._select().where(Constituency.status == status))

    def get_by_type(self, *, type: str) -> list[Constituency]:
        """Get constituencies by type."""
        return self._all(self._select().where(Constituency.type == type))

    def update_metrics(self, *, id: str, bulletins: int, votes: int) -> Constituency:
        """Set the totals and recompute participation (votes / registered voters, in %)."""
        obj = self.get_or_raise(id)
        obj.bulletins_issued = bulletins
        obj.votes_cast = votes
        obj.participation_rate = participation(votes, obj.registered_voters or 0)
        obj.last_update_time = utcnow()
        self.db.commit()
        self.db.refresh(obj)
        return obj

    def filtered(
        self,
        *,
        election_id: str | None = None,
        region: str | None = None,
        status: str | None = None,
        type: str | None = None,
        limit: int | None = None,
    ) -> list[Constituency]:
        """Constituencies matching every filter given (an addition for lists and the API)."""
        stmt = self._select()
        for column, value in (
            (Constituency.election_id, election_id),
            (Constituency.region, region),
            (Constituency.status, status),
            (Constituency.type, type),
        ):
            if value is not None:
                stmt = stmt.where(column == value)
        return self._all(stmt if limit is None else stmt.limit(max(limit, 0)))
