"""People: `/users` (the name services expect), read and managed within the actor's scope."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, ConfigDict, Field

from schulhof.access.actors import Actor
from schulhof.domain.errors import NotFoundError, ValidationError
from schulhof.domain.model import Context, LifecycleState, Person, PersonDraft, Role
from schulhof.services import passwords, persons
from schulhof.services.persons import PersonChanges
from schulhof.services.runtime import Services
from schulhof.store.persons import PersonFilter
from schulhof.web import pagination
from schulhof.web.auth import ActorDep, ServicesDep
from schulhof.web.preconditions import (
    IfMatch,
    IfNoneMatch,
    expected_version,
    not_modified,
    version_etag,
)
from schulhof.web.responses import FastJSON

router = APIRouter(prefix="/users", tags=["users"])


class ContextIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    school: str
    role: Role
    primary: bool = False

    def context(self) -> Context:
        return Context(self.school.strip(), self.role, self.primary)


class UserIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    given_name: str = Field(min_length=1, max_length=200)
    family_name: str = Field(min_length=1, max_length=200)
    birth_date: dt.date | None = None
    email: str | None = Field(default=None, max_length=320)
    username: str | None = Field(default=None, description="Made from the template if left out.")
    contexts: list[ContextIn] = Field(default_factory=list)


class UserPatch(BaseModel):
    """A JSON merge patch (RFC 7396): members left out stay; `null` empties an optional one."""

    model_config = ConfigDict(extra="forbid")
    given_name: str | None = Field(default=None, min_length=1, max_length=200)
    family_name: str | None = Field(default=None, min_length=1, max_length=200)
    birth_date: dt.date | None = None
    email: str | None = Field(default=None, max_length=320)
    username: str | None = None


def _enum(kind: type[Role] | type[LifecycleState], raw: str | None, field: str) -> Any:
    if raw is None:
        return None
    try:
        return kind(raw)
    except ValueError as exc:
        raise ValidationError(f"unknown {field} {raw!r}", field=field) from exc


def _written(svc: Services, actor: Actor, person: Person, response: Response) -> dict[str, Any]:
    """The person after a write, as the actor may see them, with its new ETag."""
    views = persons.readable_views(svc, actor, [person.id], audit_as=None)
    if not views:
        raise NotFoundError(f"no person {person.id}")
    response.headers["ETag"] = version_etag(views[0].person.version)
    return views[0].as_dict()


@router.get("")
def list_users(
    svc: ServicesDep,
    actor: ActorDep,
    school: str | None = None,
    role: str | None = None,
    state: str | None = None,
    group: str | None = None,
    q: Annotated[str | None, Query(description="Part of a name or username.")] = None,
    changed_since: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = pagination.DEFAULT_LIMIT,
    cursor: str | None = None,
) -> Response:
    """People the caller may read, by username; `next` is the cursor of the next page."""
    key = pagination.decode(cursor)
    after = str(key["u"]) if key and "u" in key else None
    f = PersonFilter(
        school=school, role=_enum(Role, role, "role"), state=_enum(LifecycleState, state, "state"),
        group_id=group, search=q, changed_since=changed_since,
    )  # fmt: skip
    views = persons.list_persons(svc, actor, f, after_username=after, limit=limit + 1)
    more = len(views) > limit
    views = views[:limit]
    next_key = {"u": views[-1].person.username} if more else None
    # Straight to bytes: FastAPI's generic encoder walks every value of every item again.
    return FastJSON(pagination.page([v.as_dict() for v in views], next_key))


@router.post("", status_code=201)
def create_user(
    svc: ServicesDep, actor: ActorDep, body: UserIn, request: Request, response: Response
) -> dict[str, Any]:
    """A new person with their roles; the username is made from the template if not given."""
    draft = PersonDraft(
        given_name=body.given_name, family_name=body.family_name, birth_date=body.birth_date,
        email=body.email, username=body.username,
        contexts=tuple(c.context() for c in body.contexts),
    )  # fmt: skip
    person = persons.add_person(svc, actor, draft)
    response.headers["Location"] = str(request.url_for("get_user", person_id=person.id).path)
    return _written(svc, actor, person, response)


@router.get("/{person_id}", response_model=None)
def get_user(
    svc: ServicesDep,
    actor: ActorDep,
    person_id: str,
    if_none_match: IfNoneMatch = None,
) -> Response:
    """One person by id or username; `If-None-Match` with the ETag gives 304."""
    view = persons.get_person(svc, actor, person_id)
    tag = version_etag(view.person.version)
    unchanged = not_modified(if_none_match, tag)
    if unchanged is not None:
        return unchanged
    return FastJSON(view.as_dict(), headers={"ETag": tag})


@router.patch("/{person_id}")
def update_user(
    svc: ServicesDep,
    actor: ActorDep,
    person_id: str,
    patch: Annotated[UserPatch, Body(media_type="application/merge-patch+json")],
    response: Response,
    if_match: IfMatch = None,
) -> dict[str, Any]:
    """Change names, birth date, e-mail or username. Needs `If-Match` with the ETag."""
    version = expected_version(if_match)
    given = patch.model_fields_set
    for required in ("given_name", "family_name", "username"):
        if required in given and getattr(patch, required) is None:
            raise ValidationError(f"{required} cannot be emptied", field=required)
    emptied = frozenset(
        n for n in ("email", "birth_date") if n in given and getattr(patch, n) is None
    )
    changes = PersonChanges(
        given_name=patch.given_name, family_name=patch.family_name,
        birth_date=patch.birth_date, email=patch.email, username=patch.username, clear=emptied,
    )  # fmt: skip
    person = persons.update_person(svc, actor, person_id, changes, expected_version=version)
    return _written(svc, actor, person, response)


@router.delete("/{person_id}", status_code=204)
def delete_user(
    svc: ServicesDep, actor: ActorDep, person_id: str, if_match: IfMatch = None
) -> Response:
    """Delete now (the username is quarantined for a year). Needs `If-Match` with the ETag."""
    persons.delete_person(svc, actor, person_id, expected_version=expected_version(if_match))
    return Response(status_code=204)


@router.post("/{person_id}/disable")
def disable_user(
    svc: ServicesDep, actor: ActorDep, person_id: str, response: Response
) -> dict[str, Any]:
    """Disable at once; deletion follows after the grace period of the person's roles."""
    return _written(svc, actor, persons.disable_person(svc, actor, person_id), response)


