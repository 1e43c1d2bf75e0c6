"""``elmon alerts list|show|update|history|score|export``: triage alerts, follow their audit
trail, and export an alert's evidence pack."""

from __future__ import annotations

import getpass
import hashlib
import os
from pathlib import Path
from typing import Annotated, Any

import typer
from sqlalchemy import select

from election_monitor.alerts import history as alert_history
from election_monitor.alerts import update_alert
from election_monitor.alerts.lifecycle import allowed_next
from election_monitor.alerts.service import wake_expired_snoozes
from election_monitor.cli.output import JsonOpt, LimitOpt, console, fail, print_json, print_table
from election_monitor.crud.alert import SEVERITY_RANK
from election_monitor.db import session_scope
from election_monitor.enums import AlertSeverity, AlertStatus, values
from election_monitor.exceptions import ElectionMonitorError, InvalidInputError, NotFoundError
from election_monitor.models import Alert, AlertEvent, AnomalyScore, Constituency
from election_monitor.reports.evidence import evidence_pack
from election_monitor.reports.i18n import check_language
from election_monitor.reports.service import write_atomically
from election_monitor.schemas import AlertResponse
from election_monitor.timeutil import parse_datetime

app = typer.Typer(help="Alerts: triage, assign, annotate, snooze, resolve.", no_args_is_help=True)


def _actor(value: str | None) -> str:
    return value or os.environ.get("ELMON_USER") or getpass.getuser()


def _check(value: str | None, allowed: list[str], label: str) -> None:
    if value is not None and value not in allowed:
        raise fail(f"{label} must be one of {allowed}, got {value!r}")


def _event(e: AlertEvent) -> dict[str, Any]:
    return {
        "at": e.at.isoformat(),
        "actor": e.actor,
        "action": e.action,
        "from": e.from_value,
        "to": e.to_value,
        "note": e.note,
    }


@app.command("list")
def list_(
    status: Annotated[
        str | None, typer.Option("--status", help="active, investigating, ...")
    ] = None,
    severity: Annotated[
        str | None, typer.Option("--severity", help="critical, warning, info.")
    ] = None,
    type_: Annotated[
        str | None, typer.Option("--type", help="Alert type, e.g. unusual_spike.")
    ] = None,
    constituency: Annotated[
        str | None, typer.Option("--constituency", help="Constituency id.")
    ] = None,
    limit: LimitOpt = None,
    json: JsonOpt = False,
) -> None:
    """List alerts, most severe and newest first."""
    _check(status, values(AlertStatus), "status")
    _check(severity, values(AlertSeverity), "severity")
    with session_scope() as db:
        wake_expired_snoozes(db)
        query = select(Alert)
        if status:
            query = query.where(Alert.status == status)
        if severity:
            query = query.where(Alert.severity == severity)
        if type_:
            query = query.where(Alert.type == type_)
        if constituency:
            query = query.where(Alert.constituency_id == constituency)
        query = query.order_by(SEVERITY_RANK, Alert.detected_at.desc(), Alert.id)
        if limit is not None:
            query = query.limit(max(limit, 0))
        rows = [AlertResponse.model_validate(a) for a in db.scalars(query)]
    if json:
        print_json(rows)
        return
    print_table(
        "Alerts",
        ["id", "severity", "status", "type", "constituency", "title", "assigned"],
        [
            (r.id, r.severity, r.status, r.type, r.constituency_id, r.title, r.assigned_to)
            for r in rows
        ],
    )


@app.command()
def show(alert_id: Annotated[str, typer.Argument(help="Alert id.")], json: JsonOpt = False) -> None:
    """One alert with its evidence, notes and audit trail."""
    try:
        with session_scope() as db:
            alert = db.get(Alert, alert_id)
            if alert is None:
                raise NotFoundError("Alert", alert_id)
            response = AlertResponse.model_validate(alert)
            events = [_event(e) for e in alert_history(db, alert_id=alert_id)]
            allowed = allowed_next(alert.status or AlertStatus.ACTIVE.value)
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json(
            {**response.model_dump(mode="json"), "history": events, "allowed_status": allowed}
        )
        return
    console.print(f"[bold]{response.title}[/]  ({response.severity}, {response.status})")
    console.print(f"{response.type} in {response.constituency_id}; detected {response.detected_at}")
    if response.description:
        console.print(response.description)
    if response.assigned_to:
        console.print(f"assigned to {response.assigned_to}")
    console.print_json(data=response.details or {})
    for note in response.notes:
        console.print(f"note: {note}")
    print_table(
        "History",
        ["at", "actor", "action", "from", "to", "note"],
        [(e["at"], e["actor"], e["action"], e["from"], e["to"], e["note"]) for e in events],
    )
    console.print(f"next status: {', '.join(allowed)}")


