"""The access matrix: for every route of the API, what each actor may do to a target of
their own school ("own") and of another school ("other").

`test_access_matrix.py` reads the app's route table and probes every `(method, path)`
with every actor against both targets, as these rules say. A route without a rule fails
the suite, and so does a rule whose route is gone: a new endpoint needs a line here.

An expectation is a status (the denial: 403 or 404), `OK` (the route's success status;
for a list, the target is in the page) or `UNLISTED` (a list answers 200 without the
target: lists are filtered by access, they do not refuse). The actors:

- city: a city admin token;
- admin: a school admin of school A;
- teacher: a teacher at A who teaches a class at A (the own target's student is in it);
- service: a service client of A (default attributes).

"peer" is a third case for the teacher only: a target at A outside their reach (a
student in a class another teacher teaches). Unless a rule says otherwise it is denied
as the other school's target is.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from schulhof.access.actors import OPERATOR
from schulhof.services import groups, guardians, persons
from schulhof.services.runtime import Services

OK: Literal["ok"] = "ok"
UNLISTED: Literal["unlisted"] = "unlisted"
Expect = int | Literal["ok", "unlisted"]
Pair = tuple[Expect, Expect]  # (own, other)

ACTORS = ("city", "admin", "teacher", "service")
CASES = ("own", "other")


@dataclass(frozen=True, slots=True)
class Target:
    """What a probe aims at: objects of one school."""

    school: str  # its number
    school_id: str
    person: str  # a student; taught by the acting teacher in the own case
    guardian: str  # a guardian at the school, linked to `person`
    group: str  # a group at the school with `person` as student (and a teacher)
    job: str  # a planned import of the school
    upload: tuple[tuple[str, bytes], ...]  # school-office export files of the school
    n: int = 0  # unique per probe: for names and numbers of what a probe creates


Send = Callable[[Target], dict[str, Any]]  # keyword arguments for `TestClient.request`
Query = Callable[[Target], dict[str, str]]
Setup = Callable[[Services, Target], None]  # run as the operator before the probe


@dataclass(frozen=True, slots=True)
class Rule:
    ok: int  # the success status
    city: Pair
    admin: Pair
    teacher: Pair
    service: Pair
    teacher_peer: Expect | None = None  # None: as for the other school
    fresh: bool = False  # changes or removes its target: new objects for every probe
    if_match: bool = False  # needs the target person's ETag (read as city admin)
    query: Query | None = None
    send: Send | None = None
    setup: Setup | None = None
    listed: Callable[[Target], str] | None = None  # a list: the id OK shows, UNLISTED hides

    def expect(self, actor: str, case: str) -> Expect:
        if case == "peer":
            assert actor == "teacher", "the peer case is the teacher's"
            return self.teacher_peer if self.teacher_peer is not None else self.teacher[1]
        pair: Pair = getattr(self, actor)
        return pair[CASES.index(case)]


def letters(n: int) -> str:
    """`n` as lowercase letters (names must not carry digits to stay names)."""
    out = ""
    n += 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(ord("a") + r) + out
    return out


def _json(body: Mapping[str, Any]) -> Send:
    return lambda t: {"json": dict(body)}


def _new_person(t: Target) -> dict[str, Any]:
    contexts = [{"school": t.school, "role": "student"}]
    family = f"Neuling{letters(t.n)}"
    return {"json": {"given_name": "Nele", "family_name": family, "contexts": contexts}}


def _email(t: Target) -> dict[str, Any]:
    body = json.dumps({"email": f"neu{t.n}@example.org"})
    return {"content": body, "headers": {"Content-Type": "application/merge-patch+json"}}


def _upload(t: Target) -> dict[str, Any]:
    files = [("files", (name, data, "text/csv")) for name, data in t.upload]
    return {"data": {"source": "sis"}, "files": files}


def _disable(svc: Services, t: Target) -> None:
    persons.disable_person(svc, OPERATOR, t.person)


def _leave_group(svc: Services, t: Target) -> None:
    groups.remove_member(svc, OPERATOR, t.group, t.person)


def _unlink(svc: Services, t: Target) -> None:
    guardians.unlink_guardian(svc, OPERATOR, t.person, t.guardian)


def _in(**params: str) -> Query:
    """Query parameters; `{school}` and `{person}` are the target's."""
    return lambda t: {k: v.format(school=t.school, person=t.person) for k, v in params.items()}


@dataclass(frozen=True, slots=True)
class Shape:
    """The four actors' (own, other) expectations, shared by several routes."""

    city: Pair
    admin: Pair
    teacher: Pair
    service: Pair


READ_ONE = Shape(city=(OK, OK), admin=(OK, 404), teacher=(OK, 404), service=(OK, 404))
LISTED = Shape(city=(OK, OK), admin=(OK, UNLISTED), teacher=(OK, UNLISTED), service=(OK, UNLISTED))
# Changing a person: teachers may read but not change (404, as for nobody); a service
# may read, so it learns "not allowed" (403).
CHANGE_PERSON = Shape(city=(OK, OK), admin=(OK, 404), teacher=(404, 404), service=(403, 404))
# Writes whose school is named in the request are refused before anything is looked up.
AT_SCHOOL = Shape(city=(OK, OK), admin=(OK, 403), teacher=(403, 403), service=(403, 403))
CITY_ONLY = Shape(city=(OK, OK), admin=(403, 403), teacher=(403, 403), service=(403, 403))
# A group the reader may read but not change: 403; one they may not read: 404.
CHANGE_GROUP = Shape(city=(OK, OK), admin=(OK, 404), teacher=(403, 404), service=(403, 404))
# Imports: school admins and the city; anyone else is refused whatever the job.
IMPORT_JOB = Shape(city=(OK, OK), admin=(OK, 404), teacher=(403, 403), service=(403, 403))
AUDIT = Shape(city=(OK, OK), admin=(OK, 403), teacher=(403, 403), service=(403, 403))


