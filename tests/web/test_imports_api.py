"""Imports over HTTP on SQLite and PostgreSQL: upload → plan → approve → worker → done;
invalid files, held plans, plans overtaken by the directory, school admins' limits, and
what an upload may contain."""

from __future__ import annotations

import io
import time
import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from schulhof.access.actors import OPERATOR, ActorKind, system
from schulhof.importers import jobs as import_jobs
from schulhof.importers.pipeline import import_path
from schulhof.services import changes, persons, tokens
from schulhof.services import spool as spool_module
from schulhof.services.runtime import Services
from schulhof.services.schools import add_school
from schulhof.store.persons import PersonFilter
from schulhof.web.app import create_app
from schulhof.web.routes import imports as import_routes
from tests.cli import runner as cli
from tests.pipeline.sisfiles import School, Staff, Student, pupils, write_city, write_school

API = "/api/v1/imports"
ONEROSTER = Path(__file__).resolve().parents[1] / "fixtures" / "oneroster" / "bulk"


@pytest.fixture
def spool(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "spool"
    monkeypatch.setenv(spool_module.SPOOL_ENV, str(root))
    return root


@pytest.fixture
def client(svc: Services, spool: Path) -> Iterator[TestClient]:
    with TestClient(create_app(svc, worker=False)) as c:
        yield c


def bearer(
    svc: Services, role: ActorKind, *schools: str, name: str | None = None
) -> dict[str, str]:
    made = tokens.create_token(
        svc, OPERATOR, role=role, name=name or f"{role}{''.join(schools)}", schools=schools
    )
    return {"Authorization": f"Bearer {made.token}"}


def city() -> list[School]:
    a = School("91000", encoding="utf-8-sig")
    a.students = [
        Student("1001", "Müller", "Anna", "03.04.2015", "4a"),
        Student("1002", "Weiß", "Jürgen", "17.11.2015", "4a"),
    ]
    a.staff = [Staff("77001", "Groß", "Petra", "05.06.1980", "4a")]
    b = School("91007", encoding="utf-8-sig")
    b.students = [Student("5001", "Nguyễn", "Minh", "12.03.2012", "7a")]
    b.staff = [Staff("77002", "Trần", "Đức", "21.12.1985", "7a")]
    return [a, b]


def upload(
    client: TestClient,
    headers: dict[str, str],
    folder: Path,
    *,
    source: str = "sis",
    names: dict[str, str] | None = None,
) -> httpx.Response:
    """POST the folder's CSV files; `names` renames some of them on the way."""
    renamed = names or {}
    files = [
        ("files", (renamed.get(p.name, p.name), p.read_bytes(), "text/csv"))
        for p in sorted(folder.glob("*.csv"))
    ]
    answer: httpx.Response = client.post(API, headers=headers, data={"source": source}, files=files)
    return answer


def everyone(svc: Services) -> set[str]:
    return {v.person.username for v in persons.list_persons(svc, OPERATOR, PersonFilter())}


def test_upload_plan_approve_and_apply(
    svc: Services, client: TestClient, tmp_path: Path, spool: Path
) -> None:
    city_admin = bearer(svc, ActorKind.CITY_ADMIN, name="Stadt-IT")
    created = upload(client, city_admin, write_city(tmp_path / "day1", city()))
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "planned"
    assert (body["summary"]["created"], body["summary"]["dry_run"]) == (5, True)
    assert created.headers["location"] == f"{API}/{body['id']}"
    assert everyone(svc) == set()  # a plan writes nothing
    assert sorted(p.name for p in (spool / body["id"]).iterdir()) == [
        "lehrer_91000.csv", "lehrer_91007.csv", "schueler_91000.csv", "schueler_91007.csv",
    ]  # fmt: skip

    job = client.get(f"{API}/{body['id']}", headers=city_admin).json()
    assert (job["status"], job["source"], job["schools"]) == ("planned", "sis", ["91000", "91007"])
    assert job["created_by"] == "city_admin:Stadt-IT"

    approved = client.post(f"{API}/{body['id']}/approve", headers=city_admin, json={})
    assert approved.status_code == 202, approved.text
    assert approved.json()["status"] == "queued"
    assert everyone(svc) == set()

    assert import_jobs.run_next_job(svc)
    assert not import_jobs.run_next_job(svc)
    done = client.get(f"{API}/{body['id']}", headers=city_admin).json()
    assert done["status"] == "done", done["error"]
    assert (done["result"]["created"], done["result"]["applied"]) == (5, True)
    assert done["started_at"] is not None
    assert done["finished_at"] is not None
    assert "anna.mueller" in everyone(svc)
    assert len(everyone(svc)) == 5
    assert not (spool / body["id"]).exists()
    # The change log names the person who approved.
    assert {c.actor for c in changes.changes_after(svc, 0)} == {"city_admin:Stadt-IT"}
    # Done is done.
    again = client.post(f"{API}/{body['id']}/approve", headers=city_admin, json={})
    assert again.status_code == 409
    assert client.delete(f"{API}/{body['id']}", headers=city_admin).status_code == 409


def test_invalid_rows_make_an_invalid_job(
    svc: Services, client: TestClient, tmp_path: Path, spool: Path
) -> None:
    headers = bearer(svc, ActorKind.CITY_ADMIN)
    folder = write_city(tmp_path / "day1", city())
    bad = folder / "schueler_91000.csv"
    bad.write_bytes(bad.read_bytes().replace(b"03.04.2015", b"31.02.2015"))
    created = upload(client, headers, folder)
    assert created.status_code == 201, created.text
    body = created.json()
    assert body["status"] == "invalid"
    errors = body["summary"]["errors"]
    assert ("schueler_91000.csv", 2, "Geburtsdatum") in {
        (e["file"], e["line"], e["field"]) for e in errors
    }
    assert not (spool / body["id"]).exists()  # never applied: the files are not kept
    refused = client.post(f"{API}/{body['id']}/approve", headers=headers)
    assert refused.status_code == 409
    assert "invalid rows" in refused.json()["detail"]
    assert client.delete(f"{API}/{body['id']}", headers=headers).status_code == 204
    assert client.get(f"{API}/{body['id']}", headers=headers).json()["status"] == "discarded"
    assert everyone(svc) == set()


def test_held_plan_needs_approve_guard(svc: Services, client: TestClient, tmp_path: Path) -> None:
    headers = bearer(svc, ActorKind.CITY_ADMIN)
    schools = city()
    schools[0].students = pupils("Lang", 40, "2a")
    import_path(svc, system("nightly"), "sis", write_city(tmp_path / "day1", schools))
    seq = changes.last_seq(svc)
    schools[0].students = schools[0].students[:22]  # the export broke off half-way
    folder = write_city(tmp_path / "day2", schools)

    held = upload(client, headers, folder).json()
    assert held["status"] == "held"
    assert "school 91000: 18 of 41 active people" in held["summary"]["held_reasons"][0]
    assert client.post(f"{API}/{held['id']}/approve", headers=headers).status_code == 202
    assert import_jobs.run_next_job(svc)
    failed = client.get(f"{API}/{held['id']}", headers=headers).json()
    assert failed["status"] == "failed"
    assert failed["error"].startswith("held by the guard, nothing was written: school 91000")
    assert "approve_guard" in failed["error"]
    assert changes.last_seq(svc) == seq

    again = upload(client, headers, folder).json()
    approved = client.post(
        f"{API}/{again['id']}/approve", headers=headers, json={"approve_guard": True}
    )
    assert approved.json()["approve_guard"] is True
    assert import_jobs.run_next_job(svc)
    done = client.get(f"{API}/{again['id']}", headers=headers).json()
    assert done["status"] == "done", done["error"]
    assert done["result"]["disabled"] == 18


def test_a_plan_overtaken_by_the_directory_is_not_applied(
    svc: Services, client: TestClient, tmp_path: Path
) -> None:
    headers = bearer(svc, ActorKind.CITY_ADMIN)
    folder = write_city(tmp_path / "day1", city())
    job = upload(client, headers, folder).json()
    client.post(f"{API}/{job['id']}/approve", headers=headers)
    # Meanwhile the nightly run imports the same files.
    import_path(svc, system("nightly"), "sis", folder)
    seq = changes.last_seq(svc)
    assert import_jobs.run_next_job(svc)
    failed = client.get(f"{API}/{job['id']}", headers=headers).json()
    assert failed["status"] == "failed"
    assert "the directory changed since the plan was approved (created 5 → 0)" in failed["error"]
    assert changes.last_seq(svc) == seq


def test_school_admin_imports_only_their_school(
    svc: Services, client: TestClient, tmp_path: Path
) -> None:
    for nr in ("91000", "91007"):
        add_school(svc, OPERATOR, nr, f"Schule {nr}")
    admin = bearer(svc, ActorKind.SCHOOL_ADMIN, "91000", name="Sekretariat 91000")
    other = bearer(svc, ActorKind.SCHOOL_ADMIN, "91007")
    city_admin = bearer(svc, ActorKind.CITY_ADMIN)
    a, b = city()

    write_school(tmp_path / "b", b)
    refused = upload(client, admin, tmp_path / "b")
    assert refused.status_code == 403
    assert refused.headers["content-type"].startswith("application/problem+json")

    write_school(tmp_path / "a", a)
    job = upload(client, admin, tmp_path / "a").json()
    assert (job["status"], job["summary"]["created"]) == ("planned", 3)
    assert client.get(f"{API}/{job['id']}", headers=other).status_code == 404
    assert client.post(f"{API}/{job['id']}/approve", headers=other).status_code == 404
    assert client.get(API, headers=other).json()["items"] == []
    assert [j["id"] for j in client.get(API, headers=city_admin).json()["items"]] == [job["id"]]
    assert client.post(f"{API}/{job['id']}/approve", headers=admin).status_code == 202
    seq = changes.last_seq(svc)
    assert import_jobs.run_next_job(svc)
    assert client.get(f"{API}/{job['id']}", headers=admin).json()["status"] == "done"
    actors = {c.actor for c in changes.changes_after(svc, seq)}
    assert actors == {"school_admin:Sekretariat 91000"}
    # The same files again: nothing to do, and that is fine for a school admin too.
    same = upload(client, admin, tmp_path / "a").json()
    assert (same["status"], same["summary"]["created"], same["summary"]["unchanged"]) == (
        "planned", 0, 3,
    )  # fmt: skip
    client.post(f"{API}/{same['id']}/approve", headers=admin)
    assert import_jobs.run_next_job(svc)
    noop = client.get(f"{API}/{same['id']}", headers=admin).json()
    assert (noop["status"], noop["result"]["applied"]) == ("done", False), noop["error"]

    # A pupil coming from another school: the plan would change 91007's people too.
    import_path(svc, system("nightly"), "sis", write_city(tmp_path / "all", [a, b]))
    a.students.append(Student("1003", b.students[0].family, b.students[0].given,
                              b.students[0].born, "4a"))  # fmt: skip
    write_school(tmp_path / "a2", a)
    moved = upload(client, admin, tmp_path / "a2")
    assert moved.status_code == 403, moved.text
    assert "schools you do not manage" in moved.json()["detail"]


def test_other_actors_may_not_import(svc: Services, client: TestClient, tmp_path: Path) -> None:
    add_school(svc, OPERATOR, "91000", "Schule")
    folder = write_city(tmp_path / "day1", city()[:1])
    assert upload(client, {}, folder).status_code == 401
    service = bearer(svc, ActorKind.SERVICE, "91000")
    assert upload(client, service, folder).status_code == 403
    assert client.get(API, headers=service).status_code == 403
    assert client.get(f"{API}/{uuid.uuid4()}", headers=service).status_code == 403


@pytest.mark.parametrize(
    ("names", "message"),
    [
        ({"schueler_91000.csv": "../schueler_91000.csv"}, "without folders"),
        ({"schueler_91000.csv": "..\\..\\schueler_91000.csv"}, "without folders"),
        ({"schueler_91000.csv": "/etc/cron.d/schueler.csv"}, "without folders"),
        ({"schueler_91000.csv": "schueler_91000.sh"}, "only .csv files"),
        ({"schueler_91000.csv": ".hidden.csv"}, "only .csv files"),
        ({"schueler_91000.csv": "lehrer_91000.csv"}, "the same file name twice"),
    ],
)
def test_file_names_are_checked(
    svc: Services,
    client: TestClient,
    tmp_path: Path,
    spool: Path,
    names: dict[str, str],
    message: str,
) -> None:
    headers = bearer(svc, ActorKind.CITY_ADMIN)
    answer = upload(client, headers, write_city(tmp_path / "x", city()[:1]), names=names)
    assert answer.status_code == 422, answer.text
    assert message in answer.json()["detail"]
    assert answer.json()["field"] == "files"
    assert not spool.exists() or list(spool.iterdir()) == []
    assert not (tmp_path / "schueler_91000.csv").exists()


def test_bad_form_fields(svc: Services, client: TestClient, tmp_path: Path) -> None:
    headers = bearer(svc, ActorKind.CITY_ADMIN)
    folder = write_city(tmp_path / "x", city()[:1])
    csv = ("files", ("schueler_91000.csv", (folder / "schueler_91000.csv").read_bytes()))

    def post(data: dict[str, str], files: list[Any]) -> httpx.Response:
        answer: httpx.Response = client.post(API, headers=headers, data=data, files=files)
        return answer

    assert post({"source": "ldap"}, [csv]).json()["field"] == "source"
    assert post({}, [csv]).json()["field"] == "source"
    assert post({"source": "sis"}, []).status_code in (400, 422)
    bad_profile = post({"source": "sis", "profile": "../../etc/passwd"}, [csv])
    assert (bad_profile.status_code, bad_profile.json()["field"]) == (422, "profile")
    unknown = post({"source": "sis", "profile": "nosuch"}, [csv])
    assert (unknown.status_code, unknown.json()["field"]) == (422, "profile")
    assert post({"source": "oneroster", "profile": "default"}, [csv]).status_code == 422
    zip_and_csv = post({"source": "sis"}, [csv, ("files", ("a.zip", b"PK"))])
    assert "alone" in zip_and_csv.json()["detail"]


def test_size_limit(
    svc: Services,
    client: TestClient,
    tmp_path: Path,
    spool: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    headers = bearer(svc, ActorKind.CITY_ADMIN)
    folder = write_city(tmp_path / "x", city())
    monkeypatch.setattr(spool_module, "MAX_UPLOAD_BYTES", 300)  # the files: over 300 bytes together
    counted = upload(client, headers, folder)
    assert counted.status_code == 413, counted.text
    assert counted.json()["type"].endswith("/payload-too-large")
    assert list(spool.iterdir()) == []
    monkeypatch.setattr(import_routes, "_MULTIPART_SLACK", 0)
    announced = upload(client, headers, folder)  # refused by its Content-Length alone
    assert announced.status_code == 413


def test_oneroster_zip(svc: Services, client: TestClient) -> None:
    headers = bearer(svc, ActorKind.CITY_ADMIN)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as z:
        for f in ONEROSTER.glob("*.csv"):
            z.write(f, f.name)
    answer = client.post(
        API,
        headers=headers,
        data={"source": "oneroster"},
        files=[("files", ("export.zip", buffer.getvalue(), "application/zip"))],
    )
    assert answer.status_code == 201, answer.text
    job = answer.json()
    assert job["status"] == "planned"
    assert job["summary"]["created"] > 0
    client.post(f"{API}/{job['id']}/approve", headers=headers)
    assert import_jobs.run_next_job(svc)
    done = client.get(f"{API}/{job['id']}", headers=headers).json()
    assert done["status"] == "done", done["error"]
    assert len(everyone(svc)) == job["summary"]["created"]


def test_list_pages_and_discard(svc: Services, client: TestClient, tmp_path: Path) -> None:
    headers = bearer(svc, ActorKind.CITY_ADMIN)
    folder = write_city(tmp_path / "x", city())
    made = [upload(client, headers, folder).json()["id"] for _ in range(3)]
    first = client.get(API, headers=headers, params={"limit": 2}).json()
    second = client.get(API, headers=headers, params={"limit": 2, "cursor": first["next"]}).json()
    seen = [j["id"] for j in first["items"] + second["items"]]
    assert sorted(seen) == sorted(made)
    assert second["next"] is None
    assert client.delete(f"{API}/{made[0]}", headers=headers).status_code == 204
    assert client.post(f"{API}/{made[1]}/approve", headers=headers).status_code == 202
    assert client.delete(f"{API}/{made[1]}", headers=headers).status_code == 204
    assert not import_jobs.run_next_job(svc)  # nothing queued any more
    assert client.get(f"{API}/not-a-job", headers=headers).status_code == 404
    assert client.get(API, headers=headers, params={"cursor": "xx"}).status_code == 422


def test_the_app_runs_approved_jobs_in_a_thread(svc: Services, spool: Path, tmp_path: Path) -> None:
    headers = bearer(svc, ActorKind.CITY_ADMIN)
    with TestClient(create_app(svc, worker=True)) as client:
        job = upload(client, headers, write_city(tmp_path / "x", city())).json()
        client.post(f"{API}/{job['id']}/approve", headers=headers)
        deadline = time.monotonic() + 20
        status = "queued"
        while status in ("queued", "running") and time.monotonic() < deadline:
            time.sleep(0.2)
            status = client.get(f"{API}/{job['id']}", headers=headers).json()["status"]
        assert status == "done"
    assert len(everyone(svc)) == 5


def test_a_separate_worker_process_runs_the_job(
    svc: Services, client: TestClient, tmp_path: Path, db_url: str
) -> None:
    headers = bearer(svc, ActorKind.CITY_ADMIN)
    job = upload(client, headers, write_city(tmp_path / "x", city())).json()
    client.post(f"{API}/{job['id']}/approve", headers=headers)
    done = cli.run(db_url, "jobs", "run", "--once")  # SCHULHOF_SPOOL: the `spool` fixture's
    assert done.returncode == 0, done.stderr
    assert "ran one job" in done.stderr
    assert client.get(f"{API}/{job['id']}", headers=headers).json()["status"] == "done"
    assert "no job waiting" in cli.run(db_url, "jobs", "run", "--once").stderr
