"""Prometheus metrics at ``/metrics``: requests and latencies of this process, its
notification dispatcher's counters (``notify/metrics.py``: sent, failed, retried,
dead-lettered per channel), and ingest rows, alerts and notification deliveries read from the
database at scrape time (so work done by other processes counts)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import SQLAlchemyError
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from election_monitor.models import (
    Alert,
    FileProcessingJob,
    NotificationChannel,
    NotificationDelivery,
)

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class DatabaseCollector(Collector):
    """Ingest rows by outcome, file jobs by status and alerts raised, counted in the database."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        try:
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(
                        func.coalesce(func.sum(FileProcessingJob.rows_inserted), 0),
                        func.coalesce(func.sum(FileProcessingJob.rows_duplicate), 0),
                        func.coalesce(func.sum(FileProcessingJob.rows_rejected), 0),
                    )
                ).one()
                jobs = conn.execute(
                    select(FileProcessingJob.status, func.count()).group_by(
                        FileProcessingJob.status
                    )
                ).all()
                notifications = conn.execute(
                    select(NotificationChannel.name, NotificationDelivery.status, func.count())
                    .join(
                        NotificationChannel,
                        NotificationChannel.id == NotificationDelivery.channel_id,
                    )
                    .group_by(NotificationChannel.name, NotificationDelivery.status)
                ).all()
                alerts = conn.execute(
                    select(Alert.severity, Alert.type, func.count()).group_by(
                        Alert.severity, Alert.type
                    )
                ).all()
        except SQLAlchemyError:
            return
        ingest = CounterMetricFamily(
            "elmon_ingest_rows", "Rows read by ingest, by outcome", labels=["outcome"]
        )
        for outcome, value in zip(("inserted", "duplicate", "rejected"), rows, strict=True):
            ingest.add_metric([outcome], float(value))
        yield ingest
        by_status = GaugeMetricFamily("elmon_file_jobs", "File jobs by status", labels=["status"])
        for status, count in jobs:
            by_status.add_metric([status or "unknown"], float(count))
        yield by_status
        raised = CounterMetricFamily(
            "elmon_alerts_raised",
            "Alerts raised, by severity and type",
            labels=["severity", "type"],
        )
        for severity, type_, count in alerts:
            raised.add_metric([severity, type_], float(count))
        yield raised
        # Whichever process sends them (elmon serve, elmon notify): the database's view.
        deliveries = GaugeMetricFamily(
            "elmon_notification_deliveries",
            "Notification deliveries by channel and status (pending, sending, delivered, dead)",
            labels=["channel", "status"],
        )
        for channel, status, count in notifications:
            deliveries.add_metric([channel, status], float(count))
        yield deliveries


class Metrics:
    """One registry per app (tests build many apps in one process)."""

    def __init__(self, engine: Engine) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "elmon_http_requests",
            "HTTP requests by method, route and status",
            ["method", "route", "status"],
            registry=self.registry,
        )
        self.latency = Histogram(
            "elmon_http_request_duration_seconds",
            "HTTP request latency by method and route",
            ["method", "route"],
            buckets=BUCKETS,
            registry=self.registry,
        )
        self.registry.register(DatabaseCollector(engine))

    def render(self) -> bytes:
        return generate_latest(self.registry)


class MetricsMiddleware:
    """Counts and times every request under its route template (``/api/v1/alerts/{id}``)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}

        async def send_wrapper(message: Message) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_wrapper)
        finally:
            route: Any = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            method = scope.get("method", "")
            self.metrics.requests.labels(method, template, str(status["code"])).inc()
            self.metrics.latency.labels(method, template).observe(time.perf_counter() - started)
