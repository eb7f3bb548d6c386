"""Groups: `/groups` (classes, courses, workgroups) and their members, within scope."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from schulhof.domain.errors import ValidationError
from schulhof.domain.model import GroupKind, MemberRole, Membership
from schulhof.services import groups
from schulhof.store.groups import GroupFilter, GroupKey
from schulhof.web import pagination
from schulhof.web.auth import ActorDep, ServicesDep
from schulhof.web.preconditions import IfNoneMatch, not_modified, state_etag

router = APIRouter(prefix="/groups", tags=["groups"])


class GroupIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    school: str
    kind: GroupKind
    name: str = Field(min_length=1, max_length=200)


class MemberIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: MemberRole
    homeroom_teacher: bool = False


def membership_dict(m: Membership) -> dict[str, Any]:
    return {
        "group_id": m.group_id,
        "person_id": m.person_id,
        "role": m.role.value,
        "homeroom_teacher": m.homeroom_teacher,
    }


def _group_key(cursor: str | None) -> GroupKey | None:
    raw = pagination.decode(cursor)
    if raw is None:
        return None
    key = raw.get("g")
    if not (isinstance(key, list) and len(key) == 4 and all(isinstance(k, str) for k in key)):
        raise ValidationError("the cursor is not valid", field="cursor")
    return (key[0], key[1], key[2], key[3])


@router.get("")
def list_groups(
    svc: ServicesDep,
    actor: ActorDep,
    school: str | None = None,
    kind: GroupKind | None = None,
    q: Annotated[str | None, Query(description="Part of the group's name.")] = None,
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = pagination.DEFAULT_LIMIT,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Groups the caller may read, by school number, kind and name."""
    f = GroupFilter(school=school, kind=kind, search=q)
    found = groups.list_groups_for(svc, actor, f, after=_group_key(cursor), limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    last = found[-1].group if found else None
    next_key = (
        {"g": [last.school_number, last.kind.value, last.name, last.id]}
        if more and last is not None
        else None
    )
    return pagination.page([v.as_dict() for v in found], next_key)


@router.post("", status_code=201)
def create_group(
    svc: ServicesDep, actor: ActorDep, body: GroupIn, request: Request, response: Response
) -> dict[str, Any]:
    group = groups.add_group(svc, actor, body.school.strip(), body.kind, body.name)
    created = groups.get_group(svc, actor, group.id).as_dict()
    response.headers["Location"] = str(request.url_for("get_group", group_id=group.id).path)
    response.headers["ETag"] = state_etag(created)
    return created


@router.get("/{group_id}", response_model=None)
def get_group(
    svc: ServicesDep,
    actor: ActorDep,
    group_id: str,
    response: Response,
    if_none_match: IfNoneMatch = None,
) -> dict[str, Any] | Response:
    body = groups.get_group(svc, actor, group_id).as_dict()
    tag = state_etag(body)
    unchanged = not_modified(if_none_match, tag)
    if unchanged is not None:
        return unchanged
    response.headers["ETag"] = tag
    return body


@router.delete("/{group_id}", status_code=204)
def delete_group(svc: ServicesDep, actor: ActorDep, group_id: str) -> Response:
    """The group and its memberships (the people stay)."""
    groups.delete_group(svc, actor, group_id)
    return Response(status_code=204)


@router.get("/{group_id}/members")
def list_members(
    svc: ServicesDep,
    actor: ActorDep,
    group_id: str,
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = pagination.DEFAULT_LIMIT,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Members by username, only those the caller may read (a page may hold fewer than
    `limit` items and still have a `next`)."""
    key = pagination.decode(cursor)
    after = str(key["u"]) if key and "u" in key else None
    found = groups.list_members(svc, actor, group_id, after=after, limit=limit)
    next_key = {"u": found.next_after} if found.next_after is not None else None
    return pagination.page([m.as_dict() for m in found.items], next_key)


@router.put("/{group_id}/members/{person_id}")
def put_member(
    svc: ServicesDep,
    actor: ActorDep,
    group_id: str,
    person_id: str,
    body: MemberIn,
    response: Response,
) -> dict[str, Any]:
    """Add the person (201) or change their membership (200)."""
    membership, created = groups.put_member(
        svc, actor, group_id, person_id, body.role, homeroom_teacher=body.homeroom_teacher
    )
    if created:
        response.status_code = 201
    return membership_dict(membership)


@router.delete("/{group_id}/members/{person_id}", status_code=204)
def remove_member(svc: ServicesDep, actor: ActorDep, group_id: str, person_id: str) -> Response:
    groups.remove_member(svc, actor, group_id, person_id)
    return Response(status_code=204)
