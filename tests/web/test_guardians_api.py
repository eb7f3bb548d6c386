"""`/api/v1/users/{id}/guardians` on SQLite and PostgreSQL: link, list, unlink, the
school rule, access, and the change log."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from schulhof.access.actors import ActorKind
from schulhof.domain.model import Role
from schulhof.services import changes
from schulhof.services.runtime import Services
from schulhof.web.app import create_app
from tests.web.city import API, City, Headers, add, assert_problem, bearer, build, ok

USERS = f"{API}/users"


@pytest.fixture
def city(svc: Services) -> City:
    return build(svc)


@pytest.fixture
def client(svc: Services, city: City) -> Iterator[TestClient]:
    with TestClient(create_app(svc, worker=False)) as c:
        yield c


@pytest.fixture
def admin_a(svc: Services, city: City) -> Headers:
    return bearer(svc, ActorKind.SCHOOL_ADMIN, "91000")


def test_a_guardian_is_linked_listed_and_unlinked(
    svc: Services, client: TestClient, city: City, admin_a: Headers
) -> None:
    url = f"{USERS}/{city.anna}/guardians"
    assert ok(client.get(url, headers=admin_a)) == {"items": [], "next": None}
    before = changes.last_seq(svc)
    answer = client.put(f"{url}/{city.gabi}", headers=admin_a)
    assert ok(answer, 201) == {"student_id": city.anna, "guardian_id": city.gabi}
    assert answer.headers["location"] == f"{url}/{city.gabi}"
    assert client.put(f"{url}/gabi.mueller", headers=admin_a).status_code == 200
    listed = ok(client.get(url, headers=admin_a))
    assert [g["username"] for g in listed["items"]] == ["gabi.mueller"]
    assert listed["next"] is None
    assert client.delete(f"{url}/{city.gabi}", headers=admin_a).status_code == 204
    assert client.delete(f"{url}/{city.gabi}", headers=admin_a).status_code == 204
    assert ok(client.get(url, headers=admin_a))["items"] == []
    log = changes.changes_after(svc, before)
    assert [c.kind for c in log] == ["guardian_link.create", "guardian_link.delete"]
    assert log[0].entity_id == f"{city.gabi}:{city.anna}"
    assert log[0].schools == ("91000",)
    assert log[0].state == {"guardian_id": city.gabi, "student_id": city.anna}


def test_a_guardian_needs_the_guardian_role_at_the_students_school(
    svc: Services, client: TestClient, city: City, admin_a: Headers
) -> None:
    town = bearer(svc, ActorKind.CITY_ADMIN)
    url = f"{USERS}/{city.anna}/guardians"
    not_guardian = assert_problem(client.put(f"{url}/{city.petra}", headers=admin_a), 422)
    assert not_guardian["field"] == "guardian_id"
    assert_problem(client.put(f"{USERS}/{city.gabi}/guardians/{city.gabi}", headers=town), 422)
    elsewhere = add(svc, "Hoa", "Nguyễn", ("91007", Role.GUARDIAN))
    assert_problem(client.put(f"{USERS}/{city.minh}/guardians/{city.gabi}", headers=town), 422)
    ok(client.put(f"{USERS}/{city.minh}/guardians/{elsewhere}", headers=town), 201)
    assert_problem(client.put(f"{url}/nobody", headers=admin_a), 404)


def test_only_writers_of_the_student_link_and_readers_see_what_they_may(
    svc: Services, client: TestClient, city: City, admin_a: Headers
) -> None:
    url = f"{USERS}/{city.anna}/guardians"
    ok(client.put(f"{url}/{city.gabi}", headers=admin_a), 201)
    admin_b = bearer(svc, ActorKind.SCHOOL_ADMIN, "91007")
    assert_problem(client.get(url, headers=admin_b), 404)
    assert_problem(client.put(f"{url}/{city.gabi}", headers=admin_b), 404)
    assert_problem(client.delete(f"{url}/{city.gabi}", headers=admin_b), 404)
    # Admin A may read Jan (he teaches at 91000) but not change him (he also works at 91007).
    jan_url = f"{USERS}/{city.jan}/guardians/{city.gabi}"
    assert_problem(client.put(jan_url, headers=admin_a), 403)
    petra = bearer(svc, ActorKind.TEACHER, person="petra.gross")
    assert ok(client.get(url, headers=petra))["items"] == []  # guardians are not hers to read
    assert client.put(f"{url}/{city.gabi}", headers=petra).status_code in (403, 404)
    assert client.delete(f"{url}/{city.gabi}", headers=petra).status_code in (403, 404)
    lms = bearer(svc, ActorKind.SERVICE, "91000", attributes=("username",))
    assert ok(client.get(url, headers=lms))["items"] == [{"username": "gabi.mueller"}]
    assert_problem(client.put(f"{url}/{city.gabi}", headers=lms), 403)
    assert_problem(client.get(f"{USERS}/{city.minh}/guardians", headers=admin_a), 404)
