"""The CLI never shows a traceback: an unexpected error prints one line with an id, and the
traceback is in the error log under that id."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import election_monitor


def test_an_unexpected_error_prints_one_line_with_an_id_that_is_in_the_error_log(
    tmp_path: Path,
) -> None:
    log = tmp_path / "errors.log"
    # A database file that cannot be opened: SQLAlchemy's OperationalError, which no command
    # expects, reaches the entry point.
    url = f"sqlite:///{tmp_path / 'no-such-folder' / 'x.db'}"
    done = subprocess.run(
        [sys.executable, "-m", "election_monitor", "--database-url", url, "detect"],
        env={
            **os.environ,
            "ELMON_ERROR_LOG": str(log),
            "PYTHONPATH": str(Path(election_monitor.__file__).resolve().parents[1]),
        },
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 2
    assert "Traceback" not in done.stderr + done.stdout
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, done.stderr
    match = re.search(r"internal error (E-[0-9a-f]{10})", lines[0])
    assert match, lines[0]
    logged = log.read_text()
    assert match.group(1) in logged
    assert "Traceback" in logged
