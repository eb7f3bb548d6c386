"""Reading the change log (the write side is in every other use case)."""

from __future__ import annotations

from schulhof.domain.changes import ChangeRecord
from schulhof.services.runtime import Services
from schulhof.store import changelog, integrity
from schulhof.store.database import read_connection
from schulhof.store.integrity import Finding


def changes_after(
    svc: Services, after: int, *, school: str | None = None, limit: int = 1000
) -> list[ChangeRecord]:
    with read_connection(svc.engine) as conn:
        return changelog.read_after(conn, after, school=school, limit=limit)


def last_seq(svc: Services) -> int:
    with read_connection(svc.engine) as conn:
        return changelog.last_seq(conn)


def check_integrity(svc: Services) -> list[Finding]:
    with read_connection(svc.engine) as conn:
        return integrity.check(conn)
