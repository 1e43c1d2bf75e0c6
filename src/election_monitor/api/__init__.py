"""The HTTP API (FastAPI): REST resources under ``/api/v1``, the live event stream, health
and Prometheus metrics. ``create_app()`` builds the application; ``elmon serve`` runs it."""

from election_monitor.api.main import create_app

__all__ = ["create_app"]
