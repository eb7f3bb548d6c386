"""`/api/v1/groups` on SQLite and PostgreSQL: filters and paging, each actor's scope,
creation and deletion (with the change log), members."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from schulhof.access.actors import OPERATOR, ActorKind
from schulhof.domain.model import GroupKind
from schulhof.services import changes, groups
from schulhof.services.runtime import Services
from schulhof.web.app import create_app
from tests.web.city import API, City, Headers, all_pages, assert_problem, bearer, build, ok

GROUPS = f"{API}/groups"


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


def names(items: list[dict[str, object]]) -> list[object]:
    return [g["name"] for g in items]


def test_groups_page_in_key_order_with_filters(
    svc: Services, client: TestClient, admin_a: Headers
) -> None:
    for kind in GroupKind:
        for i in range(12):
            groups.add_group(svc, OPERATOR, "91000", kind, f"G{i:02d}")
    town = bearer(svc, ActorKind.CITY_ADMIN)
    found = all_pages(client, GROUPS, town, 7)
    keys = [(g["school"], g["kind"], g["name"], g["id"]) for g in found]
    assert keys == sorted(keys)
    assert len({g["id"] for g in found}) == len(found) == 3 * 12 + 3
    assert set(found[0]) == {"id", "school", "kind", "name", "members", "sources"}
    courses = all_pages(client, GROUPS, admin_a, 5, kind="course")
    assert names(courses) == [f"G{i:02d}" for i in range(12)]
    assert names(all_pages(client, GROUPS, admin_a, 5, q="g1", kind="workgroup")) == [
        "G10",
        "G11",
    ]
    assert names(all_pages(client, GROUPS, admin_a, 100, q="B")) == ["4b"]
    assert names(all_pages(client, GROUPS, admin_a, 100, q="%")) == []
    assert all_pages(client, GROUPS, admin_a, 100, school="91007") == []
    assert names(all_pages(client, GROUPS, town, 100, school="91007")) == ["7a"]
    assert_problem(client.get(GROUPS, headers=town, params={"kind": "club"}), 422)
    bad_cursor = client.get(GROUPS, headers=town, params={"cursor": "eyJ1IjoxfQ"})
    assert_problem(bad_cursor, 422)


def test_each_actor_reads_the_groups_in_their_scope(
    svc: Services, client: TestClient, city: City, admin_a: Headers
) -> None:
    service = bearer(svc, ActorKind.SERVICE, "91000")
    petra = bearer(svc, ActorKind.TEACHER, person="petra.gross")
    jan = bearer(svc, ActorKind.TEACHER, person="jan.berger")
    assert names(all_pages(client, GROUPS, admin_a, 100)) == ["4a", "4b"]
    assert names(all_pages(client, GROUPS, service, 100)) == ["4a", "4b"]
    assert names(all_pages(client, GROUPS, petra, 100)) == ["4a"]
    assert names(all_pages(client, GROUPS, jan, 100)) == ["4b"]
    for headers in (admin_a, service, petra, jan):
        assert_problem(client.get(f"{GROUPS}/{city.class_7a}", headers=headers), 404)
    assert_problem(client.get(f"{GROUPS}/{city.class_4b}", headers=petra), 404)
    answer = client.get(f"{GROUPS}/{city.class_4a}", headers=petra)
    assert ok(answer)["members"] == 3
    cached = client.get(
        f"{GROUPS}/{city.class_4a}", headers={**petra, "If-None-Match": answer.headers["etag"]}
    )
    assert cached.status_code == 304
    assert_problem(client.get(f"{GROUPS}/not-a-group", headers=admin_a), 404)


def test_a_school_admin_creates_and_deletes_groups_of_their_school(
    svc: Services, client: TestClient, city: City, admin_a: Headers
) -> None:
    body = {"school": "91000", "kind": "workgroup", "name": "Schach-AG"}
    answer = client.post(GROUPS, headers=admin_a, json=body)
    made = ok(answer, 201)
    assert (made["name"], made["members"]) == ("Schach-AG", 0)
    assert answer.headers["location"] == f"{GROUPS}/{made['id']}"
    assert (
        answer.headers["etag"]
        == client.get(answer.headers["location"], headers=admin_a).headers["etag"]
    )
    assert_problem(client.post(GROUPS, headers=admin_a, json=body), 409)
    assert_problem(client.post(GROUPS, headers=admin_a, json={**body, "school": "91007"}), 403)
    assert_problem(client.post(GROUPS, headers=admin_a, json={**body, "name": " "}), 422)
    petra = bearer(svc, ActorKind.TEACHER, person="petra.gross")
    assert_problem(client.post(GROUPS, headers=petra, json=body), 403)
    assert_problem(client.delete(f"{GROUPS}/{city.class_4a}", headers=petra), 403)
    assert_problem(client.delete(f"{GROUPS}/{city.class_7a}", headers=admin_a), 404)

    before = changes.last_seq(svc)
    assert client.delete(f"{GROUPS}/{city.class_4b}", headers=admin_a).status_code == 204
    assert_problem(client.get(f"{GROUPS}/{city.class_4b}", headers=admin_a), 404)
    log = changes.changes_after(svc, before)
    assert [c.kind for c in log] == ["membership.delete", "membership.delete", "group.delete"]
    assert {c.schools for c in log} == {("91000",)}
    assert log[-1].entity_id == city.class_4b
    carl = ok(client.get(f"{API}/users/{city.carl}", headers=admin_a))
    assert carl["classes"] == []


def test_members_are_listed_paged_and_scoped(
    svc: Services, client: TestClient, city: City, admin_a: Headers
) -> None:
    url = f"{GROUPS}/{city.class_4a}/members"
    members = all_pages(client, url, admin_a, 1)
    assert [(m["person"]["username"], m["role"], m["homeroom_teacher"]) for m in members] == [
        ("anna.mueller", "student", False),
        ("ben.schulz", "student", False),
        ("petra.gross", "teacher", True),
    ]
    petra = bearer(svc, ActorKind.TEACHER, person="petra.gross")
    assert len(all_pages(client, url, petra, 2)) == 3  # her students and herself
    # Jan teaches 4b only: he sees 4b's student and himself, nothing of 4a.
    jan = bearer(svc, ActorKind.TEACHER, person="jan.berger")
    assert_problem(client.get(url, headers=jan), 404)
    in_4b = all_pages(client, f"{GROUPS}/{city.class_4b}/members", jan, 100)
    assert [m["person"]["username"] for m in in_4b] == ["carl.weber", "jan.berger"]
    lms = bearer(svc, ActorKind.SERVICE, "91000", attributes=("username",))
    seen = all_pages(client, url, lms, 100)
    assert [set(m) for m in seen] == [{"role", "homeroom_teacher", "person"}] * 3
    assert all(set(m["person"]) == {"username"} for m in seen)
    assert_problem(client.get(f"{GROUPS}/{city.class_7a}/members", headers=admin_a), 404)


def test_members_are_put_and_removed(
    svc: Services, client: TestClient, city: City, admin_a: Headers
) -> None:
    url = f"{GROUPS}/{city.class_4a}/members"
    answer = client.put(f"{url}/{city.carl}", headers=admin_a, json={"role": "student"})
    assert ok(answer, 201) == {
        "group_id": city.class_4a,
        "person_id": city.carl,
        "role": "student",
        "homeroom_teacher": False,
    }
    assert (
        client.put(f"{url}/{city.carl}", headers=admin_a, json={"role": "student"}).status_code
        == 200
    )
    jan = client.put(
        f"{url}/{city.jan}", headers=admin_a, json={"role": "teacher", "homeroom_teacher": True}
    )
    assert ok(jan, 201)["homeroom_teacher"] is True
    assert len(all_pages(client, url, admin_a, 100)) == 5
    # Someone of another school is nobody here; a group of another school too.
    assert_problem(client.put(f"{url}/{city.minh}", headers=admin_a, json={"role": "student"}), 404)
    other = f"{GROUPS}/{city.class_7a}/members/{city.carl}"
    assert_problem(client.put(other, headers=admin_a, json={"role": "student"}), 404)
    town = bearer(svc, ActorKind.CITY_ADMIN)
    wrong_school = client.put(f"{url}/{city.minh}", headers=town, json={"role": "student"})
    assert assert_problem(wrong_school, 422)["field"] == "person_id"
    petra = bearer(svc, ActorKind.TEACHER, person="petra.gross")
    assert_problem(client.put(f"{url}/{city.carl}", headers=petra, json={"role": "student"}), 403)
    assert_problem(client.delete(f"{url}/{city.anna}", headers=petra), 403)
    assert_problem(client.put(f"{url}/{city.carl}", headers=admin_a, json={"role": "x"}), 422)
    assert client.delete(f"{url}/{city.carl}", headers=admin_a).status_code == 204
    assert client.delete(f"{url}/{city.carl}", headers=admin_a).status_code == 204
    left = [m["person"]["id"] for m in all_pages(client, url, admin_a, 100)]
    assert city.carl not in left
    assert len(left) == 4
