"""The result of one delivery attempt, whatever the channel."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    """``ok``: acknowledged. ``permanent``: retrying cannot help (dead-letter at once)."""

    ok: bool
    error: str | None = None
    permanent: bool = False

    @classmethod
    def success(cls) -> Outcome:
        return cls(ok=True)

    @classmethod
    def retry(cls, error: str) -> Outcome:
        return cls(ok=False, error=error)

    @classmethod
    def give_up(cls, error: str) -> Outcome:
        return cls(ok=False, error=error, permanent=True)
