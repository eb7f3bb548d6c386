"""The audit trail and the change-log feed over HTTP, on SQLite and PostgreSQL: reads are
recorded and shown to the right admins only, paging through both logs misses nothing,
and `schulhof audit --json` prints the same trail."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from schulhof.access.actors import OPERATOR, ActorKind, system
from schulhof.importers.pipeline import import_path
from schulhof.services import persons, tokens
from schulhof.services.persons import PersonChanges
from schulhof.services.runtime import Services
from schulhof.store.tables import audit_log, change_log
from schulhof.web.app import create_app
from tests.cli.runner import run, run_json
from tests.conftest import FixedClock
from tests.pipeline.sisfiles import School, Staff, Student, write_city

AUDIT = "/api/v1/audit"
CHANGES = "/api/v1/changes"


def bearer(svc: Services, role: ActorKind, *schools: str, name: str) -> dict[str, str]:
    made = tokens.create_token(svc, OPERATOR, role=role, name=name, schools=schools)
    return {"Authorization": f"Bearer {made.token}"}


@pytest.fixture
def client(svc: Services, tmp_path: Path) -> Iterator[TestClient]:
    a = School("91000", encoding="utf-8-sig")
    a.students = [
        Student("1001", "Müller", "Anna", "03.04.2015", "4a"),
        Student("1002", "Weiß", "Jürgen", "17.11.2015", "4a"),
    ]
    a.staff = [Staff("77001", "Groß", "Petra", "05.06.1980", "4a")]
    b = School("91007", encoding="utf-8-sig")
    b.students = [Student("5001", "Nguyễn", "Minh", "12.03.2012", "7a")]
    b.staff = [Staff("77001", "Groß", "Petra", "05.06.1980")]  # teaches at both
    import_path(svc, system("nightly"), "sis", write_city(tmp_path / "day1", [a, b]))
    with TestClient(create_app(svc, worker=False)) as c:
        yield c


@pytest.fixture
def city(svc: Services) -> dict[str, str]:
    return bearer(svc, ActorKind.CITY_ADMIN, name="Stadt")


@pytest.fixture
def admin_a(svc: Services) -> dict[str, str]:
    return bearer(svc, ActorKind.SCHOOL_ADMIN, "91000", name="A")


@pytest.fixture
def admin_b(svc: Services) -> dict[str, str]:
    return bearer(svc, ActorKind.SCHOOL_ADMIN, "91007", name="B")


def person_id(svc: Services, username: str) -> str:
    return persons.get_person(svc, OPERATOR, username).person.id


def entries(client: TestClient, headers: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    answer = client.get(AUDIT, headers=headers, params={"limit": 1000, **params})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["next"] is None
    items: list[dict[str, Any]] = body["items"]
    return items


def paged(
    client: TestClient, headers: dict[str, str], limit: int, **params: Any
) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        body = client.get(AUDIT, headers=headers, params=query).json()
        assert len(body["items"]) <= limit
        found += body["items"]
        cursor = body["next"]
        if cursor is None:
            return found


def test_a_read_is_seen_by_the_city_and_that_school_only(
    svc: Services,
    client: TestClient,
    city: dict[str, str],
    admin_a: dict[str, str],
    admin_b: dict[str, str],
) -> None:
    anna = person_id(svc, "anna.mueller")
    assert client.get(f"/api/v1/users/{anna}", headers=admin_a).status_code == 200
    expected = {
        "source": "audit",
        "actor": "school_admin:A",
        "action": "person.read",
        "target_type": "person",
        "target": anna,
        "schools": ["91000"],
    }
    for headers in (city, admin_a):
        reads = entries(client, headers, action="person.read")
        assert [{k: e[k] for k in expected} for e in reads] == [expected]
    assert entries(client, admin_b, action="person.read") == []
    assert entries(client, admin_b, target=anna) == []


def test_a_school_admin_sees_changes_of_their_schools_only(
    svc: Services, client: TestClient, admin_a: dict[str, str], admin_b: dict[str, str]
) -> None:
    minh, petra = person_id(svc, "minh.nguyen"), person_id(svc, "petra.gross")
    assert entries(client, admin_a, target=minh) == []
    created = entries(client, admin_b, target=minh)
    assert [(e["source"], e["action"], e["actor"]) for e in created] == [
        ("change", "person.create", "system:nightly")
    ]
    # Petra works at both schools: each admin sees her, and only their own school.
    for headers, nr in ((admin_a, "91000"), (admin_b, "91007")):
        seen = entries(client, headers, target=petra)
        assert seen
        assert {tuple(e["schools"]) for e in seen} == {(nr,)}


def test_paging_through_both_logs_misses_nothing(
    svc: Services,
    client: TestClient,
    clock: FixedClock,
    city: dict[str, str],
    admin_a: dict[str, str],
) -> None:
    clock.advance(seconds=1)
    # Reads and a change at the same instant, then more of both later.
    assert client.get("/api/v1/users", headers=admin_a).status_code == 200
    persons.update_person(svc, OPERATOR, "anna.mueller", PersonChanges(email="a@example.org"))
    clock.advance(seconds=1)
    client.get(f"/api/v1/users/{person_id(svc, 'minh.nguyen')}", headers=city)
    persons.update_person(svc, OPERATOR, "minh.nguyen", PersonChanges(email="m@example.org"))
    client.get("/api/v1/users", headers=city)

    everything = entries(client, city)
    with svc.engine.connect() as conn:
        stored = sum(
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()
            for t in (audit_log, change_log)
        )
    assert len(everything) == stored
    assert {e["source"] for e in everything} == {"audit", "change"}
    assert len({e["id"] for e in everything}) == stored
    times = [e["at"] for e in everything]
    assert times == sorted(times, reverse=True)
    for limit in (1, 3, 7):
        assert paged(client, city, limit) == everything
    scoped = entries(client, admin_a)
    assert paged(client, admin_a, 2) == scoped
    assert paged(client, city, 2, school="91000") == entries(client, city, school="91000")
    assert {e["id"] for e in scoped} < {e["id"] for e in everything}


def test_filters(
    svc: Services, client: TestClient, clock: FixedClock, city: dict[str, str]
) -> None:
    start = clock.now
    clock.advance(minutes=5)
    anna = person_id(svc, "anna.mueller")
    persons.update_person(svc, OPERATOR, anna, PersonChanges(email="a@example.org"))
    updates = entries(client, city, action="person.update")
    assert [(e["target"], e["actor"]) for e in updates] == [(anna, "operator:cli")]
    assert entries(client, city, actor="operator:cli") == updates
    later = entries(client, city, since=(start.replace(minute=31)).isoformat())
    assert later == updates
    # The same instant, written with another zone offset.
    assert entries(client, city, since="2026-09-01T09:31:00+02:00") == updates
    assert entries(client, city, until=start.replace(minute=31).isoformat()) == [
        e for e in entries(client, city) if e not in updates
    ]
    assert entries(client, city, action="nonsense") == []


def test_who_may_read_the_trail(svc: Services, client: TestClient, admin_a: dict[str, str]) -> None:
    service = bearer(svc, ActorKind.SERVICE, "91000", name="Moodle")
    assert client.get(AUDIT, headers=service).status_code == 403
    assert client.get(AUDIT).status_code == 401
    assert client.get(AUDIT, headers=admin_a, params={"school": "91007"}).status_code == 403
    assert client.get(AUDIT, headers=admin_a, params={"school": "91000"}).status_code == 200
    assert client.get(AUDIT, headers=admin_a, params={"cursor": "e30"}).status_code == 422


def test_change_feed(
    svc: Services,
    client: TestClient,
    city: dict[str, str],
    admin_a: dict[str, str],
    admin_b: dict[str, str],
) -> None:
    everything = client.get(CHANGES, headers=city, params={"limit": 5000}).json()
    assert everything["next"] is None
    seqs = [c["seq"] for c in everything["items"]]
    assert seqs == list(range(1, len(seqs) + 1))
    first = client.get(CHANGES, headers=city, params={"limit": 4}).json()
    assert first["next"] == 4
    rest = client.get(CHANGES, headers=city, params={"after": first["next"]}).json()
    assert first["items"] + rest["items"] == everything["items"]

    ours = client.get(CHANGES, headers=admin_a, params={"school": "91000"}).json()["items"]
    assert ours
    assert all("91000" in c["schools"] for c in ours)
    assert len(ours) < len(everything["items"])
    missing = client.get(CHANGES, headers=admin_a)
    assert (missing.status_code, missing.json()["field"]) == (422, "school")
    assert client.get(CHANGES, headers=admin_b, params={"school": "91000"}).status_code == 403
    service = bearer(svc, ActorKind.SERVICE, "91000", name="Moodle")
    assert client.get(CHANGES, headers=service, params={"school": "91000"}).status_code == 403


def test_audit_command(
    svc: Services, client: TestClient, clock: FixedClock, db_url: str, admin_a: dict[str, str]
) -> None:
    clock.advance(seconds=1)
    client.get(f"/api/v1/users/{person_id(svc, 'anna.mueller')}", headers=admin_a)
    newest = run_json(db_url, "audit", "--limit", "3")
    assert len(newest) == 3
    assert newest[0]["action"] == "person.read"
    reads = run_json(db_url, "audit", "--school", "91000", "--action", "person.read")
    assert [(e["actor"], e["schools"]) for e in reads] == [("school_admin:A", ["91000"])]
    assert run_json(db_url, "audit", "--actor", "nobody") == []
    bad = run(db_url, "audit", "--since", "yesterday")
    assert bad.returncode == 2
    assert "since" in bad.stderr
