"""The Files and jobs page: uploads through the API with the session's CSRF token, the jobs
and totals equal their JSON twins, rejected rows with line and reason, roles, escaping."""

from __future__ import annotations

import re
from pathlib import Path

from tests.api.conftest import Api
from tests.api.test_jobs import export, wait_for
from tests.factories import make_election
from tests.web.test_pages import sign_in


def session_upload(api: Api, path: Path, csrf: str | None, election_id: str) -> int:
    headers = {"X-CSRF-Token": csrf} if csrf else {}
    with path.open("rb") as fh:
        response = api.client.post(
            "/api/v1/uploads", params={"election_id": election_id}, headers=headers,
            files={"file": (path.name, fh, "text/csv")},
        )  # fmt: skip
    return response.status_code


def test_files_page_shows_jobs_and_totals_like_the_twins(api: Api, tmp_path: Path) -> None:
    with api.session() as db:
        election = make_election(db)
    csrf = sign_in(api, "lead")
    page = api.client.get("/files").text
    assert "No file loaded yet" in page
    assert 'data-upload="/api/v1/uploads"' in page
    assert session_upload(api, export(tmp_path, bad_line=True), None, election.id) == 403
    assert session_upload(api, export(tmp_path, bad_line=True), csrf, election.id) == 202
    job = api.get("/api/v1/jobs").json()["items"][0]
    job = wait_for(api, job["id"])
    totals = api.get("/api/v1/jobs/totals").json()
    assert totals["files"] == 1
    assert totals["rows_rejected"] == job["rows_rejected"] == 1
    page = api.client.get("/files").text
    for name in ("files", "rows_inserted", "rows_duplicate", "rows_rejected"):
        assert f'data-total="{name}">{totals[name]:,}<' in page
    row = re.search(rf'<tr data-job="{job["id"]}">(.*?)</tr>', page, re.S)
    assert row
    assert f'data-field="rows_inserted">{job["rows_inserted"]:,}<' in row.group(1)
    detail = api.client.get(f"/files/{job['id']}").text
    rejected = api.get(f"/api/v1/jobs/{job['id']}/rejected-rows").json()["items"]
    assert f'<td class="num" data-line>{rejected[0]["line"]}</td>' in detail
    assert rejected[0]["reason"] in detail
    assert api.client.get("/files?status=bogus").status_code == 422
    assert api.client.get("/files/NOPE").status_code == 404


def test_viewers_see_no_upload_form_and_cannot_upload(api: Api, tmp_path: Path) -> None:
    with api.session() as db:
        election = make_election(db)
    csrf = sign_in(api, "viewer")
    assert "data-upload=" not in api.client.get("/files").text
    assert session_upload(api, export(tmp_path), csrf, election.id) == 403


def test_file_names_show_as_text(api: Api, tmp_path: Path) -> None:
    with api.session() as db:
        election = make_election(db)
    csrf = sign_in(api, "lead")
    source = export(tmp_path)
    hostile = source.rename(tmp_path / "CONTRACTA_<script>x.csv")
    status = session_upload(api, hostile, csrf, election.id)
    page = api.client.get("/files").text
    assert "<script>x" not in page
    if status == 202:
        stored = api.get("/api/v1/jobs").json()["items"][0]["filename"]
        assert "<" not in stored or "&lt;" in page, stored


def test_files_page_needs_a_session(api: Api) -> None:
    api.client.cookies.clear()
    response = api.client.get("/files", follow_redirects=False)
    assert response.headers["location"] == "/login?next=/files"
