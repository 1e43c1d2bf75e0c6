"""BaseCRUD's seed methods, run through each of the six CRUD classes."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from election_monitor.crud import (
    MAX_LIMIT,
    AlertCRUD,
    BaseCRUD,
    ConstituencyCRUD,
    ElectionCRUD,
    FileProcessingJobCRUD,
    HourlyStatsCRUD,
    TransactionCRUD,
)
from election_monitor.exceptions import ConflictError, InvalidInputError, NotFoundError
from election_monitor.models import Election
from tests.factories import (
    T0,
    make_alert,
    make_constituency,
    make_election,
    make_hourly_stats,
    make_job,
    make_transaction,
)


@dataclass(frozen=True)
class Case:
    """One CRUD class, how to make a row for it, and a field to change."""

    crud: type[BaseCRUD[Any, Any, Any]]
    make: Callable[..., Any]
    field: str
    value: Any

    def __str__(self) -> str:
        return self.crud.__name__


CASES = [
    Case(ElectionCRUD, make_election, "name", "Renamed election"),
    Case(ConstituencyCRUD, make_constituency, "region", "50"),
    Case(TransactionCRUD, make_transaction, "block_height", 99),
    Case(AlertCRUD, make_alert, "assigned_to", "anna"),
    Case(HourlyStatsCRUD, make_hourly_stats, "votes_cast", 42),
    Case(FileProcessingJobCRUD, make_job, "details", "3 rows rejected"),
]

each_crud = pytest.mark.parametrize("case", CASES, ids=str)


@each_crud
def test_get_returns_the_record(db: Session, case: Case) -> None:
    obj = case.make(db)
    assert case.crud(db).get(obj.id) is obj


@each_crud
def test_get_returns_none_for_a_missing_id(db: Session, case: Case) -> None:
    assert case.crud(db).get("no-such-id") is None


@each_crud
def test_get_or_raise_names_entity_and_id(db: Session, case: Case) -> None:
    with pytest.raises(NotFoundError) as exc_info:
        case.crud(db).get_or_raise("no-such-id")
    assert exc_info.value.entity == case.crud.model.__name__
    assert exc_info.value.id == "no-such-id"
    assert str(exc_info.value) == f"{case.crud.model.__name__} 'no-such-id' not found"


@each_crud
def test_get_multi_returns_every_record_up_to_the_default_limit(db: Session, case: Case) -> None:
    made = [case.make(db) for _ in range(3)]
    assert {obj.id for obj in case.crud(db).get_multi()} == {obj.id for obj in made}


@each_crud
def test_update_with_a_dict_changes_only_its_fields(db: Session, case: Case) -> None:
    obj = case.make(db)
    # Columns stamped on every update (onupdate) are not "other fields".
    untouched = [c.key for c in obj.__table__.columns if c.key != case.field and c.onupdate is None]
    before = {key: getattr(obj, key) for key in untouched}
    updated = case.crud(db).update(db_obj=obj, obj_in={case.field: case.value})
    db.expire_all()
    stored = case.crud(db).get_or_raise(updated.id)
    assert getattr(stored, case.field) == case.value
    assert {key: getattr(stored, key) for key in before} == before


@each_crud
def test_update_rejects_an_unknown_field(db: Session, case: Case) -> None:
    obj = case.make(db)
    with pytest.raises(InvalidInputError, match="has no field 'colour'"):
        case.crud(db).update(db_obj=obj, obj_in={"colour": "red"})


@each_crud
def test_delete_returns_the_record_and_removes_it(db: Session, case: Case) -> None:
    obj = case.make(db)
    deleted = case.crud(db).delete(id=obj.id)
    assert deleted.id == obj.id
    db.expire_all()
    assert case.crud(db).get(obj.id) is None


@each_crud
def test_delete_of_a_missing_id_raises_not_found(db: Session, case: Case) -> None:
    with pytest.raises(NotFoundError, match="'no-such-id' not found") as exc_info:
        case.crud(db).delete(id="no-such-id")
    assert exc_info.value.entity == case.crud.model.__name__


@each_crud
def test_get_multi_rejects_negative_skip(db: Session, case: Case) -> None:
    with pytest.raises(InvalidInputError, match="skip must be >= 0, got -1"):
        case.crud(db).get_multi(skip=-1)


@each_crud
def test_get_multi_rejects_negative_limit(db: Session, case: Case) -> None:
    with pytest.raises(InvalidInputError, match="limit must be >= 0, got -5"):
        case.crud(db).get_multi(limit=-5)


def test_get_multi_pages_in_creation_order(db: Session) -> None:
    elections = [make_election(db, created_at=T0 + timedelta(seconds=i)) for i in range(5)]
    crud = ElectionCRUD(db)
    assert crud.get_multi() == elections
    assert crud.get_multi(skip=1, limit=2) == elections[1:3]
    assert crud.get_multi(skip=4, limit=10) == elections[4:]
    assert crud.get_multi(skip=5) == []
    assert crud.get_multi(limit=0) == []


def test_get_multi_defaults_to_a_hundred_records(db: Session) -> None:
    rows = [
        {"name": f"e{i}", "start_date": T0, "end_date": T0 + timedelta(days=1)} for i in range(101)
    ]
    db.execute(insert(Election), rows)
    assert len(ElectionCRUD(db).get_multi()) == 100


def test_get_multi_clamps_limit_to_max_limit(db: Session) -> None:
    rows = [
        {"name": f"e{i}", "start_date": T0, "end_date": T0 + timedelta(days=1)}
        for i in range(MAX_LIMIT + 1)
    ]
    db.execute(insert(Election), rows)
    assert db.scalar(select(func.count()).select_from(Election)) == MAX_LIMIT + 1
    assert len(ElectionCRUD(db).get_multi(limit=MAX_LIMIT + 500)) == MAX_LIMIT
    assert len(ElectionCRUD(db).get_multi(skip=MAX_LIMIT, limit=MAX_LIMIT)) == 1


def test_create_accepts_a_dict(db: Session) -> None:
    election = ElectionCRUD(db).create(
        {"name": "By dict", "start_date": T0, "end_date": T0 + timedelta(days=1)}
    )
    db.expire_all()
    assert ElectionCRUD(db).get_or_raise(election.id).name == "By dict"


def test_delete_of_a_referenced_record_raises_conflict_and_keeps_it(db: Session) -> None:
    constituency = make_constituency(db)
    with pytest.raises(ConflictError, match=f"Election '{constituency.election_id}' is still"):
        ElectionCRUD(db).delete(id=constituency.election_id)
    db.expire_all()
    assert ElectionCRUD(db).get(constituency.election_id) is not None
    assert ConstituencyCRUD(db).get_or_raise(constituency.id).election_id is not None
