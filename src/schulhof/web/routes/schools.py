"""Schools: `/schools`, those the caller may read; created by the authority only."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field

from schulhof.domain.model import School, SchoolType
from schulhof.services import schools
from schulhof.web import pagination
from schulhof.web.auth import ActorDep, ServicesDep
from schulhof.web.preconditions import IfNoneMatch, not_modified, state_etag

router = APIRouter(prefix="/schools", tags=["schools"])


class SchoolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    number: str = Field(description="The authority's school number, 4-8 digits.")
    name: str = Field(min_length=1, max_length=200)
    type: SchoolType = SchoolType.OTHER


def school_dict(s: School) -> dict[str, Any]:
    """The same shape as `schulhof schools list --json`."""
    return {
        "id": str(s.id),
        "number": s.number,
        "name": s.name,
        "type": s.type.value,
        "sources": [{"system": k.system, "id": k.source_id} for k in s.sources],
    }


@router.get("")
def list_schools(
    svc: ServicesDep,
    actor: ActorDep,
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = pagination.DEFAULT_LIMIT,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Schools the caller may read, by number."""
    key = pagination.decode(cursor)
    after = str(key["n"]) if key and "n" in key else None
    found = schools.list_schools_for(svc, actor, after=after, limit=limit + 1)
    more = len(found) > limit
    found = found[:limit]
    next_key = {"n": found[-1].number} if more else None
    return pagination.page([school_dict(s) for s in found], next_key)


@router.get("/{number}", response_model=None)
def get_school(
    svc: ServicesDep,
    actor: ActorDep,
    number: str,
    response: Response,
    if_none_match: IfNoneMatch = None,
) -> dict[str, Any] | Response:
    body = school_dict(schools.get_school_for(svc, actor, number))
    tag = state_etag(body)
    unchanged = not_modified(if_none_match, tag)
    if unchanged is not None:
        return unchanged
    response.headers["ETag"] = tag
    return body


@router.post("", status_code=201)
def create_school(
    svc: ServicesDep, actor: ActorDep, body: SchoolIn, request: Request, response: Response
) -> dict[str, Any]:
    """City admins only."""
    school = schools.add_school(svc, actor, body.number, body.name, body.type)
    created = school_dict(school)
    response.headers["Location"] = str(request.url_for("get_school", number=school.number).path)
    response.headers["ETag"] = state_etag(created)
    return created
