"""``elmon notify`` (the dispatcher), ``elmon channels ...`` and ``elmon silences ...``."""

from __future__ import annotations

import getpass
import os
import signal
from datetime import timedelta
from typing import Annotated, Any

import typer

from election_monitor.accounts.audit import Actor
from election_monitor.cli.output import JsonOpt, console, fail, print_json, print_table
from election_monitor.db import session_scope
from election_monitor.db.session import get_engine
from election_monitor.exceptions import ElectionMonitorError
from election_monitor.models import NotificationChannel, NotificationSilence
from election_monitor.notify import Dispatcher, channels, deliveries, silences
from election_monitor.notify.config import redacted
from election_monitor.timeutil import parse_datetime, utcnow

channels_app = typer.Typer(help="Notification channels (webhook, e-mail).", no_args_is_help=True)
silences_app = typer.Typer(help="Silences: mute notifications for a while.", no_args_is_help=True)


def _actor() -> Actor:
    return Actor.cli(os.environ.get("ELMON_USER") or getpass.getuser())


def notify(
    once: Annotated[
        bool, typer.Option("--once", help="Work until nothing is left, then exit.")
    ] = False,
    json: JsonOpt = False,
) -> None:
    """Run the notification dispatcher (until Ctrl-C, or --once)."""
    dispatcher = Dispatcher(get_engine())
    if once:
        reports = [r.as_dict() for r in dispatcher.run_until_idle()]
        dispatcher.stop()
        totals = {k: sum(r[k] for r in reports) for k in ("outbox_processed", "delivered",
                  "retried", "dead_lettered", "deliveries_planned")}  # fmt: skip
        if json:
            print_json(totals)
        else:
            console.print(", ".join(f"{k} {v}" for k, v in totals.items()))
        return
    signal.signal(signal.SIGTERM, lambda *_: dispatcher.request_stop())
    console.print("notification dispatcher running (Ctrl-C stops it)")
    try:
        dispatcher.run_forever()
    except KeyboardInterrupt:
        pass
    finally:
        dispatcher.stop()


def _channel(c: NotificationChannel) -> dict[str, Any]:
    return {
        "id": c.id,
        "name": c.name,
        "kind": c.kind,
        "enabled": c.enabled,
        "status": c.status,
        "last_error": c.last_error,
        "config": redacted(c.config or {}),
    }


@channels_app.command("add")
def channels_add(
    name: str,
    webhook: Annotated[str | None, typer.Option("--webhook", help="Webhook URL.")] = None,
    secret: Annotated[str | None, typer.Option("--secret", help="Webhook HMAC secret.")] = None,
    smtp_host: Annotated[str | None, typer.Option("--smtp-host")] = None,
    smtp_port: Annotated[int, typer.Option("--smtp-port")] = 587,
    security: Annotated[str, typer.Option("--security", help="starttls, tls, none.")] = "starttls",
    sender: Annotated[str | None, typer.Option("--from", help="E-mail sender.")] = None,
    to: Annotated[list[str] | None, typer.Option("--to", help="E-mail recipient.")] = None,
    route: Annotated[
        bool, typer.Option("--route/--no-route", help="Also route every alert change to it.")
    ] = True,
    severity: Annotated[
        list[str] | None, typer.Option("--severity", help="Route only these severities.")
    ] = None,
    json: JsonOpt = False,
) -> None:
    """Add a webhook (--webhook URL --secret S) or an e-mail channel (--smtp-host ...)."""
    config: dict[str, Any]
    if webhook:
        kind, config = "webhook", {"url": webhook, "secret": secret or ""}
    elif smtp_host:
        kind = "email"
        config = {"host": smtp_host, "port": smtp_port, "security": security,
                  "sender": sender or "", "to": list(to or [])}  # fmt: skip
    else:
        raise fail("give --webhook URL (with --secret) or --smtp-host HOST")
    try:
        with session_scope() as db:
            channel = channels.create_channel(
                db, name=name, kind=kind, config=config, actor=_actor()
            )
            if route:
                channels.create_rule(
                    db, actor=_actor(), name=f"{name}: all", channel_ref=channel.id,
                    severities=list(severity or []),
                )  # fmt: skip
            out = _channel(channel)
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json(out)
    else:
        console.print(f"channel {name} added ({out['id']})")


