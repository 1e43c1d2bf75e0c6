"""Generic CRUD over one model; subclasses set ``model`` and add named queries only."""

from __future__ import annotations

from typing import Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from sqlalchemy import Select, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import InstrumentedAttribute, Session
from sqlalchemy.sql.elements import ColumnElement

from election_monitor.db.base import Base
from election_monitor.exceptions import ConflictError, InvalidInputError, NotFoundError

ModelT = TypeVar("ModelT", bound=Base)
CreateT = TypeVar("CreateT", bound=BaseModel)
UpdateT = TypeVar("UpdateT", bound=BaseModel)

#: The largest page ``get_multi`` returns; larger requests are clamped.
MAX_LIMIT = 1000

#: Something a list can be ordered by: a mapped attribute or a SQL expression.
OrderBy = ColumnElement[Any] | InstrumentedAttribute[Any]


class BaseCRUD(Generic[ModelT, CreateT, UpdateT]):
    """Base CRUD operations for all models."""

    model: ClassVar[type[Any]]

    def __init__(self, db: Session) -> None:
        """Initialize with database session."""
        self.db = db

    # -- helpers for subclasses -------------------------------------------------
    def _order(self) -> list[OrderBy]:
        """Stable ordering for lists: creation time, then id."""
        return [self.model.created_at, self.model.id]

    def _select(self) -> Select[Any]:
        return select(self.model).order_by(*self._order())

    def _all(self, stmt: Select[Any]) -> list[ModelT]:
        return list(self.db.scalars(stmt))

    def _first(self, stmt: Select[Any]) -> ModelT | None:
        found: ModelT | None = self.db.scalars(stmt.limit(1)).first()
        return found

    def get_or_raise(self, id: Any) -> ModelT:
        """The record with this id, or ``NotFoundError`` naming the entity and id."""
        obj = self.get(id)
        if obj is None:
            raise NotFoundError(self.model.__name__, id)
        return obj

    # -- the seed's interface ---------------------------------------------------
    def create(self, obj_in: CreateT | dict[str, Any]) -> ModelT:
        """Create a new record."""
        data = obj_in.model_dump() if isinstance(obj_in, BaseModel) else dict(obj_in)
        db_obj: ModelT = self.model(**data)
        self.db.add(db_obj)
        self.db.commit()
        self.db.refresh(db_obj)
        return db_obj

    def get(self, id: Any) -> ModelT | None:
        """Get a record by ID (``None`` when there is none)."""
        obj: ModelT | None = self.db.get(self.model, id)
        return obj

    def get_multi(self, *, skip: int = 0, limit: int = 100) -> list[ModelT]:
        """Get multiple records with pagination (``limit`` clamped to ``MAX_LIMIT``)."""
        if skip < 0:
            raise InvalidInputError(f"skip must be >= 0, got {skip}")
        if limit < 0:
            raise InvalidInputError(f"limit must be >= 0, got {limit}")
        return self._all(self._select().offset(skip).limit(min(limit, MAX_LIMIT)))

    def all(self, *, limit: int | None = None) -> list[ModelT]:
        """Every record in list order, or the first ``limit`` (the CLI prints all by default)."""
        stmt = self._select()
        return self._all(stmt if limit is None else stmt.limit(max(limit, 0)))

    def update(self, *, db_obj: ModelT, obj_in: UpdateT | dict[str, Any]) -> ModelT:
        """Update a record with only the fields given."""
        if isinstance(obj_in, BaseModel):
            data = obj_in.model_dump(exclude_unset=True)
        else:
            data = dict(obj_in)
        for field, value in data.items():
            if not hasattr(self.model, field):
                raise InvalidInputError(f"{self.model.__name__} has no field {field!r}")
            setattr(db_obj, field, value)
        self.db.add(db_obj)
        self.db.commit()
        self.db.refresh(db_obj)
        return db_obj

    def delete(self, *, id: Any) -> ModelT:
        """Delete a record; ``NotFoundError`` when there is none, ``ConflictError`` when in use."""
        obj = self.get_or_raise(id)
        self.db.delete(obj)
        try:
            self.db.commit()
        except IntegrityError as exc:
            self.db.rollback()
            raise ConflictError(
                f"{self.model.__name__} {id!r} is still referenced by other records"
            ) from exc
        return obj
