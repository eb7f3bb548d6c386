"""The access matrix, generated from the route table: every route under /api/v1, each of
its methods, probed by every actor against a target of their own school and one of
another school, on SQLite and PostgreSQL. The expectations are in `access_rules.RULES`;
a route without a rule fails here, and so does a rule without a route.

Besides each rule's status, every probe checks what no rule may relax: no 5xx; a denial
is a problem document; nothing an actor of school A gets back names a person of school B
(their names, usernames or ids, other than the ids the request itself carried).

One world per backend (module scope): the probes that change or remove their target get
new objects (`Rule.fresh`), so the shared ones stay as they were for the reads.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import fastapi.routing
import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from schulhof.access.actors import OPERATOR, ActorKind
from schulhof.domain.model import Context, GroupKind, MemberRole, PersonDraft, Role, SchoolType
from schulhof.services import groups, guardians, jobs, persons, schools, spool, tokens
from schulhof.services.runtime import Services, open_services
from schulhof.web.app import API, create_app
from tests.conftest import BACKENDS, PG_SERVER, _admin
from tests.pipeline.sisfiles import School, Staff, Student, write_school
from tests.web.access_rules import (
    ACTORS,
    CASES,
    OK,
    RULES,
    UNLISTED,
    Expect,
    Rule,
    Target,
    letters,
    path_values,
    with_n,
)

Headers = dict[str, str]
OWN, OTHER = "91000", "91007"
# Everything of school B carries this in its name, so a leak shows in any answer.
FOREIGN = "fremd"
OPEN_PATHS = {"/healthz", f"{API}/openapi.json", f"{API}/docs", "/docs/oauth2-redirect"}


def _routes(app: FastAPI) -> list[tuple[APIRoute, str]]:
    """Every APIRoute with its full path. FastAPI ≥ 0.16x keeps included routers as
    such in `app.routes`; `iter_route_contexts` flattens them (older versions did that
    when including)."""
    contexts = getattr(fastapi.routing, "iter_route_contexts", None)
    if contexts is None:
        return [(r, r.path) for r in app.routes if isinstance(r, APIRoute)]
    return [
        (c.original_route, str(c.path))
        for c in contexts(app.routes)
        if isinstance(c.original_route, APIRoute)
    ]


def route_table(app: FastAPI) -> list[tuple[str, str]]:
    """`(METHOD, path below /api/v1)` of every API route."""
    return sorted(
        (method, path.removeprefix(API))
        for route, path in _routes(app)
        if path.startswith(f"{API}/")
        for method in route.methods or ()
    )


# The route table does not depend on the database: an engine that never connects will do.
APP_ROUTES = route_table(create_app(Services(sa.create_engine("sqlite://")), worker=False))


def _probes() -> list[Any]:
    probes = []
    for method, path in APP_ROUTES:
        cases = [(a, c) for a in ACTORS for c in CASES] + [("teacher", "peer")]
        for actor, case in cases:
            probes.append(
                pytest.param(method, path, actor, case, id=f"{method} {path}|{actor}|{case}")
            )
    return probes


# --- the world: two schools, the same objects at each, a token per actor ---


@dataclass
class World:
    svc: Services
    client: TestClient
    tmp: Path
    headers: dict[str, Headers]
    targets: dict[str, Target]  # own, peer, other
    teachers: dict[str, str]  # case → the teacher of the case's groups
    foreign_ids: set[str] = field(default_factory=set)  # ids of school B's things
    counter: Iterator[int] = field(default_factory=itertools.count)


def _person(svc: Services, given: str, family: str, school: str, role: Role) -> tuple[str, str]:
    draft = PersonDraft(given, family, dt.date(2014, 5, 6), contexts=(Context(school, role),))
    made = persons.add_person(svc, OPERATOR, draft)
    return made.id, made.username


def _upload(tmp: Path, school: str) -> tuple[tuple[str, bytes], ...]:
    folder = tmp / f"upload-{school}"
    sis = School(school, encoding="utf-8")
    sis.students = [Student("4711", "Neumann", "Nora", "01.02.2015", "1a")]
    sis.staff = [Staff("8150", "Neuhaus", "Nils", "03.04.1981", "1a")]
    write_school(folder, sis)
    return tuple((p.name, p.read_bytes()) for p in sorted(folder.glob("*.csv")))


def _job(svc: Services, school: str) -> str:
    job_id = jobs.new_job_id()
    params = {"source": "sis", "files": [], "plan": {"created": 1, "dry_run": True}}
    status = jobs.JobStatus.PLANNED
    jobs.record_plan(
        svc, OPERATOR, job_id, kind="import", status=status, schools=[school], params=params
    )
    return job_id


def _objects(w: World, case: str, *, given: str, family: str, group_name: str) -> Target:
    """The case's target with new objects: a student and a linked guardian at its school,
    a group with the student and the case's teacher, a planned import of the school."""
    svc, school = w.svc, w.targets[case].school
    student, _ = _person(svc, given, family, school, Role.STUDENT)
    guardian, _ = _person(svc, "Gerd", family, school, Role.GUARDIAN)
    guardians.link_guardian(svc, OPERATOR, student, guardian)
    group = groups.add_group(svc, OPERATOR, school, GroupKind.COURSE, group_name).id
    groups.add_member(svc, OPERATOR, group, student, MemberRole.STUDENT)
    groups.add_member(svc, OPERATOR, group, w.teachers[case], MemberRole.TEACHER)
    job = _job(svc, school)
    if school == OTHER:
        w.foreign_ids |= {student, guardian, group, job}
    return dataclasses.replace(
        w.targets[case], person=student, guardian=guardian, group=group, job=job
    )


