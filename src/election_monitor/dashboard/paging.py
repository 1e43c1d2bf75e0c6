"""Counting and slicing a filtered query, and ordering it by a whitelisted sort key."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from election_monitor.exceptions import InvalidInputError


def order(stmt: Select[Any], sort: str, columns: Mapping[str, Any], *tiebreak: Any) -> Select[Any]:
    """Order by ``sort`` (``name`` ascending, ``-name`` descending), then by ``tiebreak``."""
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in columns:
        allowed = sorted(columns) + sorted(f"-{k}" for k in columns)
        raise InvalidInputError(f"sort must be one of {allowed}, got {sort!r}")
    column = columns[key]
    return stmt.order_by(column.desc() if descending else column.asc(), *tiebreak)


def page(db: Session, stmt: Select[Any], *, skip: int, limit: int) -> tuple[list[Any], int]:
    """The rows of one page and the number of rows matching in all."""
    total = db.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = list(db.scalars(stmt.offset(skip).limit(limit)))
    return rows, int(total)


def sort_values(columns: Mapping[str, Any]) -> list[str]:
    """Every accepted value of a ``sort`` parameter."""
    return [v for k in columns for v in (k, f"-{k}")]
