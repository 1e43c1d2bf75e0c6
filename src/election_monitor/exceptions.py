"""The project's exception tree; only the edges (CLI, API) turn these into messages or HTTP.

ElectionMonitorError
├── NotFoundError          a record with that id does not exist
├── ConflictError          the request contradicts the current state
│   └── InvalidTransitionError   a status change the lifecycle does not allow
└── InvalidInputError      input that cannot be accepted (bad file, bad argument)
"""

from __future__ import annotations


class ElectionMonitorError(Exception):
    """Base class of every error the project raises on purpose."""


class NotFoundError(ElectionMonitorError):
    """A record looked up by id does not exist."""

    def __init__(self, entity: str, id: object) -> None:
        self.entity = entity
        self.id = id
        super().__init__(f"{entity} {id!r} not found")


class ConflictError(ElectionMonitorError):
    """The request contradicts the current state of the data."""


class InvalidTransitionError(ConflictError):
    """A status change that the lifecycle's transition table refuses."""

    def __init__(self, entity: str, current: str, requested: str, allowed: list[str]) -> None:
        self.current = current
        self.requested = requested
        self.allowed = allowed
        super().__init__(
            f"{entity} cannot go from {current!r} to {requested!r}; allowed: {allowed}"
        )


class InvalidInputError(ElectionMonitorError):
    """Input that cannot be accepted: a bad argument, file or value."""
