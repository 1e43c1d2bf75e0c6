"""AnomalyScore: why a constituency has its ``anomaly_score`` (per-family contributions).

``Constituency.anomaly_score`` holds the number; this additive table holds its explanation, so
the score can be shown with the evidence of each family that produced it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Float, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from election_monitor.db.base import Base
from election_monitor.db.types import UTCDateTime, json_type


class AnomalyScore(Base):
    """The latest composite score of one constituency and its contributions."""

    __tablename__ = "anomaly_scores"

    constituency_id: Mapped[str] = mapped_column(
        String, ForeignKey("constituencies.id"), primary_key=True
    )
    score: Mapped[float] = mapped_column(Float, nullable=False, default=0.0)
    components: Mapped[list[dict[str, Any]]] = mapped_column(json_type(), nullable=False)
    data_time: Mapped[datetime | None] = mapped_column(UTCDateTime())  # newest data considered
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
