"""`/changes`: the change log in order, for replication and provisioning consumers.

A consumer keeps the `seq` of the last record it applied and asks for `after=<seq>`;
sequence numbers have no gaps and follow commit order (docs/design/change-log.md), so
nothing is missed. `next` is the `after` of the next page, null when caught up.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from schulhof.services import audit
from schulhof.services.views import change_dict
from schulhof.web.auth import ActorDep, ServicesDep

router = APIRouter(prefix="/changes", tags=["changes"])

MAX_LIMIT = 5000
MAX_SEQ = 2**63 - 1  # sequence numbers are 64-bit


@router.get("")
def list_changes(
    svc: ServicesDep,
    actor: ActorDep,
    after: Annotated[int, Query(ge=0, le=MAX_SEQ, description="Records after this seq.")] = 0,
    school: Annotated[str | None, Query(description="Only records concerning this school.")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 1000,
) -> dict[str, Any]:
    """City admins: the whole log; school admins: one of their schools (required)."""
    records = audit.read_changes(svc, actor, after, school=school, limit=limit + 1)
    page = records[:limit]
    return {
        "items": [change_dict(c) for c in page],
        "next": page[-1].seq if len(records) > limit else None,
    }
