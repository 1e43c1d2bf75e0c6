"""Named queries on alerts (the lifecycle's rules live in the alerts package)."""

from __future__ import annotations

from sqlalchemy import case

from election_monitor.crud.base import BaseCRUD
from election_monitor.enums import AlertSeverity, AlertStatus
from election_monitor.models import Alert
from election_monitor.schemas import AlertCreate, AlertUpdate

#: Most urgent first when listing: critical, warning, info.
SEVERITY_RANK = case(
    {AlertSeverity.CRITICAL.value: 0, AlertSeverity.WARNING.value: 1},
    value=Alert.severity,
    else_=2,
)


class AlertCRUD(BaseCRUD[Alert, AlertCreate, AlertUpdate]):
    """CRUD operations for Alert model."""

    model = Alert

    def get_by_constituency(self, *, constituency_id: str) -> list[Alert]:
        """Get alerts by constituency ID."""
        return self._all(self._select().where(Alert.constituency_id == constituency_id))

    def get_by_severity(self, *, severity: str) -> list[Alert]:
        """Get alerts by severity."""
        return self._all(self._select().where(Alert.severity == severity))

    def get_by_status(self, *, status: str) -> list[Alert]:
        """Get alerts by status."""
        return self._all(self._select().where(Alert.status == status))

    def get_active_alerts(self) -> list[Alert]:
        """Get all active alerts, most severe first."""
        stmt = (
            self._select()
            .where(Alert.status == AlertStatus.ACTIVE)
            .order_by(None)
            .order_by(SEVERITY_RANK, Alert.detected_at, Alert.id)
        )
        return self._all(stmt)

    def add_note(self, *, id: str, note: str) -> Alert:
        """Add a note to an alert (persisted: ``notes`` tracks in-place changes)."""
        alert = self.get_or_raise(id)
        if alert.notes is None:  # the column is nullable (seed): a NULL list starts afresh
            alert.notes = [note]
        else:
            alert.notes.append(note)
        self.db.commit()
        self.db.refresh(alert)
        return alert
