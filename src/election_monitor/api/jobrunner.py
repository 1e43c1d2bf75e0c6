"""Background ingest of uploaded files: a small thread pool owned by the app.

Each job runs ``ingest_paths`` with the detection and event hooks, announces its progress
after every committed batch, and its end (``job.finished``). A job that raises is marked
failed with the error, so it can be retried.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from sqlalchemy import Engine, select

from election_monitor.config import get_settings
from election_monitor.enums import JobStatus
from election_monitor.events import EventsHook, job_progress, publish_job
from election_monitor.ingest import jobs
from election_monitor.ingest.service import BatchHook, IngestSummary, ingest_paths
from election_monitor.models import FileProcessingJob

log = logging.getLogger("election_monitor.api.jobs")

HooksFactory = Callable[[], Sequence[BatchHook]]
#: Called after a job with its summary (the metrics module counts rows and alerts).
FinishedCallback = Callable[[IngestSummary], None]


def default_hooks() -> list[BatchHook]:
    """Detection (alerts as data arrives), then the stream's constituency totals."""
    from election_monitor.detection import DetectionHook  # heavy: numpy, scipy

    return [DetectionHook(), EventsHook()]


class JobRunner:
    """Runs file jobs in threads; ``shutdown`` waits for the running ones."""

    def __init__(
        self,
        engine: Engine,
        *,
        workers: int = 1,
        hooks: HooksFactory = default_hooks,
        on_finished: FinishedCallback | None = None,
    ) -> None:
        self.engine = engine
        self.hooks = hooks
        self.on_finished = on_finished
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="elmon-job")
        self._running: dict[str, Future[None]] = {}
        self._lock = threading.Lock()

    def is_running(self, job_id: str) -> bool:
        """Whether this process is working on (or has queued) the job."""
        with self._lock:
            future = self._running.get(job_id)
            return future is not None and not future.done()

    def submit(self, *, job_id: str, path: Path, election_id: str | None, fmt: str) -> None:
        """Queue the job (its row must exist, status processing)."""
        with self._lock:
            self._running[job_id] = self._pool.submit(self._run, job_id, path, election_id, fmt)

    def _run(self, job_id: str, path: Path, election_id: str | None, fmt: str) -> None:
        try:
            summary = ingest_paths(
                self.engine,
                [path],
                election_id=election_id,
                fmt=fmt,
                batch_size=get_settings().ingest_batch_size,
                progress=job_progress(self.engine, job_id),
                hooks=self.hooks(),
            )
            if self.on_finished is not None:
                self.on_finished(summary)
            self._fail(job_id, "the ingest ended without finishing this job")  # no-op normally
        except Exception as exc:  # a job must end failed, never stay "processing"
            log.exception("job %s failed", job_id)
            self._fail(job_id, f"{type(exc).__name__}: {exc}")
        finally:
            with self.engine.begin() as conn:
                publish_job(conn, job_id, kind="job.finished")
            with self._lock:
                self._running.pop(job_id, None)

    def _fail(self, job_id: str, error: str) -> None:
        with self.engine.begin() as conn:
            status = conn.scalar(
                select(FileProcessingJob.status).where(FileProcessingJob.id == job_id)
            )
            if status == JobStatus.PROCESSING:
                jobs.finish_job(conn, job_id, error=error)

    def shutdown(self, *, wait: bool = True) -> None:
        """Stop taking jobs; with ``wait``, let the running ones finish. Queued jobs that
        never started are marked failed, so they can be retried."""
        self._pool.shutdown(wait=wait, cancel_futures=True)
        with self._lock:
            cancelled = [job_id for job_id, f in self._running.items() if f.cancelled()]
        for job_id in cancelled:
            self._fail(job_id, "the server stopped before this job ran; retry it")
