"""The readers: a file (or folder) in, a stream of ``ChainRecord | RowError`` out.

One module per format (``docs/formats.md``), all registered in :data:`FORMATS`. The format
is sniffed from content, not trusted from names, because observers rename files:

- first non-blank line is a JSON object with ``"height"`` -> ``deg-dump``;
- first non-blank line is a header naming ``tx_id`` / ``constituency_id`` -> ``hourly-csv``;
- a line of exactly 12 ``;``-separated fields (no header) -> ``deg-export``;
- a folder whose input files are all ``.jsonl`` / ``.jsonl.gz`` -> ``deg-dump``.

Readers are pure and stream; see ``election_monitor.ingest`` for the guarantees.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Protocol

import orjson

from election_monitor.exceptions import InvalidInputError
from election_monitor.ingest.limits import Limits, current_limits
from election_monitor.ingest.opener import natural_key, open_sources
from election_monitor.ingest.readers import deg_dump, deg_export, hourly_csv
from election_monitor.ingest.records import ReadStats, Row

__all__ = [
    "FORMATS",
    "INPUT_SUFFIXES",
    "Reader",
    "detect_format",
    "iter_input_files",
    "read",
]


class Reader(Protocol):
    """What every format's reader is: a path in, rows out, counts into ``stats``."""

    def __call__(
        self, path: Path, *, stats: ReadStats | None = None, limits: Limits = ...
    ) -> Iterator[Row]: ...


FORMATS: dict[str, Reader] = {
    "deg-export": deg_export.read,
    "deg-dump": deg_dump.read,
    "hourly-csv": hourly_csv.read,
}
#: File names taken from folders (case-insensitive); other files in a folder are left alone.
INPUT_SUFFIXES = (".csv", ".jsonl", ".txt", ".gz", ".zip")
_DUMP_SUFFIXES = (".jsonl", ".jsonl.gz")
#: Lines looked at (non-blank) before giving up on recognising an export.
SNIFF_LINES = 20


def _sniff_line(line: str) -> str | None:
    text = line.strip()
    if text.startswith("{"):
        try:
            value = orjson.loads(text)
        except (orjson.JSONDecodeError, RecursionError):
            return "deg-dump" if '"height"' in text else None
        return "deg-dump" if isinstance(value, dict) and "height" in value else None
    fields = [field.strip().strip('"').lower() for field in text.split(";")]
    if fields[0] == "tx_id" or "constituency_id" in fields:
        return "hourly-csv"
    if len(fields) == deg_export.N_FIELDS:
        return "deg-export"
    return None


def _detect_file(path: Path, limits: Limits) -> str:
    sources = open_sources(path, limits)
    with contextlib.closing(sources):
        source = next(sources)  # open_sources raises rather than yield nothing
        seen = 0
        for line, overlong in source.bounded_lines(limits.max_line_chars):
            if overlong:
                # Too long to be read as a row; the reader rejects it. Not evidence of a format.
                seen += 1
                if seen >= SNIFF_LINES:
                    break
                continue
            if not line.strip():
                continue
            found = _sniff_line(line)
            if found is not None:
                return found
            seen += 1
            # A dump or hourly CSV shows itself on its first line; an export may open
            # with a damaged line, so look a little further for one.
            if seen >= SNIFF_LINES:
                break
        if seen == 0:
            # Empty (or blank) file: any reader yields nothing; pick by name.
            return "deg-dump" if path.name.lower().endswith(_DUMP_SUFFIXES) else "deg-export"
    raise InvalidInputError(
        f"{path.name}: cannot tell the format (not a 12-field deg-export line, "
        "a deg-dump block, or an hourly-csv header); pass --format"
    )


def detect_format(path: Path, limits: Limits | None = None) -> str:
    """The format name of a file or folder, sniffed from content; ``InvalidInputError`` if none."""
    path = Path(path)
    limits = limits or current_limits()
    if not path.is_dir():
        return _detect_file(path, limits)
    files = list(iter_input_files([path]))
    if not files:
        raise InvalidInputError(f"{path}: the folder holds no input files")
    if all(file.name.lower().endswith(_DUMP_SUFFIXES) for file in files):
        return "deg-dump"
    found = {_detect_file(file, limits) for file in files}
    if len(found) > 1:
        raise InvalidInputError(f"{path}: the folder mixes formats ({', '.join(sorted(found))})")
    return found.pop()


def iter_input_files(paths: Iterable[Path | str]) -> Iterator[Path]:
    """The files to read: files as given, folders expanded recursively; each once.

    Order is deterministic: arguments in the order given, each folder's files in natural
    order of their relative paths (``shard-1/2-1000.jsonl`` before ``shard-1/1001-2000.jsonl``,
    so a dump's chunks come in height order). In folders, hidden files and folders (``.name``)
    and files without an input suffix (:data:`INPUT_SUFFIXES`) are skipped; a file named
    explicitly is always taken.

    Folders are walked lazily, one directory listing at a time (sorted per directory, which
    gives the same order as sorting every relative path), so a folder of 36,000 files starts
    loading at once and never holds its whole listing. Every argument is checked to exist
    before the first file is yielded.
    """
    given = [Path(p) for p in paths]
    for path in given:
        if not (path.is_dir() or path.is_file()):
            raise InvalidInputError(f"no such file or folder: {path}")
    seen: set[Path] = set()
    for path in given:
        found = _walk(path) if path.is_dir() else iter([path])
        for file in found:
            key = file.resolve()
            if key not in seen:
                seen.add(key)
                yield file


def _walk(folder: Path) -> Iterator[Path]:
    """Input files under ``folder``, depth first, each directory's entries in natural order."""
    with os.scandir(folder) as listing:
        entries = sorted(
            (e for e in listing if not e.name.startswith(".")), key=lambda e: natural_key(e.name)
        )
    for entry in entries:
        if entry.is_dir(follow_symlinks=False):
            yield from _walk(Path(entry.path))
        elif entry.is_file() and entry.name.lower().endswith(INPUT_SUFFIXES):
            yield Path(entry.path)


def _read(path: Path, format: str, stats: ReadStats | None, limits: Limits) -> Iterator[Row]:
    if path.is_dir():
        for file in iter_input_files([path]):
            yield from _read(file, format, stats, limits)
        return
    name = detect_format(path, limits) if format == "auto" else format
    yield from FORMATS[name](path, stats=stats, limits=limits)


def read(
    path: Path | str,
    format: str = "auto",
    *,
    stats: ReadStats | None = None,
    limits: Limits | None = None,
) -> Iterator[Row]:
    """Read a file or folder as ``format`` (``"auto"``: sniffed per file); rows stream out.

    The format name and the path are checked now; damaged containers and undetectable files
    raise ``InvalidInputError`` when reached. Counts go into ``stats`` as each source ends.
    ``limits`` default to the configured ones (``limits.current_limits``).
    """
    path = Path(path)
    if format != "auto" and format not in FORMATS:
        raise InvalidInputError(
            f"unknown format {format!r}; expected auto or one of {', '.join(FORMATS)}"
        )
    if not path.exists():
        raise InvalidInputError(f"no such file or folder: {path}")
    return _read(path, format, stats, limits or current_limits())