@channels_app.command("list")
def channels_list(json: JsonOpt = False) -> None:
    """Channels with their health (status, last error)."""
    with session_scope() as db:
        rows = [_channel(c) for c in channels.list_channels(db)]
    if json:
        print_json(rows)
        return
    print_table(
        "Channels",
        ["name", "kind", "enabled", "status", "last error"],
        [[r["name"], r["kind"], r["enabled"], r["status"], r["last_error"] or ""] for r in rows],
    )


@channels_app.command("remove")
def channels_remove(name: str) -> None:
    """Remove a channel with its routes and deliveries."""
    try:
        with session_scope() as db:
            channels.delete_channel(db, ref=name, actor=_actor())
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    console.print(f"channel {name} removed")


@channels_app.command("dead-letters")
def dead_letters(json: JsonOpt = False) -> None:
    """Deliveries that could not be made, with their last error."""
    with session_scope() as db:
        items, _ = deliveries.dead_letters(db, limit=1000)
        rows = [{"id": d.id, "channel_id": d.channel_id, "attempts": d.attempts,
                 "last_error": d.last_error, "summary": d.payload.get("summary")}
                for d in items]  # fmt: skip
    if json:
        print_json(rows)
        return
    table = [[r["id"], r["attempts"], r["last_error"], r["summary"]] for r in rows]
    print_table("Dead letters", ["id", "attempts", "last error", "summary"], table)


@channels_app.command("retry")
def retry(
    delivery_id: Annotated[str | None, typer.Argument(help="A dead letter's id.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Every dead letter.")] = False,
) -> None:
    """Send dead letters again (the dispatcher picks them up)."""
    try:
        with session_scope() as db:
            if all_:
                count = deliveries.retry_all(db, actor=_actor())
            elif delivery_id:
                deliveries.retry(db, delivery_id=delivery_id, actor=_actor())
                count = 1
            else:
                raise fail("give a delivery id or --all")
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    console.print(f"{count} dead letter(s) queued again")


def _silence(s: NotificationSilence) -> dict[str, Any]:
    return {"id": s.id, "matchers": s.matchers, "starts_at": s.starts_at.isoformat(),
            "ends_at": s.ends_at.isoformat(), "author": s.author, "comment": s.comment,
            "expired_at": s.expired_at.isoformat() if s.expired_at else None}  # fmt: skip


@silences_app.command("add")
def silences_add(
    match: Annotated[
        list[str], typer.Option("--match", help="field=value (region=77, type=..., ...).")
    ],
    comment: Annotated[str, typer.Option("--comment", help="Why.")],
    hours: Annotated[float | None, typer.Option("--hours", help="Duration from now.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="End, ISO-8601.")] = None,
    json: JsonOpt = False,
) -> None:
    """Mute notifications of matching alerts until a time (audited)."""
    matchers = {}
    for item in match:
        key, sep, value = item.partition("=")
        if not sep:
            raise fail(f"--match takes field=value, got {item!r}")
        matchers[key.strip()] = value.strip()
    try:
        if until:
            ends = parse_datetime(until)
        elif hours:
            ends = utcnow() + timedelta(hours=hours)
        else:
            raise fail("give --hours or --until")
    except ValueError as exc:
        raise fail(f"--until is not an ISO time: {until!r}") from exc
    try:
        with session_scope() as db:
            out = _silence(silences.create_silence(
                db, matchers=matchers, ends_at=ends, comment=comment, actor=_actor()
            ))  # fmt: skip
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    if json:
        print_json(out)
    else:
        console.print(f"silence {out['id']} until {out['ends_at']}")


@silences_app.command("list")
def silences_list(
    all_: Annotated[bool, typer.Option("--all", help="Ended ones too.")] = False,
    json: JsonOpt = False,
) -> None:
    """Active silences (or all)."""
    with session_scope() as db:
        rows = [_silence(s) for s in silences.list_silences(db, active_only=not all_)]
    if json:
        print_json(rows)
        return
    print_table("Silences", ["id", "matchers", "ends", "author", "comment"],
                [[r["id"], r["matchers"], r["ends_at"], r["author"], r["comment"]]
                 for r in rows])  # fmt: skip


@silences_app.command("expire")
def silences_expire(silence_id: str) -> None:
    """End a silence now."""
    try:
        with session_scope() as db:
            silences.expire_silence(db, silence_id=silence_id, actor=_actor())
    except ElectionMonitorError as exc:
        raise fail(exc) from exc
    console.print(f"silence {silence_id} ended")
