"""The reports over HTTP: the same bytes as the CLI, the evidence pack, the hand-over."""

from __future__ import annotations

import hashlib
import zipfile
from collections.abc import Iterator
from datetime import timedelta
from io import BytesIO
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from election_monitor.api.main import create_app
from election_monitor.api.settings import ApiSettings
from election_monitor.models import Alert
from election_monitor.reports.service import write_report
from election_monitor.timeutil import utcnow
from tests.api.conftest import make_users
from tests.reports.conftest import Loaded


@pytest.fixture(scope="module")
def client(
    loaded: Loaded, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[TestClient, dict[str, str]]]:
    tokens, _ = make_users(loaded.engine)
    folder = tmp_path_factory.mktemp("api")
    settings = ApiSettings(upload_dir=folder / "uploads")
    with TestClient(create_app(engine=loaded.engine, settings=settings)) as c:
        yield c, {"Authorization": f"Bearer {tokens['viewer']}"}


def test_post_report_returns_the_same_pdf_as_the_cli(
    loaded: Loaded, client: tuple[TestClient, dict[str, str]], tmp_path: Path
) -> None:
    c, auth = client
    response = c.post("/api/v1/reports", headers=auth,
                      json={"election_id": loaded.election_id, "format": "pdf"})  # fmt: skip
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "application/pdf"
    with Session(loaded.engine) as db:
        written = write_report(db, election_id=loaded.election_id, output=tmp_path / "report.pdf")
    assert response.headers["x-elmon-figures-sha256"] == written.figures_sha256
    assert hashlib.sha256(response.content).hexdigest() == written.sha256


def test_post_report_for_an_unknown_election_is_404(
    client: tuple[TestClient, dict[str, str]],
) -> None:
    c, auth = client
    response = c.post("/api/v1/reports", headers=auth, json={"election_id": "nope"})
    assert response.status_code == 404
    assert response.json()["error"] == "NotFoundError"


def test_evidence_download_is_a_zip_with_its_hash(
    loaded: Loaded, client: tuple[TestClient, dict[str, str]]
) -> None:
    c, auth = client
    with Session(loaded.engine) as db:
        alert_id = db.scalars(select(Alert.id).order_by(Alert.id)).first()
    response = c.get(f"/api/v1/alerts/{alert_id}/evidence", headers=auth)
    assert response.status_code == 200
    assert response.headers["x-elmon-sha256"] == hashlib.sha256(response.content).hexdigest()
    assert "alert.json" in zipfile.ZipFile(BytesIO(response.content)).namelist()
    assert c.get("/api/v1/alerts/nope/evidence", headers=auth).status_code == 404


def test_handover_json_twin(loaded: Loaded, client: tuple[TestClient, dict[str, str]]) -> None:
    c, auth = client
    now = utcnow()
    response = c.get(
        f"/api/v1/elections/{loaded.election_id}/handover",
        headers=auth,
        params={"since": (now - timedelta(days=1)).isoformat(), "until": now.isoformat()},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["new_alerts"]
    assert set(body) >= {"escalated", "resolved", "snoozes_expiring", "gone_offline", "actions"}
    bad = c.get(f"/api/v1/elections/{loaded.election_id}/handover", headers=auth,
                params={"since": now.isoformat(), "until": now.isoformat()})  # fmt: skip
    assert bad.status_code == 422
