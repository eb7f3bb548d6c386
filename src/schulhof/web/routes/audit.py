"""`/audit`: who changed or read what, when — the change log and the read log, merged."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, Query

from schulhof.domain.errors import ValidationError
from schulhof.services import audit
from schulhof.store.audit import AuditKey
from schulhof.web import pagination
from schulhof.web.auth import ActorDep, ServicesDep

router = APIRouter(prefix="/audit", tags=["audit"])


def _key(cursor: str | None) -> AuditKey | None:
    raw = pagination.decode(cursor)
    if raw is None:
        return None
    try:
        return AuditKey(dt.datetime.fromisoformat(str(raw["t"])), int(raw["s"]), int(raw["i"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise ValidationError("the cursor is not valid", field="cursor") from exc


@router.get("")
def list_audit(
    svc: ServicesDep,
    actor: ActorDep,
    school: str | None = None,
    actor_label: Annotated[
        str | None, Query(alias="actor", description="As recorded, e.g. `school_admin:Anna`.")
    ] = None,
    action: Annotated[str | None, Query(description="`person.update`, `person.read`, …")] = None,
    target: Annotated[str | None, Query(description="The id of what was changed or read.")] = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: Annotated[int, Query(ge=1, le=pagination.MAX_LIMIT)] = pagination.DEFAULT_LIMIT,
    cursor: str | None = None,
) -> dict[str, Any]:
    """Entries newest first. City admins see all; school admins their schools' entries."""
    found = audit.list_audit(
        svc, actor, school=school, actor_label=actor_label, action=action, target=target,
        since=since, until=until, limit=limit, cursor=_key(cursor),
    )  # fmt: skip
    k = found.next_key
    next_key = {"t": k.at.isoformat(), "s": k.source, "i": k.id} if k is not None else None
    return pagination.page([audit.entry_dict(e) for e in found.items], next_key)