@app.command()
def update(
    alert_id: Annotated[str, typer.Argument(help="Alert id.")],
    status: Annotated[str | None, typer.Option("--status", help="New status.")] = None,
    assign: Annotated[
        str | None, typer.Option("--assign", help="Assign to WHO ('' unassigns).")
    ] = None,
    note: Annotated[str | None, typer.Option("--note", help="Add a note.")] = None,
    snooze_until: Annotated[
        str | None, typer.Option("--snooze-until", help="Snooze until this ISO time.")
    ] = None,
    until_worse: Annotated[
        bool, typer.Option("--until-worse", help="Snooze until the evidence gets worse.")
    ] = False,
    actor: Annotated[
        str | None,
        typer.Option("--actor", help="Who makes the change [default: $ELMON_USER or login]."),
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Change status, assignee, add a note or snooze; every change goes to the audit trail."""
    _check(status, values(AlertStatus), "status")
    if (
        status is None
        and assign is None
        and note is None
        and snooze_until is None
        and not until_worse
    ):
        raise fail("nothing to update: give --status, --assign, --note or --snooze-until")
    try:
        until = parse_datetime(snooze_until) if snooze_until else None
    except ValueError as exc:
        raise fail(f"--snooze-until must be ISO-8601: {exc}") from exc
    try:
        with session_scope() as db:
            alert = update_alert(
                db,
                alert_id=alert_id,
                actor=_actor(actor),
                status=status,
                assign_to=assign,
                note=note,
                snooze_until=until,
                until_worse=until_worse,
            )
            response = AlertResponse.model_validate(alert)
    except (ElectionMonitorError, InvalidInputError) as exc:
        raise fail(exc) from exc
    if json:
        print_json(response)
    else:
        console.print(
            f"{response.id}: {response.status}, assigned to {response.assigned_to or '-'}"
        )


@app.command()
def score(
    constituency_id: Annotated[str, typer.Argument(help="Constituency id.")], json: JsonOpt = False
) -> None:
    """A constituency's anomaly score and what contributes to it."""
    with session_scope() as db:
        c = db.get(Constituency, constituency_id)
        if c is None:
            raise fail(NotFoundError("Constituency", constituency_id))
        row = db.get(AnomalyScore, constituency_id)
        data: dict[str, Any] = {
            "constituency_id": c.id,
            "name": c.name,
            "anomaly_score": c.anomaly_score or 0.0,
            "components": row.components if row else [],
            "data_time": row.data_time.isoformat() if row and row.data_time else None,
        }
    if json:
        print_json(data)
        return
    console.print(f"{data['name']} ({data['constituency_id']}): score {data['anomaly_score']:.2f}")
    print_table(
        "Contributions",
        ["family", "type", "evidence", "weight", "contribution", "title"],
        [
            (x["family"], x["type"], x["evidence"], x["weight"], x["contribution"], x["title"])
            for x in data["components"]
        ],
    )


@app.command("export")
def export_evidence(
    alert_id: Annotated[str, typer.Argument(help="Alert id.")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="ZIP file [default: evidence-ID.zip].")
    ] = None,
    lang: Annotated[str, typer.Option("--lang", help="Narrative language: en or ru.")] = "en",
    json: JsonOpt = False,
) -> None:
    """The alert's evidence pack: one deterministic ZIP (quote its SHA-256 in a complaint)."""
    target = output or Path(f"evidence-{alert_id}.zip")
    try:
        check_language(lang)
        with session_scope() as db:
            data = evidence_pack(db, alert_id=alert_id, lang=lang)
        write_atomically(target, data)
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    digest = hashlib.sha256(data).hexdigest()
    if json:
        print_json({"path": str(target), "sha256": digest, "bytes": len(data)})
        return
    console.print(f"evidence pack: {target} (sha256 {digest})")