@router.post("/{person_id}/enable")
def enable_user(
    svc: ServicesDep, actor: ActorDep, person_id: str, response: Response
) -> dict[str, Any]:
    return _written(svc, actor, persons.enable_person(svc, actor, person_id), response)


@router.get("/{person_id}/contexts")
def list_contexts(svc: ServicesDep, actor: ActorDep, person_id: str) -> dict[str, Any]:
    """The person's roles at the schools the caller may see (always one page)."""
    view = persons.get_person(svc, actor, person_id).as_dict()
    return pagination.page(list(view.get("contexts", [])), None)


@router.post("/{person_id}/contexts", status_code=201)
def add_context(
    svc: ServicesDep,
    actor: ActorDep,
    person_id: str,
    body: ContextIn,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Give the person a role at a school (a school change is a new context, then the old
    one removed). Answers with the person."""
    context = body.context()
    person = persons.add_context(svc, actor, person_id, context)
    response.headers["Location"] = str(
        request.url_for(
            "remove_context", person_id=person.id, school=context.school_number, role=context.role
        ).path
    )
    return _written(svc, actor, person, response)


@router.delete("/{person_id}/contexts/{school}/{role}", status_code=204)
def remove_context(
    svc: ServicesDep, actor: ActorDep, person_id: str, school: str, role: Role
) -> Response:
    """Take the role away; with no role left the person is disabled at once."""
    persons.remove_context(svc, actor, person_id, Context(school, role))
    return Response(status_code=204)


@router.post("/{person_id}/password")
async def reset_password(svc: ServicesDep, actor: ActorDep, person_id: str) -> dict[str, Any]:
    """A new initial password, shown once; it must be changed at the next sign-in."""
    person, password = await run_in_threadpool(passwords.reset_password, svc, actor, person_id)
    return {"id": person.id, "username": person.username, "password": password, "must_change": True}
