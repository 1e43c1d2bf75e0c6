"""Watch a folder: ingest each new or changed file once, after it has stopped growing.

A file being copied in is seen many times while it grows; it is handed to ingest only when
its size and modification time have stayed the same for ``settle_seconds``. Jobs make the
"once" exact: the same bytes are never loaded twice, changed bytes get a new job.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from watchfiles import watch

from election_monitor.ingest.readers import iter_input_files


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    since: float


class SettledFiles:
    """Tracks candidate files and releases those that stopped changing."""

    def __init__(self, settle_seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.settle_seconds = settle_seconds
        self.clock = clock
        self._pending: dict[Path, _Seen] = {}
        self._done: dict[Path, tuple[int, int]] = {}

    def note(self, path: Path) -> None:
        """A file was created or changed (or found at start)."""
        try:
            stat = path.stat()
        except FileNotFoundError:
            self._pending.pop(path, None)
            return
        key = (stat.st_size, stat.st_mtime_ns)
        if self._done.get(path) == key:
            return
        seen = self._pending.get(path)
        if seen is None or (seen.size, seen.mtime_ns) != key:
            self._pending[path] = _Seen(stat.st_size, stat.st_mtime_ns, self.clock())

    def ready(self) -> list[Path]:
        """Files unchanged for the settle time; re-checks each one on disk."""
        now = self.clock()
        out: list[Path] = []
        for path, seen in list(self._pending.items()):
            self.note(path)
            current = self._pending.get(path)
            if current is None:
                continue
            if current is seen and now - seen.since >= self.settle_seconds:
                out.append(path)
                del self._pending[path]
                self._done[path] = (seen.size, seen.mtime_ns)
        return sorted(out)


def settled_batches(
    directory: Path,
    *,
    settle_seconds: float = 2.0,
    stop: Callable[[], bool] = lambda: False,
) -> Iterator[list[Path]]:
    """Yield lists of files ready to ingest: first what is already there, then what arrives."""
    tracker = SettledFiles(settle_seconds)
    for path in iter_input_files([directory]):
        tracker.note(path)
    step_ms = int(max(settle_seconds / 2, 0.1) * 1000)
    for changes in watch(
        directory,
        rust_timeout=step_ms,
        yield_on_timeout=True,
        stop_event=None,
        raise_interrupt=False,
    ):
        for _change, name in changes:
            path = Path(name)
            if path.is_file() and not path.name.startswith("."):
                tracker.note(path)
        ready = tracker.ready()
        if ready:
            yield ready
        if stop():
            return
