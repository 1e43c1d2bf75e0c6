"""The dispatcher: plan the outbox into deliveries, then send what is due; forever.

Run by ``elmon notify`` and, in a background thread, by ``elmon serve``. Any number may run
against one PostgreSQL database (rows are claimed with SKIP LOCKED); on SQLite run one.
An error in a round (the database restarting, a bug) is logged and the next round tries
again: the dispatcher never stops the server, and detection and ingest never wait for it.
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from election_monitor.notify.metrics import NotifyCounters
from election_monitor.notify.planner import PlanReport, plan
from election_monitor.notify.sender import SendReport, send_due
from election_monitor.notify.settings import NotifySettings, get_notify_settings
from election_monitor.timeutil import utcnow

log = logging.getLogger("election_monitor.notify")


@dataclass
class RoundReport:
    plan: PlanReport
    send: SendReport

    @property
    def busy(self) -> bool:
        """Whether the round did work (the next one follows at once)."""
        return bool(self.plan.processed or self.plan.repeats or self.send.claimed)

    def as_dict(self) -> dict[str, Any]:
        return {
            "outbox_read": self.plan.read,
            "outbox_processed": self.plan.processed,
            "waiting_in_groups": self.plan.waiting,
            "deliveries_planned": self.plan.deliveries,
            "repeats": self.plan.repeats,
            "muted": dict(self.plan.muted),
            "claimed": self.send.claimed,
            "delivered": self.send.delivered,
            "retried": self.send.retried,
            "dead_lettered": self.send.dead,
        }


class Dispatcher:
    """Plans and sends; one object per process (it owns an HTTP connection pool)."""

    def __init__(
        self,
        engine: Engine,
        *,
        settings: NotifySettings | None = None,
        counters: NotifyCounters | None = None,
    ) -> None:
        self.engine = engine
        self.settings = settings or get_notify_settings()
        self.counters = counters or NotifyCounters()
        self.client = httpx.Client(follow_redirects=False)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def plan_once(self, now: datetime | None = None) -> PlanReport:
        with Session(self.engine, expire_on_commit=False) as db:
            report = plan(db, self.settings, now=now or utcnow(), counters=self.counters)
            db.commit()
        return report

    def run_once(self, now: datetime | None = None) -> RoundReport:
        """One round: plan, then send what is due."""
        planned = self.plan_once(now)
        sent = send_due(
            self.engine, self.settings, client=self.client, counters=self.counters, now=now
        )
        return RoundReport(planned, sent)

    def run_until_idle(self, *, max_rounds: int = 1000) -> list[RoundReport]:
        """Rounds until one does nothing (tests, the demo, ``elmon notify --once``)."""
        reports = []
        for _ in range(max_rounds):
            report = self.run_once()
            reports.append(report)
            if not report.busy:
                break
        return reports

    def run_forever(self) -> None:
        """Rounds until ``stop()``; errors are logged, never raised."""
        while not self._stop.is_set():
            busy = False
            try:
                busy = self.run_once().busy
            except Exception:
                log.exception("notification round failed; trying again")
            if not busy:
                self._stop.wait(self.settings.poll_seconds)

    def start(self) -> threading.Thread:
        """Run in a daemon thread (``elmon serve``)."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run_forever, name="elmon-notify", daemon=True)
        self._thread.start()
        return self._thread

    def request_stop(self) -> None:
        """Ask ``run_forever`` to return after its round (safe from a signal handler)."""
        self._stop.set()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
        self.client.close()
