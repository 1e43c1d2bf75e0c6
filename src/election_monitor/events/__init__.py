"""The live stream's events: written by whichever process changes something, read by the API.

Input: alert changes (captured automatically from ``alert_events``, see
``models/stream_event.py``), ingest batches (``EventsHook``) and job progress
(``job_progress``). Output: ``stream_events`` rows with increasing ids. Guarantee: a reader
that follows ``StreamReader`` delivers every committed event once, in id order, even when a
slower transaction commits an earlier id after a later one (it waits for the gap to fill).
"""

from election_monitor.events.hook import EventsHook, job_progress
from election_monitor.events.service import (
    StreamReader,
    latest_id,
    oldest_id,
    prune,
    publish,
    publish_job,
)

__all__ = [
    "EventsHook",
    "StreamReader",
    "job_progress",
    "latest_id",
    "oldest_id",
    "prune",
    "publish",
    "publish_job",
]
