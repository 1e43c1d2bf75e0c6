"""ConstituencyCRUD: the contract address as id, the filters and update_metrics."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from election_monitor.crud import ConstituencyCRUD
from election_monitor.exceptions import NotFoundError
from election_monitor.schemas import ConstituencyCreate, ConstituencyResponse, ConstituencyUpdate
from election_monitor.timeutil import utcnow
from tests.factories import T0, make_constituency, make_election


def test_create_from_schema_keeps_the_contract_address_as_id(db: Session) -> None:
    election = make_election(db)
    created = ConstituencyCRUD(db).create(
        ConstituencyCreate(
            id="3NBVqYXrapgJP9atQccdBPAgJPwHDKkh6A8",
            election_id=election.id,
            name="District 5",
            region="77",
            type="suburban",
            registered_voters=2500,
        )
    )
    db.expire_all()
    stored = ConstituencyCRUD(db).get_or_raise("3NBVqYXrapgJP9atQccdBPAgJPwHDKkh6A8")
    assert stored.id == created.id
    assert (stored.name, stored.region, stored.type) == ("District 5", "77", "suburban")
    assert (stored.registered_voters, stored.status) == (2500, "active")


def test_response_validates_the_stored_constituency(db: Session) -> None:
    constituency = make_constituency(db)
    response = ConstituencyResponse.model_validate(constituency)
    assert response.id == constituency.id
    assert (response.bulletins_issued, response.votes_cast) == (0, 0)
    assert response.last_update_time == constituency.last_update_time


def test_update_from_schema_changes_only_the_fields_set(db: Session) -> None:
    constituency = make_constituency(db, name="District 1", type="urban")
    ConstituencyCRUD(db).update(
        db_obj=constituency, obj_in=ConstituencyUpdate(status="offline", anomaly_score=0.8)
    )
    db.expire_all()
    stored = ConstituencyCRUD(db).get_or_raise(constituency.id)
    assert (stored.status, stored.anomaly_score) == ("offline", 0.8)
    assert (stored.name, stored.type, stored.registered_voters) == ("District 1", "urban", 1000)


def test_get_by_election_returns_that_elections_constituencies(db: Session) -> None:
    election = make_election(db)
    mine = [
        make_constituency(db, election_id=election.id, created_at=T0 + timedelta(seconds=i))
        for i in range(2)
    ]
    make_constituency(db)
    assert ConstituencyCRUD(db).get_by_election(election_id=election.id) == mine
    assert ConstituencyCRUD(db).get_by_election(election_id="no-such-election") == []


def test_get_by_region_filters_on_region(db: Session) -> None:
    moscow = make_constituency(db, region="77")
    make_constituency(db, region="78")
    assert ConstituencyCRUD(db).get_by_region(region="77") == [moscow]


def test_get_by_status_filters_on_status(db: Session) -> None:
    offline = make_constituency(db, status="offline")
    make_constituency(db)
    assert ConstituencyCRUD(db).get_by_status(status="offline") == [offline]
    assert ConstituencyCRUD(db).get_by_status(status="completed") == []


def test_get_by_type_filters_on_type(db: Session) -> None:
    rural = make_constituency(db, type="rural")
    make_constituency(db, type="urban")
    assert ConstituencyCRUD(db).get_by_type(type="rural") == [rural]


def test_update_metrics_sets_totals_and_recomputes_participation_rate(db: Session) -> None:
    constituency = make_constituency(db, registered_voters=800)
    ConstituencyCRUD(db).update_metrics(id=constituency.id, bulletins=420, votes=400)
    db.expire_all()
    stored = ConstituencyCRUD(db).get_or_raise(constituency.id)
    assert (stored.bulletins_issued, stored.votes_cast) == (420, 400)
    assert stored.participation_rate == 50.0


def test_update_metrics_rounds_participation_rate_to_four_places(db: Session) -> None:
    constituency = make_constituency(db, registered_voters=3)
    updated = ConstituencyCRUD(db).update_metrics(id=constituency.id, bulletins=1, votes=1)
    assert updated.participation_rate == 33.3333


def test_update_metrics_without_registered_voters_gives_zero_participation(db: Session) -> None:
    constituency = make_constituency(db, registered_voters=0)
    updated = ConstituencyCRUD(db).update_metrics(id=constituency.id, bulletins=5, votes=5)
    assert updated.participation_rate == 0.0


def test_update_metrics_replaces_rather_than_adds(db: Session) -> None:
    constituency = make_constituency(db)
    crud = ConstituencyCRUD(db)
    crud.update_metrics(id=constituency.id, bulletins=10, votes=8)
    updated = crud.update_metrics(id=constituency.id, bulletins=12, votes=9)
    assert (updated.bulletins_issued, updated.votes_cast) == (12, 9)


def test_update_metrics_stamps_last_update_time(db: Session) -> None:
    constituency = make_constituency(db, last_update_time=T0)
    before = utcnow()
    updated = ConstituencyCRUD(db).update_metrics(id=constituency.id, bulletins=1, votes=0)
    assert updated.last_update_time >= before - timedelta(seconds=1)


def test_update_metrics_of_a_missing_id_raises_not_found(db: Session) -> None:
    with pytest.raises(NotFoundError, match="Constituency '3Nmissing' not found"):
        ConstituencyCRUD(db).update_metrics(id="3Nmissing", bulletins=1, votes=1)
