"""``elmon demo --notify``: the demo's alerts delivered to a webhook receiver on 127.0.0.1.

Starts a ``WebhookReceiver`` (it checks every signature), points the ``demo-webhook`` channel
at it (created on the first run, its URL updated on later ones), routes every alert change
to it, and runs the dispatcher until nothing is left. Alerts notified by an earlier run are
not sent again (their outbox rows are processed), so a re-run may receive nothing new.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from election_monitor.accounts.audit import Actor
from election_monitor.exceptions import NotFoundError
from election_monitor.notify import channels
from election_monitor.notify.dispatcher import Dispatcher
from election_monitor.notify.receiver import WebhookReceiver
from election_monitor.notify.settings import NotifySettings

CHANNEL = "demo-webhook"
ACTOR = Actor.cli("elmon-demo")


@dataclass
class NotifyDemoResult:
    """What the receiver got, and where it listens."""

    url: str
    messages: int
    alerts: int
    resends_dropped: int
    bad_signatures: int
    dead_letters: int
    receiver: WebhookReceiver

    def describe(self) -> str:
        return (
            f"notifications: {self.messages} message(s) listing {self.alerts} alert(s) "
            f"received by the webhook receiver at {self.url} (signatures checked: "
            f"{self.bad_signatures} bad; {self.dead_letters} dead letter(s))"
        )


def _configure(engine: Engine, url: str, secret: str) -> None:
    with Session(engine) as db:
        config = {"url": url, "secret": secret, "timeout_seconds": 5}
        try:
            channels.update_channel(db, ref=CHANNEL, config=config, enabled=True, actor=ACTOR)
        except NotFoundError:
            channels.create_channel(db, name=CHANNEL, kind="webhook", config=config, actor=ACTOR)
            channels.create_rule(db, actor=ACTOR, name=f"{CHANNEL}: all", channel_ref=CHANNEL)
        db.commit()


def run_notify_demo(engine: Engine, *, keep_receiver: bool = False) -> NotifyDemoResult:
    """Deliver what the demo raised; the receiver keeps listening if ``keep_receiver``."""
    secret = secrets.token_urlsafe(24)
    receiver = WebhookReceiver(secret).start()
    try:
        _configure(engine, receiver.url, secret)
        # No group wait: the demo's alerts are all raised already.
        dispatcher = Dispatcher(engine, settings=NotifySettings(group_wait_seconds=0))
        reports = dispatcher.run_until_idle()
        dispatcher.stop()
    finally:
        if not keep_receiver:
            receiver.stop()
    state = receiver.state
    return NotifyDemoResult(
        url=receiver.url,
        messages=len(state.unique),
        alerts=sum(int(m.payload.get("count", 0)) for m in state.unique),
        resends_dropped=state.duplicates,
        bad_signatures=state.bad_signatures,
        dead_letters=sum(r.send.dead for r in reports),
        receiver=receiver,
    )
