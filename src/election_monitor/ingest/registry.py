"""Constituency registry import: ``id;name;region;type;registered_voters[;timezone]``.

The chain names contracts but not their region, type or size; the registry supplies them.
Rows are validated with the seed's schema; a constituency already created from chain data is
completed in place (its ``inferred`` flag cleared), never duplicated.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy import update
from sqlalchemy.orm import Session

from election_monitor.crud import ConstituencyCRUD, ElectionCRUD
from election_monitor.exceptions import InvalidInputError, NotFoundError
from election_monitor.ingest.opener import open_sources
from election_monitor.metrics.service import refresh_totals
from election_monitor.models import Constituency, Election
from election_monitor.schemas import ConstituencyCreate

COLUMNS = ("id", "name", "region", "type", "registered_voters", "timezone")


@dataclass
class RegistryResult:
    created: int = 0
    updated: int = 0
    rejected: list[str] = field(default_factory=list)  # "file:line: reason"


def import_registry(db: Session, path: Path, *, election_id: str) -> RegistryResult:
    """Create or complete constituencies from a registry CSV; bad rows are reported, not fatal."""
    election = ElectionCRUD(db).get(election_id)
    if election is None:
        raise NotFoundError("Election", election_id)
    crud = ConstituencyCRUD(db)
    result = RegistryResult()
    touched: list[str] = []
    for source, number, line in (
        (src.name, number, line) for src in open_sources(path) for number, line in src.lines()
    ):
        text = line.strip()
        if not text:
            continue
        fields = [f.strip() for f in text.split(";")]
        if number == 1 and fields[0].lower() == "id":
            continue  # header
        if len(fields) not in (5, 6):
            result.rejected.append(f"{source}:{number}: expected 5 or 6 fields, got {len(fields)}")
            continue
        data: dict[str, object] = dict(zip(COLUMNS, fields, strict=False))
        data["election_id"] = election_id
        if not data.get("timezone"):
            data.pop("timezone", None)
        try:
            row = ConstituencyCreate.model_validate(data)
        except ValidationError as exc:
            reasons = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
            result.rejected.append(f"{source}:{number}: {reasons}")
            continue
        existing = crud.get(row.id)
        if existing is None:
            db.add(Constituency(**row.model_dump()))
            result.created += 1
        else:
            for name in ("name", "region", "type", "registered_voters", "timezone"):
                setattr(existing, name, getattr(row, name))
            existing.inferred = False
            if existing.election_id != election_id:
                raise InvalidInputError(
                    f"{source}:{number}: constituency {row.id} belongs to election "
                    f"{existing.election_id}, not {election_id}"
                )
            result.updated += 1
        touched.append(row.id)
    db.flush()
    count = db.query(Constituency).filter(Constituency.election_id == election_id).count()
    db.execute(
        update(Election).where(Election.id == election_id).values(total_constituencies=count)
    )
    refresh_totals(db.connection(), touched)  # participation needs the new denominators
    db.commit()
    return result
