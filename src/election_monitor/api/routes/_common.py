"""Small helpers shared by the routers."""

from __future__ import annotations

from typing import Any

from election_monitor.api.errors import error_responses

#: Where the REST resources live.
API_PREFIX = "/api/v1"

#: Errors every authenticated route can answer.
AUTH = (401, 403)
READ = error_responses(*AUTH, 422)
READ_ONE = error_responses(*AUTH, 404, 422)
CHANGE = error_responses(*AUTH, 404, 409, 422)


def sort_query(values: list[str], default: str) -> dict[str, Any]:
    """Keyword arguments of ``Query`` for a ``sort`` parameter (enum listed in OpenAPI)."""
    return {
        "description": f"field to sort by; '-' prefix for descending (default {default})",
        "json_schema_extra": {"enum": values},
    }


def apply_changes(obj: Any, data: dict[str, Any]) -> dict[str, list[Any]]:
    """Set the given fields; returns ``{field: [old, new]}`` for those that changed."""
    changed: dict[str, list[Any]] = {}
    for name, value in data.items():
        old = getattr(obj, name)
        if old != value:
            setattr(obj, name, value)
            changed[name] = [old, value]
    return changed
