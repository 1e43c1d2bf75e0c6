"""Elections: list, create, show, change; the dashboard summary and hourly series."""

from __future__ import annotations

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
from election_monitor.crud import ElectionCRUD
from election_monitor.dashboard import lists
from election_monitor.dashboard.paging import sort_values
from election_monitor.dashboard.regions import region_grid
from election_monitor.dashboard.schemas import ElectionSummary, HourlySeries, RegionTile
from election_monitor.dashboard.series import election_series
from election_monitor.dashboard.summary import election_summary
from election_monitor.enums import ElectionStatus
from election_monitor.exceptions import InvalidInputError
from election_monitor.models import Election
from election_monitor.schemas import ElectionCreate, ElectionResponse, ElectionUpdate
from election_monitor.schemas.base import UTCDatetime

router = APIRouter(prefix=f"{API_PREFIX}/elections", tags=["elections"])
SORTS = sort_values(lists.ELECTION_SORT)


@router.get("", response_model=Page[ElectionResponse], summary="List elections", responses=READ)
def list_elections(
    principal: Viewer,
    db: DbSession,
    window: Paging,
    status: Annotated[ElectionStatus | None, Query()] = None,
    start: Annotated[UTCDatetime | None, Query(description="overlapping from")] = None,
    end: Annotated[UTCDatetime | None, Query(description="overlapping until")] = None,
    sort: Annotated[str, Query(**sort_query(SORTS, "-start_date"))] = "-start_date",
) -> Response:
    items, total = lists.elections(db, window, status=status, start=start, end=end, sort=sort)
    return json_response(
        make_page([ElectionResponse.model_validate(e) for e in items], total, window)
    )


@router.post(
    "",
    response_model=ElectionResponse,
    status_code=HTTP_201_CREATED,
    summary="Create an election",
    responses=CHANGE,
)
def create_election(body: ElectionCreate, principal: Lead, db: DbSession) -> ElectionResponse:
    election = Election(**body.model_dump())
    db.add(election)
    db.flush()
    audit.record(
        db,
        principal,
        action="election.create",
        entity_type="election",
        entity_id=election.id,
        details=body.model_dump(mode="json"),
    )
    db.commit()
    return ElectionResponse.model_validate(election)


@router.get(
    "/{election_id}",
    response_model=ElectionResponse,
    summary="Show an election",
    responses=READ_ONE,
)
def get_election(election_id: str, principal: Viewer, db: DbSession) -> ElectionResponse:
    return ElectionResponse.model_validate(ElectionCRUD(db).get_or_raise(election_id))


@router.patch(
    "/{election_id}",
    response_model=ElectionResponse,
    summary="Change an election (only the fields given)",
    responses=CHANGE,
)
def update_election(
    election_id: str, body: ElectionUpdate, principal: Lead, db: DbSession
) -> ElectionResponse:
    election = ElectionCRUD(db).get_or_raise(election_id)
    data = body.model_dump(exclude_unset=True)
    for name in ("name", "start_date", "end_date", "status"):
        if name in data and data[name] is None:
            raise InvalidInputError(f"{name} cannot be null")
    start = data.get("start_date", election.start_date)
    end = data.get("end_date", election.end_date)
    if end <= start:
        raise InvalidInputError("End date must be after start date")
    changed = apply_changes(election, data)
    if changed:
        audit.record(
            db,
            principal,
            action="election.update",
            entity_type="election",
            entity_id=election.id,
            details=changed,
        )
    db.commit()
    return ElectionResponse.model_validate(election)


@router.get(
    "/{election_id}/summary",
    response_model=ElectionSummary,
    summary="Dashboard summary: constituencies by status, participation, alerts, data time",
    responses=READ_ONE,
)
def get_summary(election_id: str, principal: Viewer, db: DbSession) -> Response:
    return json_response(election_summary(db, election_id=election_id))


@router.get(
    "/{election_id}/series",
    response_model=HourlySeries,
    summary="Hourly series of the whole election, shaped for charts",
    responses=READ_ONE,
)
def get_series(
    election_id: str,
    principal: Viewer,
    db: DbSession,
    start: Annotated[UTCDatetime | None, Query()] = None,
    end: Annotated[UTCDatetime | None, Query()] = None,
) -> Response:
    return json_response(election_series(db, election_id=election_id, start=start, end=end))


@router.get(
    "/{election_id}/regions",
    response_model=list[RegionTile],
    summary="The region grid: constituencies, open alerts and the worst open severity per region",
    responses=READ_ONE,
)
def get_regions(election_id: str, principal: Viewer, db: DbSession) -> list[RegionTile]:
    ElectionCRUD(db).get_or_raise(election_id)
    return region_grid(db, election_id=election_id)
