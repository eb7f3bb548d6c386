"""People: `/users` (the name services expect), read and managed within the actor's scope."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response
from fastapi.concurrency import run_in_threadpool

from schulhof.domain.errors import ValidationError
from schulhof.domain.model import LifecycleState, Role
from schulhof.services import passwords, persons
from schulhof.store.persons import PersonFilter
from schulhof.web import pagination
from schulhof.web.auth import ActorDep, ServicesDep

router = APIRouter(prefix="/users", tags=["users"])


def _enum(kind: type[Role] | type[LifecycleState], raw: str | None, field: str) -> Any:
    if raw is None:
        return None
    try:
        return kind(raw)
    except ValueError as exc:
        raise ValidationError(f"unknown {field} {raw!r}", field=field) from exc


def etag(version: int) -> str:
    return f'W/"{version}"'


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
) -> dict[str, Any]:
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
    return pagination.page([v.as_dict() for v in views], next_key)


@router.get("/{person_id}")
def get_user(
    svc: ServicesDep, actor: ActorDep, person_id: str, response: Response
) -> dict[str, Any]:
    view = persons.get_person(svc, actor, person_id)
    response.headers["ETag"] = etag(view.person.version)
    return view.as_dict()


@router.post("/{person_id}/password")
async def reset_password(svc: ServicesDep, actor: ActorDep, person_id: str) -> dict[str, Any]:
    """A new initial password, shown once; it must be changed at the next sign-in."""
    person, password = await run_in_threadpool(passwords.reset_password, svc, actor, person_id)
    return {"id": person.id, "username": person.username, "password": password, "must_change": True}
