"""Transactions and hourly statistics (read only: they come from ingest)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from election_monitor.api.deps import DbSession, Paging, Viewer
from election_monitor.api.pagination import Page, json_response, make_page
from election_monitor.api.routes._common import API_PREFIX, READ, READ_ONE, sort_query
from election_monitor.crud import TransactionCRUD
from election_monitor.dashboard import lists
from election_monitor.dashboard.paging import sort_values
from election_monitor.enums import TransactionType
from election_monitor.schemas import HourlyStatsResponse, TransactionResponse
from election_monitor.schemas.base import UTCDatetime

router = APIRouter(prefix=API_PREFIX, tags=["transactions"])
TX_SORTS = sort_values(lists.TRANSACTION_SORT)
HOURLY_SORTS = sort_values(lists.HOURLY_SORT)
HEIGHT = Query(ge=0, le=2**63 - 1)


@router.get(
    "/transactions",
    response_model=Page[TransactionResponse],
    summary="List transactions",
    responses=READ,
)
def list_transactions(
    principal: Viewer,
    db: DbSession,
    window: Paging,
    constituency_id: Annotated[str | None, Query()] = None,
    type: Annotated[TransactionType | None, Query()] = None,
    start_time: Annotated[UTCDatetime | None, Query(description="from (inclusive)")] = None,
    end_time: Annotated[UTCDatetime | None, Query(description="until (exclusive)")] = None,
    block_height: Annotated[int | None, HEIGHT] = None,
    min_block_height: Annotated[int | None, HEIGHT] = None,
    max_block_height: Annotated[int | None, HEIGHT] = None,
    sort: Annotated[str, Query(**sort_query(TX_SORTS, "timestamp"))] = "timestamp",
) -> Response:
    items, total = lists.transactions(
        db,
        window,
        constituency_id=constituency_id,
        type=type,
        start_time=start_time,
        end_time=end_time,
        block_height=block_height,
        min_block_height=min_block_height,
        max_block_height=max_block_height,
        sort=sort,
    )
    return json_response(
        make_page([TransactionResponse.model_validate(t) for t in items], total, window)
    )


@router.get(
    "/transactions/{transaction_id}",
    response_model=TransactionResponse,
    summary="Show a transaction (id: the chain's transaction id)",
    responses=READ_ONE,
)
def get_transaction(transaction_id: str, principal: Viewer, db: DbSession) -> TransactionResponse:
    return TransactionResponse.model_validate(TransactionCRUD(db).get_or_raise(transaction_id))


@router.get(
    "/hourly-stats",
    response_model=Page[HourlyStatsResponse],
    summary="List hourly statistics",
    responses=READ,
)
def list_hourly_stats(
    principal: Viewer,
    db: DbSession,
    window: Paging,
    constituency_id: Annotated[str | None, Query()] = None,
    election_id: Annotated[str | None, Query()] = None,
    start_hour: Annotated[UTCDatetime | None, Query(description="from (inclusive)")] = None,
    end_hour: Annotated[UTCDatetime | None, Query(description="until (inclusive)")] = None,
    sort: Annotated[str, Query(**sort_query(HOURLY_SORTS, "hour"))] = "hour",
) -> Response:
    items, total = lists.hourly_stats(
        db,
        window,
        constituency_id=constituency_id,
        election_id=election_id,
        start_hour=start_hour,
        end_hour=end_hour,
        sort=sort,
    )
    return json_response(
        make_page([HourlyStatsResponse.model_validate(h) for h in items], total, window)
    )
