"""A real ``elmon serve`` on a seeded SQLite file and a Chromium driven by Playwright.

The server runs in its own process (uvicorn on a free port) over a database built by the CLI
the way an operator builds one: ``simulate``, ``db upgrade``, ``elections create``,
``constituencies import``, ``ingest``. One constituency's file is held back so a test can
ingest it from another process while a page is open. Every test here is skipped, with the
reason, when Playwright or the Chromium named by ``ELMON_BROWSER_EXECUTABLE`` is missing.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from election_monitor.config import Settings

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = Path(os.environ.get("ELMON_TEST_ARTIFACTS", ROOT / "test-artifacts"))
PASSWORD = "browser-pass-2026"
ROLES = ("admin", "lead", "observer", "viewer")

pytestmark = pytest.mark.browser


def _chromium() -> str:
    """The browser's path, or a skip saying what is missing."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip("playwright is not installed (pip install -e '.[dev]')")
    path = Settings().browser_executable
    if not (Path(path).is_file() and os.access(path, os.X_OK)):
        found = shutil.which(path)
        if found is None:
            pytest.skip(
                f"no Chromium at {path} (apt-get install chromium, or set ELMON_BROWSER_EXECUTABLE)"
            )
        path = found
    return path


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Site:
    """The running server and what it was seeded with."""

    url: str
    env: dict[str, str]
    workdir: Path
    election_id: str
    held_back: Path  # a constituency's file not loaded yet
    held_back_id: str
    truth: dict[str, Any]

    def elmon(self, *args: str, stdin: str | None = None) -> str:
        """Run the CLI on the site's database; its stdout."""
        return elmon(self.env, *args, stdin=stdin, cwd=self.workdir)

    def api(self, path: str, role: str = "admin") -> Any:
        """A JSON twin read through the API with a fresh session of ``role``."""
        with httpx.Client(base_url=self.url) as client:
            client.post("/login", data={"username": role, "password": PASSWORD, "next": "/"})
            response = client.get(path)
            response.raise_for_status()
            return response.json()


def elmon(env: dict[str, str], *args: str, stdin: str | None = None, cwd: Path) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "election_monitor", *args],
        env=env,
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, f"elmon {' '.join(args)}:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _seed(env: dict[str, str], workdir: Path) -> tuple[str, Path, str, dict[str, Any]]:
    sim = workdir / "sim"
    elmon(
        env,
        "simulate",
        str(sim),
        "--seed",
        "2026",
        "--constituencies",
        "6",
        "--scale",
        "0.02",
        "--workers",
        "1",
        "--json",
        cwd=workdir,
    )
    truth = json.loads((sim / "truth.json").read_text())
    meta = json.loads((sim / "election.json").read_text())
    elmon(env, "db", "upgrade", cwd=workdir)
    created = elmon(
        env,
        "elections",
        "create",
        "--name",
        meta["name"],
        "--start",
        meta["start"],
        "--end",
        meta["end"],
        "--timezone",
        meta["timezone"],
        "--json",
        cwd=workdir,
    )
    election_id = json.loads(created)["id"]
    elmon(
        env,
        "constituencies",
        "import",
        str(sim / "registry.csv"),
        "--election-id",
        election_id,
        cwd=workdir,
    )
    # The constituency whose votes exceed its bulletins arrives later, during a test.
    late = next(a for a in truth["anomalies"] if a["type"] == "votes_exceed_bulletins")
    held = workdir / "later"
    held.mkdir()
    (late_file,) = (sim / "data").glob(f"{late['constituency_id']}_*")
    late_file = late_file.rename(held / late_file.name)
    elmon(env, "ingest", str(sim / "data"), "--election-id", election_id, cwd=workdir)
    for role in ROLES:
        elmon(
            env,
            "users",
            "create",
            role,
            "--role",
            role,
            "--password-stdin",
            stdin=PASSWORD + "\n",
            cwd=workdir,
        )
    return election_id, late_file, late["constituency_id"], truth


@pytest.fixture(scope="session")
def chromium_path() -> str:
    return _chromium()


@pytest.fixture(scope="session")
def site(chromium_path: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    workdir = tmp_path_factory.mktemp("site")
    env = {
        **os.environ,
        "ELMON_DATABASE_URL": f"sqlite:///{workdir / 'elmon.db'}",
        "ELMON_UPLOAD_DIR": str(workdir / "uploads"),
        "ELMON_ERROR_LOG": str(workdir / "errors.log"),
        "ELMON_EVENTS_POLL_SECONDS": "0.2",
        "ELMON_PASSWORD_TIME_COST": "1",
        "ELMON_PASSWORD_MEMORY_KIB": "8192",
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), os.environ.get("PYTHONPATH", "")]),
    }
    election_id, held, held_id, truth = _seed(env, workdir)
    port = _free_port()
    log = (workdir / "server.log").open("w")
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "election_monitor",
            "serve",
            "--port",
            str(port),
            "--no-notify",
            "--log-level",
            "warning",
        ],
        env=env,
        cwd=workdir,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            if server.poll() is not None:
                pytest.fail(f"elmon serve exited: {(workdir / 'server.log').read_text()}")
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield Site(url, env, workdir, election_id, held, held_id, truth)
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()


@pytest.fixture(scope="session")
def browser(chromium_path: str) -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as driver:
        launched = driver.chromium.launch(executable_path=chromium_path)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Any, site: Site) -> Iterator[Any]:
    """A fresh tablet-sized page (its own cookies) on the site."""
    context = browser.new_context(
        base_url=site.url, viewport={"width": 820, "height": 1180}, locale="en-GB"
    )
    context.set_default_timeout(30_000)
    opened = context.new_page()
    yield opened
    context.close()


def sign_in(page: Any, role: str = "observer") -> None:
    page.goto("/login")
    page.get_by_label("User name").fill(role)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/")


def shoot(page: Any, name: str) -> Path:
    """A full-page screenshot in the artifacts folder (not committed)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
