"""One pagination dependency (``limit`` clamped, never refused) and one generic page."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Query, Response
from pydantic import BaseModel, Field

from election_monitor.dashboard.lists import Window

JSON = "application/json"

#: The largest page; a larger ``limit`` is clamped to it.
MAX_LIMIT = 500
DEFAULT_LIMIT = 50

ItemT = TypeVar("ItemT")


class Page(BaseModel, Generic[ItemT]):
    """One page of a list, with the number of matching items in all."""

    items: list[ItemT]
    total: int = Field(description="items matching the filters, over all pages")
    skip: int
    limit: int


def paging(
    skip: Annotated[int, Query(ge=0, le=10**9, description="items to skip")] = 0,
    limit: Annotated[
        int, Query(ge=1, description=f"page size; values above {MAX_LIMIT} are clamped")
    ] = DEFAULT_LIMIT,
) -> Window:
    """The requested window, ``limit`` clamped to ``MAX_LIMIT``."""
    return Window(skip=skip, limit=min(limit, MAX_LIMIT))


Paging = Annotated[Window, Depends(paging)]


def make_page(items: list[ItemT], total: int, window: Window) -> Page[ItemT]:
    return Page[ItemT](items=items, total=total, skip=window.skip, limit=window.limit)


def json_response(model: BaseModel, *, status_code: int = 200) -> Response:
    """The model as a JSON response, serialized once.

    Returning a plain model from a sync route makes FastAPI validate it again against the
    ``response_model`` in another thread hop; for the hot read routes that costs more than
    the query. The route still declares ``response_model`` for the OpenAPI document.
    """
    return Response(model.model_dump_json(), status_code=status_code, media_type=JSON)
