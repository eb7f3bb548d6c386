"""A small city for the API tests: two schools, a class with its teacher, a teacher who
works at both schools, a guardian; tokens for every kind of actor."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import httpx
from fastapi.testclient import TestClient

from schulhof.access.actors import OPERATOR, ActorKind
from schulhof.domain.model import Context, GroupKind, MemberRole, PersonDraft, Role, SchoolType
from schulhof.services import groups, persons, schools, tokens
from schulhof.services.runtime import Services

API = "/api/v1"
Headers = dict[str, str]


@dataclass(frozen=True, slots=True)
class City:
    anna: str  # student at 91000, class 4a
    ben: str  # student at 91000, class 4a
    carl: str  # student at 91000, class 4b (not taught by petra)
    minh: str  # student at 91007
    petra: str  # teacher at 91000, teaches 4a (homeroom)
    jan: str  # teacher at 91000 and 91007
    gabi: str  # guardian at 91000
    class_4a: str
    class_4b: str
    class_7a: str  # at 91007


def bearer(
    svc: Services,
    role: ActorKind,
    *school: str,
    person: str | None = None,
    attributes: tuple[str, ...] | None = None,
) -> Headers:
    made = tokens.create_token(
        svc,
        OPERATOR,
        role=role,
        name=f"{role}-{'-'.join(school)}",
        schools=school,
        person=person,
        attributes=attributes,
    )
    return {"Authorization": f"Bearer {made.token}"}


def add(svc: Services, given: str, family: str, *contexts: tuple[str, Role]) -> str:
    draft = PersonDraft(
        given,
        family,
        dt.date(2015, 3, 1),
        contexts=tuple(Context(nr, role) for nr, role in contexts),
    )
    return persons.add_person(svc, OPERATOR, draft).id


def build(svc: Services) -> City:
    schools.add_school(svc, OPERATOR, "91000", "Grundschule Am Lindener Markt", SchoolType.GS)
    schools.add_school(svc, OPERATOR, "91007", "Gymnasium Goetheplatz", SchoolType.GY)
    city = City(
        anna=add(svc, "Anna", "Müller", ("91000", Role.STUDENT)),
        ben=add(svc, "Ben", "Schulz", ("91000", Role.STUDENT)),
        carl=add(svc, "Carl", "Weber", ("91000", Role.STUDENT)),
        minh=add(svc, "Minh", "Nguyễn", ("91007", Role.STUDENT)),
        petra=add(svc, "Petra", "Groß", ("91000", Role.TEACHER)),
        jan=add(svc, "Jan", "Berger", ("91000", Role.TEACHER), ("91007", Role.TEACHER)),
        gabi=add(svc, "Gabi", "Müller", ("91000", Role.GUARDIAN)),
        class_4a=groups.add_group(svc, OPERATOR, "91000", GroupKind.CLASS, "4a").id,
        class_4b=groups.add_group(svc, OPERATOR, "91000", GroupKind.CLASS, "4b").id,
        class_7a=groups.add_group(svc, OPERATOR, "91007", GroupKind.CLASS, "7a").id,
    )
    for kid in (city.anna, city.ben):
        groups.add_member(svc, OPERATOR, city.class_4a, kid, MemberRole.STUDENT)
    groups.add_member(
        svc, OPERATOR, city.class_4a, city.petra, MemberRole.TEACHER, homeroom_teacher=True
    )
    groups.add_member(svc, OPERATOR, city.class_4b, city.carl, MemberRole.STUDENT)
    groups.add_member(svc, OPERATOR, city.class_4b, city.jan, MemberRole.TEACHER)
    groups.add_member(svc, OPERATOR, city.class_7a, city.minh, MemberRole.STUDENT)
    return city


def ok(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json() if response.content else None


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """An RFC 9457 problem with the fields every Schulhof error carries."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["type"].startswith("https://")
    return body


def all_pages(
    client: TestClient, path: str, headers: Headers, limit: int, **params: Any
) -> list[dict[str, Any]]:
    """Follow `next` to the end; every page holds at most `limit` items."""
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    for _ in range(10_000):
        query = {"limit": limit, **params, **({"cursor": cursor} if cursor else {})}
        body = ok(client.get(path, headers=headers, params=query))
        assert set(body) == {"items", "next"}
        assert len(body["items"]) <= limit
        found += body["items"]
        cursor = body["next"]
        if cursor is None:
            return found
    raise AssertionError("paging did not end")
