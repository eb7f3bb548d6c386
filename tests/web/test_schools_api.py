"""`/api/v1/schools` on SQLite and PostgreSQL: paging, scope, creation, ETags."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from schulhof.access.actors import OPERATOR, ActorKind
from schulhof.services import schools
from schulhof.services.runtime import Services
from schulhof.web.app import create_app
from tests.web.city import API, City, all_pages, assert_problem, bearer, build, ok

SCHOOLS = f"{API}/schools"


@pytest.fixture
def city(svc: Services) -> City:
    return build(svc)


@pytest.fixture
def client(svc: Services, city: City) -> Iterator[TestClient]:
    with TestClient(create_app(svc, worker=False)) as c:
        yield c


def test_the_city_pages_through_every_school(svc: Services, client: TestClient) -> None:
    for nr in range(92000, 92023):
        schools.add_school(svc, OPERATOR, str(nr), f"Schule {nr}")
    town = bearer(svc, ActorKind.CITY_ADMIN)
    found = all_pages(client, SCHOOLS, town, 10)
    numbers = [s["number"] for s in found]
    assert numbers == ["91000", "91007", *(str(n) for n in range(92000, 92023))]
    assert set(found[0]) == {"id", "number", "name", "type", "sources"}


def test_others_see_their_own_schools_only(svc: Services, client: TestClient) -> None:
    readers = [
        bearer(svc, ActorKind.SCHOOL_ADMIN, "91000"),
        bearer(svc, ActorKind.SERVICE, "91000"),
        bearer(svc, ActorKind.TEACHER, person="petra.gross"),
    ]
    for headers in readers:
        assert [s["number"] for s in all_pages(client, SCHOOLS, headers, 1)] == ["91000"]
        assert ok(client.get(f"{SCHOOLS}/91000", headers=headers))["type"] == "GS"
        assert_problem(client.get(f"{SCHOOLS}/91007", headers=headers), 404)
    jan = bearer(svc, ActorKind.TEACHER, person="jan.berger")
    assert [s["number"] for s in all_pages(client, SCHOOLS, jan, 100)] == ["91000", "91007"]


def test_one_school_has_an_etag(svc: Services, client: TestClient) -> None:
    town = bearer(svc, ActorKind.CITY_ADMIN)
    answer = client.get(f"{SCHOOLS}/91007", headers=town)
    assert ok(answer)["name"] == "Gymnasium Goetheplatz"
    tag = answer.headers["etag"]
    cached = client.get(f"{SCHOOLS}/91007", headers={**town, "If-None-Match": tag})
    assert cached.status_code == 304
    other = client.get(f"{SCHOOLS}/91000", headers={**town, "If-None-Match": tag})
    assert other.status_code == 200
    assert other.headers["etag"] != tag
    assert_problem(client.get(f"{SCHOOLS}/99999", headers=town), 404)


def test_only_the_authority_creates_schools(svc: Services, client: TestClient) -> None:
    body = {"number": "91042", "name": "IGS Mühlenberg", "type": "IGS"}
    for denied in (ActorKind.SCHOOL_ADMIN, ActorKind.SERVICE):
        assert_problem(client.post(SCHOOLS, headers=bearer(svc, denied, "91000"), json=body), 403)
    town = bearer(svc, ActorKind.CITY_ADMIN)
    answer = client.post(SCHOOLS, headers=town, json=body)
    made = ok(answer, 201)
    assert (made["number"], made["type"]) == ("91042", "IGS")
    assert answer.headers["location"] == f"{SCHOOLS}/91042"
    assert answer.headers["etag"] == client.get(f"{SCHOOLS}/91042", headers=town).headers["etag"]
    assert_problem(client.post(SCHOOLS, headers=town, json=body), 409)
    bad = assert_problem(client.post(SCHOOLS, headers=town, json={**body, "number": "9-1"}), 422)
    assert bad["field"] == "number"
    assert_problem(client.post(SCHOOLS, headers=town, json={**body, "type": "UNI"}), 422)
