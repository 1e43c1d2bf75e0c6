"""Uploads become background ingest jobs: progress, rejected rows, duplicates, size limit,
and the retry of a failed job."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from election_monitor.api.jobrunner import default_hooks
from tests.api.conftest import Api
from tests.factories import make_election
from tests.pipeline.chain import T0, Voting, write_csv


def export(
    path: Path, contract: str = "CONTRACTA", *, votes: int = 3, bad_line: bool = False
) -> Path:
    voting = Voting(contract)
    voting.create()
    voting.call("startVoting", T0)
    for i in range(votes):
        voting.issue(T0 + 60_000 * i)
        voting.vote(T0 + 60_000 * i + 1000, f"voter{i}")
    lines = list(voting.lines)
    if bad_line:
        lines.append("not;a;valid;line")
    return write_csv(path / f"{contract}_dump.csv", lines)


def upload(api: Api, path: Path, role: str = "lead", **params: Any) -> Any:
    with path.open("rb") as fh:
        return api.client.post(
            "/api/v1/uploads",
            headers=api.auth(role),
            params=params,
            files={"file": (path.name, fh, "text/csv")},
        )


def wait_for(api: Api, job_id: str, status: str = "completed", timeout: float = 20.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = api.get(f"/api/v1/jobs/{job_id}").json()
        if job["status"] != "processing":
            assert job["status"] == status, job
            return job
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} still processing")


@pytest.fixture
def detecting(make_api: Callable[..., Api]) -> Api:
    return make_api(default_hooks)


def test_upload_is_ingested_by_a_job_with_progress(detecting: Api, tmp_path: Path) -> None:
    api = detecting
    with api.session() as db:
        election = make_election(db)
    response = upload(api, export(tmp_path, bad_line=True), election_id=election.id)
    assert response.status_code == 202, response.text
    body = response.json()
    assert body["action"] == "new"
    assert body["job"]["filename"] == "CONTRACTA_dump.csv"
    job = wait_for(api, body["job"]["id"])
    assert job["rows_inserted"] == 8
    assert job["rows_rejected"] == 1
    assert job["transactions_processed"] == 9
    assert job["summary"]["rows_read"] == 9
    constituency = api.get("/api/v1/constituencies/CONTRACTA").json()
    assert (constituency["bulletins_issued"], constituency["votes_cast"]) == (3, 3)
    rejected = api.get(f"/api/v1/jobs/{job['id']}/rejected-rows").json()
    assert rejected["total"] == 1
    assert rejected["items"][0]["line"] == 9
    listed = api.get("/api/v1/jobs?status=completed").json()
    assert [j["id"] for j in listed["items"]] == [job["id"]]
    audit = api.get("/api/v1/audit?action=job.upload", role="admin").json()["items"]
    assert audit[0]["entity_id"] == job["id"]
    assert audit[0]["details"]["format"] == "deg-export"
    # The same bytes again add nothing.
    again = upload(api, export(tmp_path), election_id=election.id)
    assert again.status_code == 202
    assert again.json()["action"] in {"new", "duplicate"}


def test_identical_bytes_are_reported_as_duplicate(api: Api, tmp_path: Path) -> None:
    with api.session() as db:
        make_election(db)
    path = export(tmp_path)
    first = upload(api, path).json()
    wait_for(api, first["job"]["id"])
    second = upload(api, path).json()
    assert second["action"] == "duplicate"
    assert second["job"]["id"] == first["job"]["id"]


@pytest.mark.parametrize("role", ["viewer", "observer"])
def test_only_leads_upload_and_retry(api: Api, tmp_path: Path, role: str) -> None:
    assert upload(api, export(tmp_path), role=role).status_code == 403
    assert api.post("/api/v1/jobs/any/retry", role=role).status_code == 403


def test_upload_errors(api: Api, tmp_path: Path, api_settings: Any) -> None:
    big = tmp_path / "big_dump.csv"
    big.write_bytes(b"x" * (api_settings.max_upload_mib * 1024 * 1024 + 10))
    too_large = upload(api, big)
    assert too_large.status_code == 413
    assert too_large.json()["error"] == "PayloadTooLargeError"
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert upload(api, empty).status_code == 422
    unknown = tmp_path / "picture.png"
    unknown.write_bytes(b"\x89PNG\r\n\x1a\n" + b"\x00" * 100)
    assert upload(api, unknown).status_code == 422
    no_file = api.client.post(
        "/api/v1/uploads", headers=api.auth("lead"), data={"other": "x"}, files={"x": ("a", b"")}
    )
    assert no_file.status_code == 422
    assert "'file'" in no_file.json()["detail"]
    not_multipart = api.client.post("/api/v1/uploads", headers=api.auth("lead"), json={})
    assert not_multipart.status_code == 422
    assert upload(api, export(tmp_path), election_id="nope").status_code == 404
    leftovers = [p for p in Path(api_settings.upload_dir).rglob("*") if p.is_file()]
    assert leftovers == []  # refused uploads leave nothing behind


def test_a_failed_job_can_be_retried(api: Api, tmp_path: Path) -> None:
    # No election exists yet: the job fails (it cannot place the new constituency).
    job = upload(api, export(tmp_path)).json()["job"]
    failed = wait_for(api, job["id"], status="failed")
    assert "no election exists" in failed["summary"]["error"]
    with api.session() as db:
        make_election(db)
    response = api.post(f"/api/v1/jobs/{job['id']}/retry", role="lead")
    assert response.status_code == 202
    assert response.json()["status"] == "processing"
    done = wait_for(api, job["id"])
    assert done["rows_inserted"] == 8
    conflict = api.post(f"/api/v1/jobs/{job['id']}/retry", role="lead")
    assert conflict.status_code == 409
    assert conflict.json()["error"] == "InvalidTransitionError"
    assert api.post("/api/v1/jobs/nope/retry", role="lead").status_code == 404
    actions = [
        e["action"] for e in api.get("/api/v1/audit?entity_type=job", role="admin").json()["items"]
    ]
    assert actions == ["job.retry", "job.upload"]


def test_job_404s(api: Api) -> None:
    assert api.get("/api/v1/jobs/nope").status_code == 404
    assert api.get("/api/v1/jobs/nope/rejected-rows").status_code == 404
    assert api.get("/api/v1/jobs?status=stuck").status_code == 422