def fresh(w: World, case: str) -> Target:
    """New objects for a probe that changes or removes its target."""
    n = next(w.counter)
    given, family = ("Bianca", "Fremd") if case == "other" else ("Ada", "Eigen")
    return _objects(w, case, given=given, family=family + letters(n), group_name=f"kurs-{n}")


def _database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'matrix.sqlite'}"
        return
    # A database of its own: other modules empty the worker's shared one between tests.
    name = f"schulhof_matrix_{os.getpid()}"
    _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    _admin(f'CREATE DATABASE "{name}"')
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="module", params=BACKENDS)
def world(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[World]:
    tmp = tmp_path_factory.mktemp(f"matrix-{request.param}")
    for url in _database(request.param, tmp):
        svc = open_services(url)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(spool.SPOOL_ENV, str(tmp / "spool"))
            with TestClient(create_app(svc, worker=False)) as client:
                yield _build(svc, client, tmp)
        svc.engine.dispose()


def _build(svc: Services, client: TestClient, tmp: Path) -> World:
    a = schools.add_school(svc, OPERATOR, OWN, "Grundschule Heimathafen", SchoolType.GS)
    b = schools.add_school(svc, OPERATOR, OTHER, "Gymnasium Fremdstadt", SchoolType.GY)
    teacher_a, teacher_a_name = _person(svc, "Anke", "Auer", OWN, Role.TEACHER)
    colleague_a, _ = _person(svc, "Agnes", "Amsel", OWN, Role.TEACHER)
    teacher_b, _ = _person(svc, "Boris", "Fremdlehrer", OTHER, Role.TEACHER)
    blank = Target("", "", "", "", "", "", ())
    upload_a, upload_b = _upload(tmp, OWN), _upload(tmp, OTHER)
    w = World(
        svc, client, tmp, headers={},
        targets={
            "own": dataclasses.replace(blank, school=OWN, school_id=a.id, upload=upload_a),
            "peer": dataclasses.replace(blank, school=OWN, school_id=a.id, upload=upload_a),
            "other": dataclasses.replace(blank, school=OTHER, school_id=b.id, upload=upload_b),
        },
        teachers={"own": teacher_a, "peer": colleague_a, "other": teacher_b},
        foreign_ids={b.id, teacher_b},
    )  # fmt: skip
    for case, (given, family, group) in {
        "own": ("Alma", "Adler", "4a"),
        "peer": ("Arne", "Amsel", "4b"),
        "other": ("Bruno", "Fremdholz", "7a"),
    }.items():
        w.targets[case] = _objects(w, case, given=given, family=family, group_name=group)
    # The peer's import job is the own school's: teachers see no import anyway.
    w.targets["peer"] = dataclasses.replace(w.targets["peer"], job=w.targets["own"].job)

    def bearer(role: ActorKind, *school: str, person: str | None = None) -> Headers:
        made = tokens.create_token(
            svc, OPERATOR, role=role, name=f"matrix-{role}", schools=school, person=person
        )
        return {"Authorization": f"Bearer {made.token}"}

    w.headers = {
        "city": bearer(ActorKind.CITY_ADMIN),
        "admin": bearer(ActorKind.SCHOOL_ADMIN, OWN),
        "teacher": bearer(ActorKind.TEACHER, person=teacher_a_name),
        "service": bearer(ActorKind.SERVICE, OWN),
    }
    return w


# --- the probes ---


def _url(path: str, target: Target) -> str:
    values = path_values(target)
    missing = sorted(set(re.findall(r"{(\w+)}", path)) - values.keys())
    assert not missing, f"{path}: no value for path parameter(s) {missing} in path_values()"
    return API + path.format(**values)


def _etag(w: World, target: Target) -> str:
    read = w.client.get(f"{API}/users/{target.person}", headers=w.headers["city"])
    assert read.status_code == 200, read.text
    return str(read.headers["etag"])


def _request(
    w: World, method: str, path: str, rule: Rule, target: Target, headers: Headers
) -> httpx.Response:
    kwargs = rule.send(target) if rule.send else {}
    sent_headers = {**headers, **kwargs.pop("headers", {})}
    if rule.if_match:
        sent_headers["If-Match"] = _etag(w, target)
    params = rule.query(target) if rule.query else None
    answer: httpx.Response = w.client.request(
        method, _url(path, target), params=params, headers=sent_headers, **kwargs
    )
    return answer


def _assert_no_leak(w: World, answer: httpx.Response, actor: str) -> None:
    """Nothing of school B in what an actor of school A got back, but for the ids the
    request itself named (a 404 may repeat the id asked for)."""
    text = answer.text
    assert FOREIGN not in text.lower(), f"{actor} got school B's data: {text[:500]}"
    asked = str(answer.request.url)
    leaked = sorted(i for i in w.foreign_ids if i in text and i not in asked)
    assert not leaked, f"{actor} got ids of school B {leaked}: {text[:500]}"


def _assert_expected(rule: Rule, expect: Expect, answer: httpx.Response, target: Target) -> None:
    status, text = answer.status_code, answer.text
    if expect == OK:
        assert status == rule.ok, f"expected {rule.ok}, got {status}: {text[:500]}"
        if rule.listed is not None:
            assert rule.listed(target) in text, f"the target is not listed: {text[:500]}"
    elif expect == UNLISTED:
        assert status == 200, f"expected 200 without the target, got {status}: {text[:500]}"
        assert rule.listed is not None
        assert rule.listed(target) not in text, f"the target is listed: {text[:500]}"
    else:
        assert status == expect, f"expected {expect}, got {status}: {text[:500]}"
        assert answer.headers["content-type"].startswith("application/problem+json")
        assert answer.json()["status"] == expect


@pytest.mark.parametrize(("method", "path", "actor", "case"), _probes())
def test_probe(world: World, method: str, path: str, actor: str, case: str) -> None:
    rule = RULES.get((method, path))
    if rule is None:
        pytest.fail(f"no access rule for {method} {path}: add one to tests/web/access_rules.py")
    target = fresh(world, case) if rule.fresh else world.targets[case]
    target = with_n(target, next(world.counter))
    if rule.setup is not None:
        rule.setup(world.svc, target)
    answer = _request(world, method, path, rule, target, world.headers[actor])
    assert answer.status_code < 500, answer.text
    _assert_expected(rule, rule.expect(actor, case), answer, target)
    if actor != "city":
        _assert_no_leak(world, answer, actor)


@pytest.mark.parametrize(("method", "path"), APP_ROUTES, ids=[f"{m} {p}" for m, p in APP_ROUTES])
def test_without_a_token_every_route_answers_401(world: World, method: str, path: str) -> None:
    rule = RULES.get((method, path), Rule(0, (0, 0), (0, 0), (0, 0), (0, 0)))
    answer = _request(world, method, path, rule, world.targets["own"], {})
    assert answer.status_code == 401, answer.text
    assert answer.headers["www-authenticate"].startswith("Bearer")
    assert answer.headers["content-type"].startswith("application/problem+json")
    wrong = world.client.request(
        method, _url(path, world.targets["own"]), headers={"Authorization": "Basic eDp5"}
    )
    assert wrong.status_code == 401, wrong.text


def test_health_and_the_api_description_need_no_token(world: World) -> None:
    for path in sorted(OPEN_PATHS):
        assert world.client.get(path).status_code == 200, path


# --- the table itself ---


def test_every_route_has_a_rule() -> None:
    missing = sorted(set(APP_ROUTES) - RULES.keys())
    assert not missing, (
        "routes without an access rule (add them to tests/web/access_rules.py): "
        + ", ".join(f"{m} {p}" for m, p in missing)
    )


def test_every_rule_has_a_route() -> None:
    stale = sorted(RULES.keys() - set(APP_ROUTES))
    assert not stale, "access rules for routes that do not exist: " + ", ".join(
        f"{m} {p}" for m, p in stale
    )


def test_no_rule_lets_school_a_touch_school_b() -> None:
    """The table itself may not encode a leak: for every actor but the city, another
    school's target (and a teacher's untaught one) is denied or left out of a list, and
    a service changes nothing."""
    for (method, path), rule in RULES.items():
        for actor in ("admin", "teacher", "service"):
            assert rule.expect(actor, "other") in (403, 404, UNLISTED), (method, path, actor)
        if not path.startswith("/schools"):  # the peer's school is the teacher's own
            assert rule.expect("teacher", "peer") in (403, 404, UNLISTED), (method, path)
        if method != "GET":
            assert rule.expect("service", "own") in (403, 404, 405), (method, path)
        if rule.expect("city", "own") != OK or rule.expect("city", "other") != OK:
            pytest.fail(f"{method} {path}: the city admin may do everything")


# --- what one target per school does not show ---


def _status(w: World, method: str, url: str, actor: str, **kwargs: Any) -> int:
    headers = {**w.headers[actor], **kwargs.pop("headers", {})}
    answer: httpx.Response = w.client.request(method, API + url, headers=headers, **kwargs)
    assert answer.status_code < 500, answer.text
    if actor != "city":
        _assert_no_leak(w, answer, actor)
    return answer.status_code


def test_a_teacher_resets_no_teachers_password_and_changes_nobody(world: World) -> None:
    w = world
    colleague, teacher = w.teachers["peer"], w.teachers["own"]
    assert _status(w, "GET", f"/users/{teacher}", "teacher") == 200  # themselves
    assert _status(w, "GET", f"/users/{colleague}", "teacher") == 404
    assert _status(w, "POST", f"/users/{colleague}/password", "teacher") == 404
    assert _status(w, "POST", f"/users/{teacher}/password", "teacher") == 404  # not a student
    assert _status(w, "POST", f"/users/{w.targets['own'].person}/disable", "teacher") == 404


def test_a_person_of_two_schools_is_read_by_both_and_changed_by_the_city_only(
    world: World,
) -> None:
    w = world
    draft = PersonDraft(
        "Jana", "Beide", contexts=(Context(OWN, Role.TEACHER), Context(OTHER, Role.TEACHER))
    )
    shared = persons.add_person(w.svc, OPERATOR, draft).id
    seen = w.client.get(f"{API}/users/{shared}", headers=w.headers["admin"])
    assert seen.status_code == 200, seen.text
    assert seen.json()["schools"] == [OWN]  # not that they also teach at B
    etag = {"If-Match": seen.headers["etag"], "Content-Type": "application/merge-patch+json"}
    patch = {"content": '{"email": "j@example.org"}', "headers": etag}
    assert _status(w, "PATCH", f"/users/{shared}", "admin", **patch) == 403
    assert _status(w, "POST", f"/users/{shared}/disable", "admin") == 403
    assert _status(w, "POST", f"/users/{shared}/password", "admin") == 404
    assert _status(w, "DELETE", f"/users/{shared}/contexts/{OWN}/teacher", "admin") == 403
    assert _status(w, "POST", f"/users/{shared}/disable", "city") == 200


def test_a_school_admin_cannot_reach_across_through_their_own_objects(world: World) -> None:
    """Own container, other school's member: refused as if the member did not exist."""
    w, own, other = world, world.targets["own"], world.targets["other"]
    student = {"json": {"role": "student"}}
    assert (
        _status(w, "PUT", f"/groups/{own.group}/members/{other.person}", "admin", **student) == 404
    )
    assert _status(w, "PUT", f"/users/{own.person}/guardians/{other.guardian}", "admin") == 404
    assert _status(w, "PUT", f"/users/{other.person}/guardians/{own.guardian}", "admin") == 404
    at_b = {"json": {"school": OTHER, "role": "student"}}
    assert _status(w, "POST", f"/users/{own.person}/contexts", "admin", **at_b) == 403
    made = {"json": {"given_name": "X", "family_name": "Y", "contexts": [at_b["json"]]}}
    assert _status(w, "POST", "/users", "admin", **made) == 403
    both = [{"school": OWN, "role": "student"}, {"school": OTHER, "role": "student"}]
    assert _status(w, "POST", "/users", "admin", json={**made["json"], "contexts": both}) == 403
    admin = [{"school": OWN, "role": "school_admin"}]
    assert _status(w, "POST", "/users", "admin", json={**made["json"], "contexts": admin}) == 403
    assert _status(w, "GET", "/changes", "admin", params={"school": OTHER}) == 403
    trail = w.client.get(
        f"{API}/audit", headers=w.headers["admin"], params={"target": other.person}
    )
    assert trail.status_code == 200, trail.text
    assert trail.json()["items"] == []