def _r(ok: int, shape: Shape, **kw: Any) -> Rule:
    return Rule(ok, shape.city, shape.admin, shape.teacher, shape.service, **kw)


RULES: dict[tuple[str, str], Rule] = {
    # --- people ---
    ("GET", "/users"): _r(
        200, LISTED, query=_in(school="{school}", limit="1000"), listed=lambda t: t.person
    ),
    ("POST", "/users"): _r(201, AT_SCHOOL, send=_new_person),
    ("GET", "/users/{person_id}"): _r(200, READ_ONE),
    ("PATCH", "/users/{person_id}"): _r(200, CHANGE_PERSON, fresh=True, if_match=True, send=_email),
    ("DELETE", "/users/{person_id}"): _r(204, CHANGE_PERSON, fresh=True, if_match=True),
    ("POST", "/users/{person_id}/disable"): _r(200, CHANGE_PERSON, fresh=True),
    ("POST", "/users/{person_id}/enable"): _r(200, CHANGE_PERSON, fresh=True, setup=_disable),
    ("GET", "/users/{person_id}/contexts"): _r(200, READ_ONE),
    ("POST", "/users/{person_id}/contexts"): _r(
        201, AT_SCHOOL, fresh=True, send=lambda t: {"json": {"school": t.school, "role": "staff"}}
    ),
    ("DELETE", "/users/{person_id}/contexts/{school}/{role}"): _r(204, AT_SCHOOL, fresh=True),
    # Teachers reset the passwords of the students they teach; a service resets nothing
    # and may not learn more than "not found".
    ("POST", "/users/{person_id}/password"): Rule(
        200, city=(OK, OK), admin=(OK, 404), teacher=(OK, 404), service=(404, 404)
    ),
    # --- guardian links ---
    # A teacher reads the student but not the student's guardians: an empty page.
    ("GET", "/users/{person_id}/guardians"): Rule(
        200,
        city=(OK, OK),
        admin=(OK, 404),
        teacher=(UNLISTED, 404),
        service=(OK, 404),
        listed=lambda t: t.guardian,
    ),
    ("PUT", "/users/{person_id}/guardians/{guardian_id}"): _r(
        201, CHANGE_PERSON, fresh=True, setup=_unlink
    ),
    ("DELETE", "/users/{person_id}/guardians/{guardian_id}"): _r(204, CHANGE_PERSON, fresh=True),
    # --- schools ---
    # The teacher's "peer" target is at their own school: the school itself they may read.
    ("GET", "/schools"): _r(
        200, LISTED, teacher_peer=OK, query=_in(limit="1000"), listed=lambda t: t.school_id
    ),
    ("GET", "/schools/{number}"): _r(200, READ_ONE, teacher_peer=OK),
    ("POST", "/schools"): _r(
        201,
        CITY_ONLY,
        send=lambda t: {"json": {"number": str(92000 + t.n), "name": f"Neue Schule {t.n}"}},
    ),
    # --- groups ---
    ("GET", "/groups"): _r(
        200, LISTED, query=_in(school="{school}", limit="1000"), listed=lambda t: t.group
    ),
    ("POST", "/groups"): _r(
        201,
        AT_SCHOOL,
        send=lambda t: {"json": {"school": t.school, "kind": "workgroup", "name": f"ag-{t.n}"}},
    ),
    ("GET", "/groups/{group_id}"): _r(200, READ_ONE),
    ("DELETE", "/groups/{group_id}"): _r(204, CHANGE_GROUP, fresh=True),
    ("GET", "/groups/{group_id}/members"): _r(200, READ_ONE, listed=lambda t: t.person),
    ("PUT", "/groups/{group_id}/members/{person_id}"): _r(
        201, CHANGE_GROUP, fresh=True, setup=_leave_group, send=_json({"role": "student"})
    ),
    ("DELETE", "/groups/{group_id}/members/{person_id}"): _r(204, CHANGE_GROUP, fresh=True),
    # --- imports ---
    ("POST", "/imports"): _r(201, AT_SCHOOL, send=_upload),
    ("GET", "/imports"): Rule(
        200,
        city=(OK, OK),
        admin=(OK, UNLISTED),
        teacher=(403, 403),
        service=(403, 403),
        query=_in(limit="1000"),
        listed=lambda t: t.job,
    ),
    ("GET", "/imports/{job_id}"): _r(200, IMPORT_JOB),
    ("POST", "/imports/{job_id}/approve"): _r(202, IMPORT_JOB, fresh=True, send=_json({})),
    ("DELETE", "/imports/{job_id}"): _r(204, IMPORT_JOB, fresh=True),
    # --- audit trail and change log ---
    ("GET", "/audit"): _r(
        200, AUDIT, query=_in(school="{school}", target="{person}"), listed=lambda t: t.person
    ),
    ("GET", "/changes"): _r(
        200, AUDIT, query=_in(school="{school}", limit="5000"), listed=lambda t: t.person
    ),
}


def path_values(t: Target) -> dict[str, str]:
    """What fills each path parameter of a route."""
    return {
        "person_id": t.person,
        "guardian_id": t.guardian,
        "group_id": t.group,
        "job_id": t.job,
        "number": t.school,
        "school": t.school,
        "role": "student",
    }


def with_n(t: Target, n: int) -> Target:
    return dataclasses.replace(t, n=n)
