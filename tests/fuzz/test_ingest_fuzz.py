"""Property: whatever a file holds, ingest accounts for every row and never crashes.

For each generated file (valid rows mixed with hostile mutations, in every format and
container): no exception escapes, rows read = inserted + duplicates + rejected, every valid row
is inserted, a rerun inserts nothing, no row was rejected as an unexpected fault
(``row_unreadable``: that is a bug caught, not a reason), and detection then runs over a frame
bounded by the election window.
"""

from __future__ import annotations

import resource
import tempfile
from datetime import timedelta
from pathlib import Path

from hypothesis import given
from sqlalchemy import select, text

from election_monitor.detection import detect
from election_monitor.detection.frame import hour_floor, load_frame
from election_monitor.detection.service import _settings
from election_monitor.detection.settings import load_settings_file
from election_monitor.ingest.service import FileResult, ingest_paths
from election_monitor.models import Election
from election_monitor.timeutil import ensure_utc
from tests.fuzz import strategies
from tests.fuzz.conftest import FuzzDatabase
from tests.fuzz.strategies import FuzzFile


def accounted(result: FileResult) -> bool:
    return result.rows_read == result.inserted + result.duplicates + result.rejected


def stored_ids(db: FuzzDatabase) -> set[str]:
    with db.engine.connect() as conn:
        return set(
            conn.scalars(text("SELECT id FROM transactions UNION SELECT id FROM contract_events"))
        )


def check_file(db: FuzzDatabase, file: FuzzFile) -> None:
    db.reset()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / file.name
        path.write_bytes(file.data)
        first = ingest_paths(db.engine, [path], fmt=file.fmt).files[0]
        rerun = ingest_paths(db.engine, [path], fmt=file.fmt, reprocess=True).files[0]
    db.done(first.rows_read, rss_before)
    for result in (first, rerun):
        assert accounted(result), result
        assert not (result.error or "").startswith("internal error"), result.error
        if not file.damaged:
            assert result.status == "completed", result.error
    assert rerun.inserted == 0, rerun
    with db.engine.connect() as conn:
        faults = list(
            conn.scalars(
                text("SELECT reason FROM rejected_rows WHERE reason LIKE 'row_unreadable%'")
            )
        )
    assert not faults, faults
    if not file.damaged:
        missing = file.valid_ids - stored_ids(db)
        assert not missing, sorted(missing)
    with db.engine.begin() as conn:
        detect(conn)
        settings = _settings(conn, load_settings_file(None), "E1")
        frame = load_frame(conn, "E1", settings)
        start, end = conn.execute(
            select(Election.start_date, Election.end_date).where(Election.id == "E1")
        ).one()
    lo = hour_floor(ensure_utc(start) - timedelta(hours=settings.frame_margin_before_hours))
    hi = hour_floor(ensure_utc(end) + timedelta(hours=settings.frame_margin_after_hours))
    assert frame.h0 >= lo
    assert frame.n_hours <= (hi - lo) / timedelta(hours=1) + 1


@given(file=strategies.fuzz_files(formats=("deg-export",)))
def test_fuzzed_export_files_load_every_valid_row(fuzz_db: FuzzDatabase, file: FuzzFile) -> None:
    check_file(fuzz_db, file)


@given(file=strategies.fuzz_files(formats=("deg-dump",)))
def test_fuzzed_dump_files_load_every_valid_row(fuzz_db: FuzzDatabase, file: FuzzFile) -> None:
    check_file(fuzz_db, file)


@given(file=strategies.fuzz_files(formats=("hourly-csv",)))
def test_fuzzed_hourly_files_load_every_valid_row(fuzz_db: FuzzDatabase, file: FuzzFile) -> None:
    check_file(fuzz_db, file)
