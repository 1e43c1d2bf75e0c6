"""TransactionCRUD: chain ids, chain-time order and the named queries."""

from __future__ import annotations

import uuid
from datetime import timedelta

from sqlalchemy.orm import Session

from election_monitor.crud import TransactionCRUD
from election_monitor.schemas import TransactionCreate, TransactionResponse
from tests.factories import T0, make_constituency, make_transaction

HOUR = timedelta(hours=1)


def tx_create(constituency_id: str, **overrides: object) -> TransactionCreate:
    data: dict[str, object] = {
        "constituency_id": constituency_id,
        "block_height": 5,
        "timestamp": T0,
        "type": "blindSigIssue",
        "raw_data": {"operation": "blindSigIssue"},
    }
    return TransactionCreate.model_validate(data | overrides)


def test_create_keeps_the_chain_transaction_id(db: Session) -> None:
    constituency = make_constituency(db)
    created = TransactionCRUD(db).create(tx_create(constituency.id, id="5KxChainId"))
    db.expire_all()
    stored = TransactionCRUD(db).get_or_raise("5KxChainId")
    assert stored.id == created.id == "5KxChainId"
    assert stored.raw_data == {"operation": "blindSigIssue"}
    assert stored.operation_data is None


def test_create_without_id_mints_a_uuid(db: Session) -> None:
    constituency = make_constituency(db)
    created = TransactionCRUD(db).create(tx_create(constituency.id))
    assert uuid.UUID(created.id).version == 4


def test_create_from_dict_with_operation_data(db: Session) -> None:
    constituency = make_constituency(db)
    created = TransactionCRUD(db).create(
        {
            "constituency_id": constituency.id,
            "block_height": 6,
            "timestamp": T0,
            "type": "vote",
            "raw_data": {"operation": "vote"},
            "operation_data": {"vote": [0, 1]},
        }
    )
    db.expire_all()
    assert TransactionCRUD(db).get_or_raise(created.id).operation_data == {"vote": [0, 1]}


def test_response_validates_the_stored_transaction(db: Session) -> None:
    tx = make_transaction(db, block_height=11)
    response = TransactionResponse.model_validate(tx)
    assert (response.id, response.block_height, response.type) == (tx.id, 11, "vote")
    assert response.timestamp == T0


def test_get_multi_orders_by_chain_time(db: Session) -> None:
    constituency = make_constituency(db)
    late = make_transaction(db, constituency_id=constituency.id, timestamp=T0 + HOUR)
    early = make_transaction(db, constituency_id=constituency.id, timestamp=T0)
    assert TransactionCRUD(db).get_multi() == [early, late]
    assert TransactionCRUD(db).get_multi(skip=1, limit=1) == [late]


def test_get_by_constituency_returns_its_transactions_in_time_order(db: Session) -> None:
    constituency = make_constituency(db)
    second = make_transaction(db, constituency_id=constituency.id, timestamp=T0 + HOUR)
    first = make_transaction(db, constituency_id=constituency.id, timestamp=T0)
    make_transaction(db)
    assert TransactionCRUD(db).get_by_constituency(constituency_id=constituency.id) == [
        first,
        second,
    ]


def test_get_by_type_filters_on_type(db: Session) -> None:
    constituency = make_constituency(db)
    issue = make_transaction(db, constituency_id=constituency.id, type="blindSigIssue")
    vote = make_transaction(db, constituency_id=constituency.id, type="vote")
    assert TransactionCRUD(db).get_by_type(type="blindSigIssue") == [issue]
    assert TransactionCRUD(db).get_by_type(type="vote") == [vote]


def test_get_by_time_range_includes_start_and_excludes_end(db: Session) -> None:
    constituency = make_constituency(db)
    at = {
        offset: make_transaction(db, constituency_id=constituency.id, timestamp=T0 + offset)
        for offset in (-timedelta(microseconds=1), timedelta(0), HOUR / 2, HOUR)
    }
    result = TransactionCRUD(db).get_by_time_range(start_time=T0, end_time=T0 + HOUR)
    assert result == [at[timedelta(0)], at[HOUR / 2]]


def test_get_by_block_height_returns_every_transaction_in_the_block(db: Session) -> None:
    constituency = make_constituency(db)
    in_block = [
        make_transaction(
            db, constituency_id=constituency.id, block_height=1_000, timestamp=T0 + i * HOUR
        )
        for i in range(2)
    ]
    make_transaction(db, constituency_id=constituency.id, block_height=1_001)
    assert TransactionCRUD(db).get_by_block_height(block_height=1_000) == in_block
    assert TransactionCRUD(db).get_by_block_height(block_height=7) == []


def test_block_height_holds_heights_beyond_32_bits(db: Session) -> None:
    tx = make_transaction(db, block_height=2**40)
    assert TransactionCRUD(db).get_by_block_height(block_height=2**40) == [tx]
