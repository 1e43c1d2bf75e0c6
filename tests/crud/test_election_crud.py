"""ElectionCRUD: create and update through schemas, and the named queries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session

from election_monitor.crud import ElectionCRUD
from election_monitor.schemas import ElectionCreate, ElectionResponse, ElectionUpdate
from tests.factories import T0, make_election

DAY = timedelta(days=1)


def test_create_from_schema_stores_every_field(db: Session) -> None:
    created = ElectionCRUD(db).create(
        ElectionCreate(
            name="Governor 2026",
            start_date=datetime(2026, 9, 18, 5),
            end_date=datetime(2026, 9, 20, 18),
            status="upcoming",
            total_constituencies=12,
        )
    )
    db.expire_all()
    stored = ElectionCRUD(db).get_or_raise(created.id)
    assert stored.name == "Governor 2026"
    assert stored.start_date == datetime(2026, 9, 18, 5, tzinfo=UTC)
    assert stored.end_date == datetime(2026, 9, 20, 18, tzinfo=UTC)
    assert stored.status == "upcoming"
    assert stored.total_constituencies == 12


def test_response_validates_the_stored_election(db: Session) -> None:
    election = make_election(db, name="Mayor")
    response = ElectionResponse.model_validate(election)
    assert (response.id, response.name, response.status) == (election.id, "Mayor", "active")
    assert response.created_at == election.created_at


def test_update_from_schema_changes_only_the_fields_set(db: Session) -> None:
    election = make_election(db, name="Old name", total_constituencies=3)
    ElectionCRUD(db).update(db_obj=election, obj_in=ElectionUpdate(status="completed"))
    db.expire_all()
    stored = ElectionCRUD(db).get_or_raise(election.id)
    assert stored.status == "completed"
    assert stored.name == "Old name"
    assert stored.total_constituencies == 3
    assert stored.start_date == T0


def test_update_from_dict_changes_only_its_keys(db: Session) -> None:
    election = make_election(db, status="upcoming")
    ElectionCRUD(db).update(db_obj=election, obj_in={"total_constituencies": 7})
    db.expire_all()
    stored = ElectionCRUD(db).get_or_raise(election.id)
    assert (stored.total_constituencies, stored.status) == (7, "upcoming")


def test_get_by_name_finds_the_election(db: Session) -> None:
    make_election(db, name="Other")
    wanted = make_election(db, name="Moscow City Duma")
    assert ElectionCRUD(db).get_by_name(name="Moscow City Duma") is wanted


def test_get_by_name_returns_none_when_absent(db: Session) -> None:
    make_election(db, name="Other")
    assert ElectionCRUD(db).get_by_name(name="Moscow City Duma") is None


def test_get_by_name_returns_the_oldest_of_namesakes(db: Session) -> None:
    newer = make_election(db, name="By-election", created_at=T0 + DAY)
    older = make_election(db, name="By-election", created_at=T0)
    assert ElectionCRUD(db).get_by_name(name="By-election") is older
    assert newer is not older


def test_get_active_elections_returns_only_active_ones(db: Session) -> None:
    active = [make_election(db, created_at=T0 + timedelta(seconds=i)) for i in range(2)]
    make_election(db, status="completed")
    make_election(db, status="upcoming")
    assert ElectionCRUD(db).get_active_elections() == active


def test_get_active_elections_is_empty_without_active_elections(db: Session) -> None:
    make_election(db, status="completed")
    assert ElectionCRUD(db).get_active_elections() == []


@pytest.mark.parametrize(
    ("start", "end", "found"),
    [
        (T0 + DAY, T0 + 2 * DAY, True),  # inside the range
        (T0 - DAY, T0 + DAY, True),  # overlaps the range's start
        (T0 + 2 * DAY, T0 + 5 * DAY, True),  # overlaps the range's end
        (T0 - DAY, T0 + 5 * DAY, True),  # covers the whole range
        (T0 - 2 * DAY, T0, True),  # ends exactly when the range starts
        (T0 + 3 * DAY, T0 + 4 * DAY, True),  # starts exactly when the range ends
        (T0 - 3 * DAY, T0 - DAY, False),  # entirely before
        (T0 + 4 * DAY, T0 + 5 * DAY, False),  # entirely after
    ],
)
def test_get_by_date_range_returns_elections_overlapping_the_range(
    db: Session, start: datetime, end: datetime, found: bool
) -> None:
    election = make_election(db, start_date=start, end_date=end)
    result = ElectionCRUD(db).get_by_date_range(start_date=T0, end_date=T0 + 3 * DAY)
    assert (election in result) is found


def test_get_by_date_range_treats_naive_bounds_as_utc(db: Session) -> None:
    election = make_election(db, start_date=T0, end_date=T0 + DAY)
    naive_start = (T0 + DAY).replace(tzinfo=None)
    result = ElectionCRUD(db).get_by_date_range(start_date=naive_start, end_date=naive_start + DAY)
    assert result == [election]
