"""The alert lifecycle: transition table, timestamps, de-duplication, audit trail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.orm import Session

from election_monitor.alerts import lifecycle
from election_monitor.alerts.service import (
    Reconciled,
    Signal,
    add_note,
    auto_resolve,
    history,
    index_alerts,
    raise_or_update,
    update_alert,
    wake_expired_snoozes,
)
from election_monitor.enums import AlertStatus
from election_monitor.exceptions import InvalidInputError, InvalidTransitionError, NotFoundError
from election_monitor.models import Alert
from tests.factories import T0, make_alert, make_constituency


def _signal(cid: str, **kw: object) -> Signal:
    data: dict[str, object] = {
        "constituency_id": cid,
        "type": "unusual_spike",
        "window_key": "2026-09-18",
        "severity": "warning",
        "title": "Voting 5x expected",
        "description": "more votes than expected",
        "evidence": {"observed": 500, "expected": 100},
        "last_seen": (T0 + timedelta(hours=1)).isoformat(),
        "magnitude": 400.0,
        "statistical": True,
        "family": "velocity",
    }
    data.update(kw)
    return Signal(**data)  # type: ignore[arg-type]


def _actions(db: Session, alert: Alert) -> list[str]:
    return [e.action for e in history(db, alert_id=alert.id)]


def test_transition_table_refuses_resolved_to_investigating(db: Session) -> None:
    alert = make_alert(db, status="resolved")
    with pytest.raises(InvalidTransitionError) as err:
        lifecycle.investigate(alert)
    assert err.value.allowed == ["active"]
    assert "resolved" in str(err.value)
    assert "investigating" in str(err.value)


def test_every_status_has_a_row_in_the_transition_table() -> None:
    assert set(lifecycle.TRANSITIONS) == set(AlertStatus)


def test_resolve_stamps_resolved_at_and_reopen_clears_it(db: Session) -> None:
    alert = make_alert(db)
    update_alert(db, alert_id=alert.id, actor="alice", status="resolved", now=T0)
    assert alert.status == "resolved"
    assert alert.resolved_at == T0
    update_alert(db, alert_id=alert.id, actor="alice", status="active", now=T0)
    assert alert.status == "active"
    assert alert.resolved_at is None
    assert lifecycle.lifecycle_state(alert)["reopen_count"] == 1
    assert _actions(db, alert) == ["status", "reopened"]


def test_note_carries_author_and_time_and_is_audited(db: Session) -> None:
    alert = make_alert(db)
    add_note(db, alert_id=alert.id, author="alice", text="called the region", now=T0)
    assert alert.notes == ["2026-09-18T05:00Z alice: called the region"]
    (event,) = history(db, alert_id=alert.id)
    assert (event.action, event.actor, event.note) == ("note", "alice", "called the region")


def test_assignment_records_from_and_to(db: Session) -> None:
    alert = make_alert(db)
    update_alert(db, alert_id=alert.id, actor="alice", assign_to="bob", now=T0)
    update_alert(db, alert_id=alert.id, actor="bob", assign_to="carol", now=T0)
    events = history(db, alert_id=alert.id)
    assert [(e.from_value, e.to_value) for e in events] == [(None, "bob"), ("bob", "carol")]
    assert alert.assigned_to == "carol"


def test_snooze_until_time_wakes_when_expired(db: Session) -> None:
    alert = make_alert(db)
    update_alert(db, alert_id=alert.id, actor="alice", snooze_until=T0 + timedelta(hours=2), now=T0)
    assert alert.status == "snoozed"
    assert wake_expired_snoozes(db, now=T0 + timedelta(hours=1)) == 0
    assert wake_expired_snoozes(db, now=T0 + timedelta(hours=3)) == 1
    assert alert.status == "active"
    assert _actions(db, alert)[-1] == "snooze_expired"


def test_snooze_without_expiry_or_until_worse_is_refused(db: Session) -> None:
    alert = make_alert(db)
    with pytest.raises(InvalidInputError):
        update_alert(db, alert_id=alert.id, actor="alice", status="snoozed")


def test_update_unknown_alert_is_not_found(db: Session) -> None:
    with pytest.raises(NotFoundError):
        update_alert(db, alert_id="nope", actor="alice", note="x")


def test_same_fingerprint_updates_in_place_and_escalates_never_drops(db: Session) -> None:
    cid = make_constituency(db).id
    index: dict[str, Alert] = {}
    first = raise_or_update(db, _signal(cid), index=index, now=T0)
    again = raise_or_update(
        db, _signal(cid, severity="critical", magnitude=900.0), index=index, now=T0
    )
    calm = raise_or_update(
        db, _signal(cid, severity="warning", magnitude=900.0), index=index, now=T0
    )
    assert first is again is calm
    assert calm.severity == "critical"
    assert db.query(Alert).filter_by(constituency_id=cid).count() == 1
    assert _actions(db, first) == ["created", "escalated", "updated"]


def test_identical_evidence_is_not_audited_twice(db: Session) -> None:
    cid = make_constituency(db).id
    index: dict[str, Alert] = {}
    result = Reconciled()
    alert = raise_or_update(db, _signal(cid), index=index, now=T0, result=result)
    raise_or_update(db, _signal(cid), index=index, now=T0, result=result)
    assert result.unchanged == 1
    assert _actions(db, alert) == ["created"]


def test_statistical_alert_auto_resolves_after_clean_period_exact_never(db: Session) -> None:
    cid = make_constituency(db).id
    index: dict[str, Alert] = {}
    stat = raise_or_update(db, _signal(cid), index=index, now=T0)
    exact = raise_or_update(
        db,
        _signal(cid, type="duplicate_vote", window_key="", statistical=False),
        index=index,
        now=T0,
    )
    auto_resolve(db, [stat, exact], data_time=T0 + timedelta(hours=3), clean_hours=3, now=T0)
    assert stat.status == "active"
    auto_resolve(db, [stat, exact], data_time=T0 + timedelta(hours=4), clean_hours=3, now=T0)
    assert stat.status == "resolved"
    assert stat.resolved_at == T0
    assert exact.status == "active"


def test_resolved_alert_reopens_on_new_evidence_not_on_the_old(db: Session) -> None:
    cid = make_constituency(db).id
    index: dict[str, Alert] = {}
    alert = raise_or_update(db, _signal(cid), index=index, now=T0)
    update_alert(db, alert_id=alert.id, actor="alice", status="resolved", now=T0)
    raise_or_update(db, _signal(cid), index=index, now=T0)  # same evidence as when resolved
    assert alert.status == "resolved"
    later = (T0 + timedelta(hours=6)).isoformat()
    again = raise_or_update(db, _signal(cid, last_seen=later), index=index, now=T0)
    assert again is alert
    assert alert.status == "active"
    assert db.query(Alert).filter_by(constituency_id=cid).count() == 1
    assert "reopened" in _actions(db, alert)


def test_snoozed_until_worse_wakes_on_escalation(db: Session) -> None:
    cid = make_constituency(db).id
    index: dict[str, Alert] = {}
    alert = raise_or_update(db, _signal(cid), index=index, now=T0)
    update_alert(db, alert_id=alert.id, actor="alice", until_worse=True, now=T0)
    raise_or_update(db, _signal(cid, magnitude=410.0), index=index, now=T0)
    assert alert.status == "snoozed"
    raise_or_update(db, _signal(cid, severity="critical"), index=index, now=T0)
    assert alert.status == "active"
    assert "snooze_ended_worse" in _actions(db, alert)


def test_index_keeps_the_newest_alert_per_fingerprint(db: Session) -> None:
    cid = make_constituency(db).id
    old = make_alert(db, constituency_id=cid, details={"fingerprint": "x"}, detected_at=T0)
    new = make_alert(
        db, constituency_id=cid, details={"fingerprint": "x"}, detected_at=T0 + timedelta(hours=1)
    )
    assert index_alerts([new, old])["x"] is new
