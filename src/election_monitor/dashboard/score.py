"""A constituency's anomaly score with its explanation (``elmon alerts score``'s twin)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from election_monitor.dashboard.schemas import ConstituencyScore
from election_monitor.exceptions import NotFoundError
from election_monitor.models import AnomalyScore, Constituency


def constituency_score(db: Session, *, constituency_id: str) -> ConstituencyScore:
    """The score and its per-family contributions; ``NotFoundError`` for an unknown id."""
    constituency = db.get(Constituency, constituency_id)
    if constituency is None:
        raise NotFoundError("Constituency", constituency_id)
    row = db.get(AnomalyScore, constituency_id)
    return ConstituencyScore(
        constituency_id=constituency.id,
        name=constituency.name,
        anomaly_score=constituency.anomaly_score or 0.0,
        components=list(row.components) if row else [],
        data_time=row.data_time if row else None,
    )
