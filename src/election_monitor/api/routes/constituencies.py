"""Constituencies: list, create, show, change, and their hourly series."""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated

from fastapi import APIRouter, Query, Response
from starlette.status import HTTP_201_CREATED

from election_monitor.accounts import audit
from election_monitor.api.deps import DbSession, Lead, Paging, Viewer
from election_monitor.api.pagination import Page, json_response, make_page
from election_monitor.api.routes._common import (
    API_PREFIX,
    CHANGE,
    READ,
    READ_ONE,
    apply_changes,
    sort_query,
)
from election_monitor.crud import ConstituencyCRUD, ElectionCRUD
from election_monitor.crud.constituency import participation
from election_monitor.dashboard import lists
from election_monitor.dashboard.expected import constituency_expected
from election_monitor.dashboard.paging import sort_values
from election_monitor.dashboard.schemas import ConstituencyScore, ExpectedSeries, HourlySeries
from election_monitor.dashboard.score import constituency_score
from election_monitor.dashboard.series import constituency_series
from election_monitor.enums import ConstituencyStatus
from election_monitor.exceptions import ConflictError, InvalidInputError
from election_monitor.models import Constituency
from election_monitor.schemas import (
    ConstituencyCreate,
    ConstituencyResponse,
    ConstituencyUpdate,
)
from election_monitor.schemas.base import UTCDatetime

router = APIRouter(prefix=f"{API_PREFIX}/constituencies", tags=["constituencies"])
SORTS = sort_values(lists.CONSTITUENCY_SORT)


class ConstituencyTypeFilter(StrEnum):
    URBAN = "urban"
    RURAL = "rural"
    SUBURBAN = "suburban"
    UNKNOWN = "unknown"  # created from chain data before the registry entry


@router.get(
    "", response_model=Page[ConstituencyResponse], summary="List constituencies", responses=READ
)
def list_constituencies(
    principal: Viewer,
    db: DbSession,
    window: Paging,
    election_id: Annotated[str | None, Query()] = None,
    region: Annotated[str | None, Query()] = None,
    status: Annotated[ConstituencyStatus | None, Query()] = None,
    type: Annotated[ConstituencyTypeFilter | None, Query()] = None,
    min_score: Annotated[
        float | None, Query(ge=0, description="only anomaly scores at least this high")
    ] = None,
    sort: Annotated[str, Query(**sort_query(SORTS, "name"))] = "name",
) -> Response:
    items, total = lists.constituencies(
        db,
        window,
        election_id=election_id,
        region=region,
        status=status,
        type=type,
        min_score=min_score,
        sort=sort,
    )
    return json_response(
        make_page([ConstituencyResponse.model_validate(c) for c in items], total, window)
    )


@router.post(
    "",
    response_model=ConstituencyResponse,
    status_code=HTTP_201_CREATED,
    summary="Register a constituency (its id is the voting contract's address)",
    responses=CHANGE,
)
def create_constituency(
    body: ConstituencyCreate, principal: Lead, db: DbSession
) -> ConstituencyResponse:
    ElectionCRUD(db).get_or_raise(body.election_id)
    if db.get(Constituency, body.id) is not None:
        raise ConflictError(f"constituency {body.id!r} already exists")
    constituency = Constituency(**body.model_dump())
    db.add(constituency)
    db.flush()
    audit.record(
        db,
        principal,
        action="constituency.create",
        entity_type="constituency",
        entity_id=constituency.id,
        details=body.model_dump(mode="json"),
    )
    db.commit()
    return ConstituencyResponse.model_validate(constituency)


@router.get(
    "/{constituency_id}",
    response_model=ConstituencyResponse,
    summary="Show a constituency",
    responses=READ_ONE,
)
def get_constituency(
    constituency_id: str, principal: Viewer, db: DbSession
) -> ConstituencyResponse:
    return ConstituencyResponse.model_validate(ConstituencyCRUD(db).get_or_raise(constituency_id))


@router.patch(
    "/{constituency_id}",
    response_model=ConstituencyResponse,
    summary="Change a constituency (only the fields given)",
    responses=CHANGE,
)
def update_constituency(
    constituency_id: str, body: ConstituencyUpdate, principal: Lead, db: DbSession
) -> ConstituencyResponse:
    constituency = ConstituencyCRUD(db).get_or_raise(constituency_id)
    data = body.model_dump(exclude_unset=True)
    for name in ("name", "region", "type", "status"):
        if name in data and data[name] is None:
            raise InvalidInputError(f"{name} cannot be null")
    changed = apply_changes(constituency, data)
    if {"registered_voters", "votes_cast"} & changed.keys() and "participation_rate" not in data:
        constituency.participation_rate = participation(
            constituency.votes_cast or 0, constituency.registered_voters or 0
        )
    if changed:
        audit.record(
            db,
            principal,
            action="constituency.update",
            entity_type="constituency",
            entity_id=constituency.id,
            details=changed,
        )
    db.commit()
    return ConstituencyResponse.model_validate(constituency)


@router.get(
    "/{constituency_id}/series",
    response_model=HourlySeries,
    summary="Hourly series of one constituency, shaped for charts",
    responses=READ_ONE,
)
def get_series(
    constituency_id: str,
    principal: Viewer,
    db: DbSession,
    start: Annotated[UTCDatetime | None, Query()] = None,
    end: Annotated[UTCDatetime | None, Query()] = None,
) -> Response:
    return json_response(
        constituency_series(db, constituency_id=constituency_id, start=start, end=end)
    )


@router.get(
    "/{constituency_id}/expected",
    response_model=ExpectedSeries,
    summary="Votes per settled hour against the detection model's expected band",
    responses=READ_ONE,
)
def get_expected(constituency_id: str, principal: Viewer, db: DbSession) -> Response:
    return json_response(constituency_expected(db, constituency_id=constituency_id))


@router.get(
    "/{constituency_id}/score",
    response_model=ConstituencyScore,
    summary="The anomaly score and what contributes to it",
    responses=READ_ONE,
)
def get_score(constituency_id: str, principal: Viewer, db: DbSession) -> ConstituencyScore:
    return constituency_score(db, constituency_id=constituency_id)
