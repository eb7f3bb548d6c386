"""Property-based requests against the OpenAPI document (schemathesis): whatever the
parameters and bodies, no answer is a server error, every status is one the operation
documents or one of the API's common problems, and every error is a problem document.

One test per operation of the document, on SQLite and PostgreSQL, as a city admin and as
a school admin. Path parameters are drawn now from the schema, now from the ids of a
small city, so that requests reach real people, groups and import jobs and not only
404s. Examples per operation are bounded and derandomized: the run is short and the same
every time.

The document is read from an app without a database (`schemathesis.pytest.from_fixture`,
the loader for an app made in a fixture, does not run under pytest 9.2); each request is
sent to the app of the test's own database (`app=` of `Case.call`).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import hypothesis
import pytest
import schemathesis
import sqlalchemy as sa
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import strategies as st
from schemathesis import Case
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.transport import Response

from schulhof.access.actors import OPERATOR, ActorKind
from schulhof.services import jobs, spool
from schulhof.services.runtime import Services, open_services
from schulhof.web.app import API, create_app
from tests.conftest import BACKENDS, PG_SERVER, _admin
from tests.web.city import Headers, bearer, build

# Per operation, backend and actor; SCHULHOF_FUZZ_EXAMPLES=500 for a deeper run by hand.
EXAMPLES = int(os.environ.get("SCHULHOF_FUZZ_EXAMPLES", "25"))
# Problems any operation may answer besides what it documents (web/problems.py).
COMMON = {400, 401, 403, 404, 409, 411, 412, 413, 422, 428, 429}

schema = schemathesis.openapi.from_asgi(
    f"{API}/openapi.json", create_app(Services(sa.create_engine("sqlite://")), worker=False)
)
# Ids of the running world's people and things, by path parameter (set by `world`).
KNOWN: dict[str, list[str]] = {}


@schema.hook
def flatmap_path_parameters(
    context: schemathesis.HookContext, path_parameters: dict[str, Any]
) -> st.SearchStrategy[dict[str, Any]]:
    """Half the time, the ids of people and things that exist."""
    if not isinstance(path_parameters, dict) or not path_parameters:
        return st.just(path_parameters)
    real = st.fixed_dictionaries(
        {
            name: st.sampled_from(KNOWN[name]) if KNOWN.get(name) else st.just(value)
            for name, value in path_parameters.items()
        }
    )
    return st.one_of(st.just(path_parameters), real)


@dataclass(frozen=True, slots=True)
class World:
    app: FastAPI
    headers: dict[ActorKind, Headers]


def _database(backend: str, tmp: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield f"sqlite:///{tmp / 'fuzz.sqlite'}"
        return
    name = f"schulhof_fuzz_{os.getpid()}"  # its own: others empty the shared one
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
    """The small city of tests/web/city.py and a planned import (one per backend: the
    fuzzing changes it as it goes, which is fine — nothing may ever answer 5xx)."""
    tmp = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    for url in _database(request.param, tmp):
        svc = open_services(url)
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv(spool.SPOOL_ENV, str(tmp / "spool"))
            city = build(svc)
            job = jobs.record_plan(
                svc, OPERATOR, jobs.new_job_id(), kind="import", status=jobs.JobStatus.PLANNED,
                schools=["91000"], params={"source": "sis", "files": [], "plan": {}},
            )  # fmt: skip
            KNOWN.clear()
            KNOWN.update(
                person_id=[city.anna, city.minh, city.petra, city.jan, "anna.mueller"],
                guardian_id=[city.gabi],
                group_id=[city.class_4a, city.class_7a],
                job_id=[job.id],
                number=["91000", "91007"],
                school=["91000", "91007"],
                role=["student", "teacher"],
            )
            headers = {
                ActorKind.CITY_ADMIN: bearer(svc, ActorKind.CITY_ADMIN),
                ActorKind.SCHOOL_ADMIN: bearer(svc, ActorKind.SCHOOL_ADMIN, "91000"),
            }
            yield World(create_app(svc, worker=False), headers)
            KNOWN.clear()
        svc.engine.dispose()


def documented_or_common(ctx: CheckContext, response: Response, case: Case[Any]) -> bool | None:
    """The status is documented for the operation or one of the common problems; an
    error is a problem document."""
    responses = case.operation.definition.raw.get("responses", {})
    documented = {int(s) for s in responses if s.isdigit()}
    status = response.status_code
    allowed = documented | COMMON | {304}
    if case.method.upper() != case.operation.method.upper():
        allowed = {405}  # schemathesis also tries methods the path does not have
    assert status in allowed, f"status {status} is neither documented nor a common problem"
    if status >= 400:
        kind = response.headers.get("content-type", [""])[0]
        assert kind.startswith("application/problem+json"), f"{status} as {kind}"
    return None


@pytest.mark.parametrize("actor", [ActorKind.CITY_ADMIN, ActorKind.SCHOOL_ADMIN])
@schema.parametrize()
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=list(hypothesis.HealthCheck),
)
def test_no_server_errors(case: Case[Any], world: World, actor: ActorKind) -> None:
    case.call_and_validate(
        headers=world.headers[actor],
        app=world.app,
        checks=[not_a_server_error, documented_or_common],
    )


# --- what fuzzing found, kept as plain tests ---


def _cursor(key: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(key).encode()).decode().rstrip("=")


NUL_BODY = {"given_name": "A\x00", "family_name": "B", "contexts": []}
FOUND: list[Any] = [
    # NUL in text: PostgreSQL refuses it (a 500 there), SQLite stored it.
    ("GET", "/users?q=%00", None, "q"),
    ("GET", "/users?school=9100%000", None, "school"),
    ("GET", "/users/anna%00", None, "path"),
    ("GET", "/groups/%00", None, "path"),
    ("GET", "/schools/9%00", None, "path"),
    ("GET", "/audit?action=%00", None, "action"),
    ("POST", "/users", NUL_BODY, "given_name"),
    ("POST", "/groups", {"school": "91000", "kind": "class", "name": "x\x00"}, "name"),
    ("GET", "/users?cursor=" + _cursor({"u": "a\x00"}), None, "cursor"),
    ("GET", "/imports?cursor=" + _cursor({"t": "2026-01-01", "i": "\x00"}), None, "cursor"),
    # Integers past 64 bits: SQLite cannot bind them, PostgreSQL refuses them.
    ("GET", f"/changes?after={2**63}", None, "after"),
    (
        "GET",
        "/audit?cursor=" + _cursor({"t": "2026-01-01T00:00", "s": 1, "i": 2**70}),
        None,
        "cursor",
    ),
]


@pytest.mark.parametrize(("method", "path", "body", "field"), FOUND, ids=[f[1][:40] for f in FOUND])
def test_what_fuzzing_found_is_refused_with_422(
    world: World, method: str, path: str, body: dict[str, Any] | None, field: str
) -> None:
    with TestClient(world.app, raise_server_exceptions=False) as client:
        answer = client.request(
            method, API + path, json=body, headers=world.headers[ActorKind.CITY_ADMIN]
        )
    assert answer.status_code == 422, answer.text
    problem = answer.json()
    assert problem.get("field") == field or field in {e["field"] for e in problem.get("errors", [])}


@pytest.mark.parametrize(
    "query", [{"since": "0001-01-01T00:00:00+05:00"}, {"until": "9999-12-31T23:59:59-05:00"}]
)
def test_audit_times_at_the_ends_of_the_calendar(world: World, query: dict[str, str]) -> None:
    with TestClient(world.app, raise_server_exceptions=False) as client:
        answer = client.get(
            f"{API}/audit", params=query, headers=world.headers[ActorKind.CITY_ADMIN]
        )
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] in {"since", "until"}
