"""`/healthz`: the process runs and the database answers."""

from __future__ import annotations

from fastapi import APIRouter

from schulhof.services import changes
from schulhof.web.auth import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(svc: ServicesDep) -> dict[str, object]:
    return {"status": "ok", "change_log": changes.last_seq(svc)}
