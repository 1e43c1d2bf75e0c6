"""Which election new constituencies belong to: named, or the only one there is."""

from __future__ import annotations

from sqlalchemy import Connection, select

from election_monitor.exceptions import InvalidInputError, NotFoundError
from election_monitor.models import Election

HOW_TO_CREATE = (
    "create one with `elmon elections create --name NAME --start ISO --end ISO "
    "[--timezone IANA]` and pass its id with --election-id"
)


def resolve_election_id(conn: Connection, election_id: str | None) -> str:
    """The given election (it must exist), or the single election in the database."""
    if election_id is not None:
        found = conn.scalar(select(Election.id).where(Election.id == election_id))
        if found is None:
            raise NotFoundError("Election", election_id)
        return election_id
    ids = list(conn.scalars(select(Election.id).order_by(Election.created_at)))
    if len(ids) == 1:
        return ids[0]
    if not ids:
        raise InvalidInputError(
            f"the data names constituencies but no election exists: {HOW_TO_CREATE}"
        )
    raise InvalidInputError(
        f"the data names new constituencies and {len(ids)} elections exist; "
        f"pass --election-id (one of: {', '.join(ids)})"
    )
