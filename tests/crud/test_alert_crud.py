"""AlertCRUD: the filters, active alerts by urgency, and notes that persist."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from election_monitor.crud import AlertCRUD
from election_monitor.exceptions import NotFoundError
from election_monitor.schemas import AlertCreate, AlertResponse, AlertUpdate
from tests.factories import T0, make_alert, make_constituency

MINUTE = timedelta(minutes=1)


def test_create_from_schema_stores_every_field(db: Session) -> None:
    constituency = make_constituency(db)
    created = AlertCRUD(db).create(
        AlertCreate(
            constituency_id=constituency.id,
            type="votes_exceed_bulletins",
            severity="critical",
            title="Votes exceed bulletins",
            description="412 votes, 400 bulletins",
            details={"votes": 412, "bulletins": 400},
            detected_at=T0,
        )
    )
    db.expire_all()
    stored = AlertCRUD(db).get_or_raise(created.id)
    assert (stored.type, stored.severity, stored.status) == (
        "votes_exceed_bulletins",
        "critical",
        "active",
    )
    assert stored.details == {"votes": 412, "bulletins": 400}
    assert stored.notes == []
    assert stored.detected_at == T0


def test_response_validates_the_stored_alert(db: Session) -> None:
    alert = make_alert(db, notes=["first"])
    response = AlertResponse.model_validate(alert)
    assert (response.id, response.notes, response.status) == (alert.id, ["first"], "active")


def test_update_from_schema_changes_only_the_fields_set(db: Session) -> None:
    alert = make_alert(db, notes=["keep me"], assigned_to="anna")
    AlertCRUD(db).update(
        db_obj=alert, obj_in=AlertUpdate(status="resolved", resolved_at=T0 + MINUTE)
    )
    db.expire_all()
    stored = AlertCRUD(db).get_or_raise(alert.id)
    assert (stored.status, stored.resolved_at) == ("resolved", T0 + MINUTE)
    assert stored.notes == ["keep me"]
    assert stored.assigned_to == "anna"


def test_update_from_schema_replaces_the_notes_list(db: Session) -> None:
    alert = make_alert(db, notes=["old"])
    AlertCRUD(db).update(db_obj=alert, obj_in=AlertUpdate(notes=["new", "newer"]))
    db.expire_all()
    assert AlertCRUD(db).get_or_raise(alert.id).notes == ["new", "newer"]


def test_get_by_constituency_returns_its_alerts(db: Session) -> None:
    constituency = make_constituency(db)
    mine = make_alert(db, constituency_id=constituency.id)
    make_alert(db)
    assert AlertCRUD(db).get_by_constituency(constituency_id=constituency.id) == [mine]


def test_get_by_severity_filters_on_severity(db: Session) -> None:
    critical = make_alert(db, severity="critical")
    make_alert(db, severity="info")
    assert AlertCRUD(db).get_by_severity(severity="critical") == [critical]


def test_get_by_status_filters_on_status(db: Session) -> None:
    snoozed = make_alert(db, status="snoozed")
    make_alert(db)
    assert AlertCRUD(db).get_by_status(status="snoozed") == [snoozed]
    assert AlertCRUD(db).get_by_status(status="resolved") == []


def test_get_active_alerts_returns_only_active_ones_most_severe_first(db: Session) -> None:
    info = make_alert(db, severity="info", detected_at=T0)
    warning_late = make_alert(db, severity="warning", detected_at=T0 + 2 * MINUTE)
    warning_early = make_alert(db, severity="warning", detected_at=T0 + MINUTE)
    critical = make_alert(db, severity="critical", detected_at=T0 + 3 * MINUTE)
    for status in ("investigating", "resolved", "snoozed"):
        make_alert(db, severity="critical", status=status)
    assert AlertCRUD(db).get_active_alerts() == [critical, warning_early, warning_late, info]


def test_add_note_appends_and_persists(db: Session) -> None:
    alert = make_alert(db)
    crud = AlertCRUD(db)
    crud.add_note(id=alert.id, note="called the commission")
    returned = crud.add_note(id=alert.id, note="node log attached")
    assert returned.notes == ["called the commission", "node log attached"]
    db.expire_all()
    assert crud.get_or_raise(alert.id).notes == ["called the commission", "node log attached"]


def test_add_note_to_an_alert_whose_notes_are_null(db: Session) -> None:
    alert = make_alert(db)
    AlertCRUD(db).update(db_obj=alert, obj_in={"notes": None})
    AlertCRUD(db).add_note(id=alert.id, note="first")
    db.expire_all()
    assert AlertCRUD(db).get_or_raise(alert.id).notes == ["first"]


def test_add_note_of_a_missing_id_raises_not_found(db: Session) -> None:
    with pytest.raises(NotFoundError, match="Alert 'no-such-alert' not found"):
        AlertCRUD(db).add_note(id="no-such-alert", note="lost")
