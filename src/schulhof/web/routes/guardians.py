"""Guardian links: `/users/{id}/guardians` — a student's guardians, linked and unlinked."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request, Response

from schulhof.services import guardians
from schulhof.web import pagination
from schulhof.web.auth import ActorDep, ServicesDep

router = APIRouter(prefix="/users", tags=["guardians"])


@router.get("/{person_id}/guardians")
def list_guardians(svc: ServicesDep, actor: ActorDep, person_id: str) -> dict[str, Any]:
    """The student's guardians the caller may read (always one page)."""
    views = guardians.list_guardians(svc, actor, person_id)
    return pagination.page([v.as_dict() for v in views], None)


@router.put("/{person_id}/guardians/{guardian_id}")
def link_guardian(
    svc: ServicesDep,
    actor: ActorDep,
    person_id: str,
    guardian_id: str,
    request: Request,
    response: Response,
) -> dict[str, Any]:
    """Link (201) or confirm (200). The guardian needs a `guardian` role at a school where
    the student is a student."""
    link, created = guardians.link_guardian(svc, actor, person_id, guardian_id)
    if created:
        response.status_code = 201
        response.headers["Location"] = str(
            request.url_for(
                "unlink_guardian", person_id=link.student_id, guardian_id=link.guardian_id
            ).path
        )
    return {"student_id": link.student_id, "guardian_id": link.guardian_id}


@router.delete("/{person_id}/guardians/{guardian_id}", status_code=204)
def unlink_guardian(
    svc: ServicesDep, actor: ActorDep, person_id: str, guardian_id: str
) -> Response:
    guardians.unlink_guardian(svc, actor, person_id, guardian_id)
    return Response(status_code=204)
