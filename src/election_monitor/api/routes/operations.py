"""Election-wide operations a lead runs from the CLI, over HTTP too: detection on demand and
the constituency registry import."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request

from election_monitor.accounts import audit
from election_monitor.api.deps import DbSession, Lead
from election_monitor.api.routes._common import API_PREFIX, CHANGE
from election_monitor.crud import ElectionCRUD
from election_monitor.detection.service import detect
from election_monitor.exceptions import InvalidInputError
from election_monitor.ingest.registry import import_registry

router = APIRouter(prefix=f"{API_PREFIX}/elections", tags=["elections"])

#: A registry of thousands of constituencies is a few hundred KiB; refuse anything absurd.
MAX_REGISTRY_BYTES = 16 * 1024 * 1024


@router.post(
    "/{election_id}/detect",
    summary="Run every detection rule for the election now (as `elmon detect`)",
    responses=CHANGE,
)
def run_detection(election_id: str, principal: Lead, db: DbSession) -> dict[str, Any]:
    ElectionCRUD(db).get_or_raise(election_id)
    reports = detect(db.connection(), election_id=election_id)
    audit.record(
        db, principal, action="detection.run", entity_type="election", entity_id=election_id
    )
    db.commit()
    return {"reports": [r.as_dict() for r in reports]}


@router.post(
    "/{election_id}/registry",
    summary="Import a registry CSV (`id;name;region;type;registered_voters[;timezone]`) "
    "sent as the request body (as `elmon constituencies import`)",
    responses=CHANGE,
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"text/csv": {"schema": {"type": "string"}}},
        }
    },
)
async def import_constituencies(
    election_id: str, request: Request, principal: Lead, db: DbSession
) -> dict[str, Any]:
    body = await request.body()
    if len(body) > MAX_REGISTRY_BYTES:
        raise InvalidInputError(f"registry larger than {MAX_REGISTRY_BYTES} bytes")
    if not body.strip():
        raise InvalidInputError("empty registry: send the CSV as the request body")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "registry.csv"
        path.write_bytes(body)
        result = import_registry(db, path, election_id=election_id)
    audit.record(
        db,
        principal,
        action="registry.import",
        entity_type="election",
        entity_id=election_id,
        details={"created": result.created, "updated": result.updated},
    )
    db.commit()
    return {"created": result.created, "updated": result.updated, "rejected": result.rejected}
