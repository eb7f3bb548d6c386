"""`/api/v1/users` on SQLite and PostgreSQL: paging, reads, writes with ETags, contexts,
errors as problems, authentication and throttling, and each actor's scope."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from schulhof.access.actors import ActorKind
from schulhof.domain.model import Role
from schulhof.services import changes
from schulhof.services.runtime import Services
from schulhof.web.app import create_app
from schulhof.web.throttle import FREE
from tests.web.city import API, City, Headers, add, all_pages, assert_problem, bearer, build, ok

USERS = f"{API}/users"
VIEW_KEYS = {
    "id", "username", "given_name", "family_name", "birth_date", "email", "state",
    "disabled_at", "delete_after", "schools", "roles", "contexts", "classes", "sources",
    "version",
}  # fmt: skip


@pytest.fixture
def city(svc: Services) -> City:
    return build(svc)


@pytest.fixture
def client(svc: Services, city: City) -> Iterator[TestClient]:
    with TestClient(create_app(svc, worker=False)) as c:
        yield c


@pytest.fixture
def town(svc: Services, city: City) -> Headers:
    return bearer(svc, ActorKind.CITY_ADMIN)


@pytest.fixture
def admin_a(svc: Services, city: City) -> Headers:
    return bearer(svc, ActorKind.SCHOOL_ADMIN, "91000")


def test_a_school_of_250_students_pages_without_gaps_or_repeats(
    svc: Services, client: TestClient, city: City, admin_a: Headers
) -> None:
    made = {add(svc, "Kind", f"Nummer{i:03d}", ("91000", Role.STUDENT)) for i in range(250)}
    pages = []
    cursor = None
    while True:
        params = {"school": "91000", "role": "student", "limit": 100}
        body = ok(client.get(USERS, headers=admin_a, params={**params, "cursor": cursor or ""}))
        pages.append(body["items"])
        cursor = body["next"]
        if cursor is None:
            break
    assert [len(p) for p in pages] == [100, 100, 53]
    ids = [item["id"] for page in pages for item in page]
    assert len(ids) == len(set(ids))
    assert set(ids) == made | {city.anna, city.ben, city.carl}
    names = [item["username"] for page in pages for item in page]
    assert names == sorted(names)
    found = all_pages(client, USERS, admin_a, 7, q="nummer01")
    assert [u["family_name"] for u in found] == [f"Nummer01{i}" for i in range(10)]


def test_one_person_with_an_etag_and_304(client: TestClient, city: City, town: Headers) -> None:
    answer = client.get(f"{USERS}/{city.anna}", headers=town)
    body = ok(answer)
    assert set(body) == VIEW_KEYS
    assert body["classes"] == ["4a"]
    assert answer.headers["etag"] == 'W/"1"'
    again = client.get(f"{USERS}/{city.anna}", headers={**town, "If-None-Match": 'W/"1"'})
    assert again.status_code == 304
    assert again.headers["etag"] == 'W/"1"'
    by_name = ok(client.get(f"{USERS}/anna.mueller", headers=town))
    assert by_name["id"] == city.anna
    assert_problem(client.get(f"{USERS}/nobody.here", headers=town), 404)


def test_create_answers_201_with_location_and_etag(
    client: TestClient, admin_a: Headers, town: Headers
) -> None:
    body = {
        "given_name": "Lina",
        "family_name": "Öztürk",
        "birth_date": "2016-05-04",
        "contexts": [{"school": "91000", "role": "student", "primary": True}],
    }
    answer = client.post(USERS, headers=admin_a, json=body)
    made = ok(answer, 201)
    assert made["username"] == "lina.oeztuerk"
    assert made["contexts"] == [{"school": "91000", "role": "student", "primary": True}]
    assert answer.headers["location"] == f"{USERS}/{made['id']}"
    assert answer.headers["etag"] == 'W/"1"'
    assert ok(client.get(answer.headers["location"], headers=town))["username"] == "lina.oeztuerk"
    chosen = ok(client.post(USERS, headers=town, json={**body, "username": "l.oe"}), 201)
    assert chosen["username"] == "l.oe"
    assert_problem(client.post(USERS, headers=town, json={**body, "username": "l.oe"}), 409)


def test_a_school_admin_creates_only_at_their_school_and_no_admins(
    client: TestClient, admin_a: Headers
) -> None:
    def person(*contexts: tuple[str, str]) -> dict[str, object]:
        listed = [{"school": nr, "role": role} for nr, role in contexts]
        return {"given_name": "X", "family_name": "Y", "contexts": listed}

    denied = [
        person(("91007", "student")),
        person(("91000", "student"), ("91007", "student")),
        person(("91000", "school_admin")),
        person(),
    ]
    for body in denied:
        assert_problem(client.post(USERS, headers=admin_a, json=body), 403)
    bad = assert_problem(client.post(USERS, headers=admin_a, json={"given_name": "X"}), 422)
    assert [e["field"] for e in bad["errors"]] == ["family_name"]
    assert_problem(client.post(USERS, headers=admin_a, json={**person(), "extra": 1}), 422)


def test_patch_needs_if_match_and_refuses_a_stale_version(
    client: TestClient, city: City, admin_a: Headers
) -> None:
    url = f"{USERS}/{city.anna}"
    missing = assert_problem(client.patch(url, headers=admin_a, json={"family_name": "Mayer"}), 428)
    assert "If-Match" in missing["detail"]
    answer = client.patch(
        url, headers={**admin_a, "If-Match": 'W/"1"'}, json={"email": "anna@example.org"}
    )
    assert ok(answer)["email"] == "anna@example.org"
    assert answer.headers["etag"] == 'W/"2"'
    stale = client.patch(url, headers={**admin_a, "If-Match": 'W/"1"'}, json={"email": "x@y.z"})
    assert_problem(stale, 412)
    assert_problem(client.patch(url, headers={**admin_a, "If-Match": '"abc"'}, json={}), 412)
    # A merge patch: null empties an optional member, others stay as they are.
    emptied = client.patch(
        url,
        headers={**admin_a, "If-Match": '"2"', "Content-Type": "application/merge-patch+json"},
        content=b'{"email": null, "given_name": "Anne"}',
    )
    body = ok(emptied)
    assert (body["email"], body["given_name"], body["family_name"]) == (None, "Anne", "Müller")
    assert body["version"] == 3
    for invalid in ({"given_name": None}, {"username": "Not Valid"}, {"version": 9}):
        assert_problem(client.patch(url, headers={**admin_a, "If-Match": "*"}, json=invalid), 422)


def test_delete_needs_if_match(client: TestClient, city: City, admin_a: Headers) -> None:
    url = f"{USERS}/{city.carl}"
    assert_problem(client.delete(url, headers=admin_a), 428)
    assert_problem(client.delete(url, headers={**admin_a, "If-Match": 'W/"7"'}), 412)
    assert client.delete(url, headers={**admin_a, "If-Match": 'W/"1"'}).status_code == 204
    assert_problem(client.get(url, headers=admin_a), 404)


def test_disable_and_enable(client: TestClient, city: City, admin_a: Headers) -> None:
    answer = client.post(f"{USERS}/{city.ben}/disable", headers=admin_a)
    body = ok(answer)
    assert body["state"] == "disabled"
    assert body["delete_after"] is not None
    assert answer.headers["etag"] == f'W/"{body["version"]}"'
    assert ok(client.post(f"{USERS}/{city.ben}/disable", headers=admin_a))["version"] == 2
    enabled = ok(client.post(f"{USERS}/{city.ben}/enable", headers=admin_a))
    assert (enabled["state"], enabled["disabled_at"]) == ("active", None)


def test_contexts_are_listed_added_and_removed(
    svc: Services, client: TestClient, city: City, admin_a: Headers, town: Headers
) -> None:
    url = f"{USERS}/{city.petra}/contexts"
    listed = ok(client.get(url, headers=admin_a))
    assert listed == {
        "items": [{"school": "91000", "role": "teacher", "primary": True}],
        "next": None,
    }
    answer = client.post(url, headers=admin_a, json={"school": "91000", "role": "staff"})
    body = ok(answer, 201)
    assert body["roles"] == ["staff", "teacher"]
    assert answer.headers["location"] == f"{url}/91000/staff"
    assert client.delete(f"{url}/91000/staff", headers=admin_a).status_code == 204
    assert ok(client.get(url, headers=admin_a))["items"] == listed["items"]
    # Another school's role, or an admin's, is the authority's to give.
    assert_problem(
        client.post(url, headers=admin_a, json={"school": "91007", "role": "teacher"}), 403
    )
    assert_problem(
        client.post(url, headers=admin_a, json={"school": "91000", "role": "school_admin"}), 403
    )
    assert_problem(client.post(url, headers=admin_a, json={"school": "91000", "role": "x"}), 422)
    moved = client.post(url, headers=town, json={"school": "91007", "role": "teacher"})
    assert ok(moved, 201)["schools"] == ["91000", "91007"]
    # Petra now works at 91007 too: only the city changes her.
    assert_problem(client.delete(f"{url}/91000/teacher", headers=admin_a), 403)
    # The last role goes: the person is disabled at once.
    assert (
        client.delete(f"{USERS}/{city.carl}/contexts/91000/student", headers=town).status_code
        == 204
    )
    carl = ok(client.get(f"{USERS}/{city.carl}", headers=town))
    assert (carl["state"], carl["classes"]) == ("disabled", [])  # no role there: no class
    assert changes.check_integrity(svc) == []


def test_no_token_is_401_and_problem_shaped(client: TestClient, city: City) -> None:
    answer = client.get(USERS)
    body = assert_problem(answer, 401)
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert body["title"] == "unauthorized"
    wrong = client.get(USERS, headers={"Authorization": "Bearer shf_0000000000000000_nope"})
    assert_problem(wrong, 401)
    assert_problem(client.get(USERS, headers={"Authorization": "Basic abc"}), 401)


def test_repeated_bad_tokens_are_throttled(client: TestClient, town: Headers) -> None:
    bad = {"Authorization": "Bearer shf_0123456789abcdef_guess"}
    for _ in range(FREE):
        assert_problem(client.get(USERS, headers=bad), 401)
    answer = client.get(USERS, headers=bad)
    assert_problem(answer, 429)
    assert int(answer.headers["retry-after"]) >= 1
    # From that address even a good token waits: the throttle runs before the check.
    assert_problem(client.get(USERS, headers=town), 429)


def test_a_school_admin_sees_and_changes_their_school_only(
    client: TestClient, city: City, admin_a: Headers
) -> None:
    assert_problem(client.get(f"{USERS}/{city.minh}", headers=admin_a), 404)
    assert_problem(client.post(f"{USERS}/{city.minh}/password", headers=admin_a), 404)
    assert_problem(client.post(f"{USERS}/{city.minh}/disable", headers=admin_a), 404)
    assert_problem(client.get(f"{USERS}/{city.minh}/contexts", headers=admin_a), 404)
    # Jan teaches at both schools: admin A reads him (their school's part only) …
    jan = ok(client.get(f"{USERS}/{city.jan}", headers=admin_a))
    assert jan["schools"] == ["91000"]
    assert jan["classes"] == ["4b"]
    # … but may not change him: that would lock him out at 91007 too.
    patched = client.patch(
        f"{USERS}/{city.jan}", headers={**admin_a, "If-Match": 'W/"1"'}, json={"given_name": "J"}
    )
    assert "outside your scope" in assert_problem(patched, 403)["detail"]
    assert_problem(client.post(f"{USERS}/{city.jan}/disable", headers=admin_a), 403)
    assert_problem(client.delete(f"{USERS}/{city.jan}", headers={**admin_a, "If-Match": "*"}), 403)
    assert_problem(client.post(f"{USERS}/{city.jan}/password", headers=admin_a), 404)
    listed = all_pages(client, USERS, admin_a, 100)
    assert city.minh not in {u["id"] for u in listed}
    assert_problem(client.get(USERS, headers=admin_a, params={"cursor": "!!"}), 422)
    assert ok(client.get(USERS, headers=admin_a, params={"school": "91007"}))["items"] == []


def test_a_teacher_reads_and_resets_their_own_students_only(
    svc: Services, client: TestClient, city: City
) -> None:
    petra = bearer(svc, ActorKind.TEACHER, person="petra.gross")
    listed = all_pages(client, USERS, petra, 100)
    assert sorted(u["id"] for u in listed) == sorted([city.anna, city.ben])
    assert ok(client.get(f"{USERS}/{city.petra}", headers=petra))["id"] == city.petra
    for other in (city.carl, city.minh, city.jan, city.gabi):
        assert_problem(client.get(f"{USERS}/{other}", headers=petra), 404)
        assert_problem(client.post(f"{USERS}/{other}/password", headers=petra), 404)
    reset = ok(client.post(f"{USERS}/{city.anna}/password", headers=petra))
    assert reset["must_change"] is True
    assert len(reset["password"]) >= 10
    # Reading is not changing.
    patched = client.patch(
        f"{USERS}/{city.anna}", headers={**petra, "If-Match": "*"}, json={"given_name": "A"}
    )
    assert patched.status_code in (403, 404)
    assert client.post(f"{USERS}/{city.anna}/disable", headers=petra).status_code in (403, 404)
    assert_problem(client.post(f"{USERS}/{city.petra}/password", headers=petra), 404)


def test_a_service_sees_its_attributes_and_writes_nothing(
    svc: Services, client: TestClient, city: City
) -> None:
    lms = bearer(svc, ActorKind.SERVICE, "91000", attributes=("username", "schools"))
    listed = all_pages(client, USERS, lms, 2)
    assert listed
    assert all(set(u) == {"username", "schools"} for u in listed)
    assert "minh.nguyen" not in {u["username"] for u in listed}
    assert set(ok(client.get(f"{USERS}/{city.anna}", headers=lms))) == {"username", "schools"}
    assert_problem(client.get(f"{USERS}/{city.minh}", headers=lms), 404)
    body = {
        "given_name": "X",
        "family_name": "Y",
        "contexts": [{"school": "91000", "role": "student"}],
    }
    assert_problem(client.post(USERS, headers=lms, json=body), 403)
    patched = client.patch(f"{USERS}/{city.anna}", headers={**lms, "If-Match": "*"}, json={})
    assert_problem(patched, 403)
    assert_problem(client.post(f"{USERS}/{city.anna}/password", headers=lms), 404)
    assert ok(client.get(f"{USERS}/{city.anna}/contexts", headers=lms))["items"] == []
