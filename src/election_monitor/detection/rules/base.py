"""The rule contract and the registry: one small class per rule, listed in ``REGISTRY``."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import cached_property
from typing import Any, ClassVar

from sqlalchemy import Connection

from election_monitor.alerts.service import Signal
from election_monitor.detection.frame import Frame, NDArray
from election_monitor.detection.model import Model, fit
from election_monitor.detection.settings import DetectionSettings


@dataclass
class Context:
    """What a rule may read: the frame, the fitted model, the settings, narrow queries."""

    conn: Connection
    frame: Frame
    settings: DetectionSettings
    #: Constituencies the exact rules look at (all of the frame in a full run).
    scope: set[str]
    #: (constituency_id, UTC hour) buckets the batch touched; None in a full run.
    touched: set[tuple[str, datetime]] | None = None
    #: Conflict tx ids the batch rejected; None in a full run (then all are read).
    conflict_tx_ids: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @cached_property
    def model(self) -> Model:
        return fit(self.frame, self.settings)

    @cached_property
    def local_dates(self) -> NDArray:
        return self.frame.local_dates()

    @cached_property
    def local_hours(self) -> NDArray:
        return self.frame.local_hours()

    def day_key(self, c: int, t: int) -> str:
        """The local calendar date of a cell, as a window key."""
        return date.fromordinal(int(self.local_dates[c, t])).isoformat()

    def in_scope(self) -> Iterable[tuple[int, Any]]:
        """(row, facts) of the constituencies in scope."""
        for c, f in enumerate(self.frame.facts):
            if f.id in self.scope:
                yield c, f


class Rule(ABC):
    """One detector: an id, the alert type it raises, a default severity, its inputs."""

    id: ClassVar[str]
    alert_type: ClassVar[str]
    default_severity: ClassVar[str]
    family: ClassVar[str]
    inputs: ClassVar[tuple[str, ...]]
    #: Exact rules never auto-resolve; statistical ones resolve after a clean period.
    statistical: ClassVar[bool]
    summary: ClassVar[str]

    @abstractmethod
    def evaluate(self, ctx: Context) -> list[Signal]:
        """The signals this rule finds in the context's scope."""


REGISTRY: dict[str, type[Rule]] = {}


def register(cls: type[Rule]) -> type[Rule]:
    """Class decorator: add a rule to the registry (ids are unique)."""
    if cls.id in REGISTRY:
        raise ValueError(f"duplicate rule id {cls.id}")
    REGISTRY[cls.id] = cls
    return cls


def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
