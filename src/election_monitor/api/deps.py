"""``Annotated`` dependency aliases, declared once and used by every route."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from election_monitor.accounts.roles import Role
from election_monitor.api.pagination import Paging
from election_monitor.api.security import Principal, db_session, require
from election_monitor.api.settings import ApiSettings


def _engine(request: Request) -> Engine:
    engine: Engine = request.app.state.engine
    return engine


def _settings(request: Request) -> ApiSettings:
    settings: ApiSettings = request.app.state.settings
    return settings


DbSession = Annotated[Session, Depends(db_session)]
AppEngine = Annotated[Engine, Depends(_engine)]
Settings = Annotated[ApiSettings, Depends(_settings)]

#: Callers by the least role they must have.
Viewer = Annotated[Principal, Depends(require(Role.VIEWER))]
Observer = Annotated[Principal, Depends(require(Role.OBSERVER))]
Lead = Annotated[Principal, Depends(require(Role.LEAD))]
Admin = Annotated[Principal, Depends(require(Role.ADMIN))]

__all__ = ["Admin", "AppEngine", "DbSession", "Lead", "Observer", "Paging", "Settings", "Viewer"]
