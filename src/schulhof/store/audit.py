"""The audit log's own rows: reads of personal data, password resets, token use.

Changes are not copied here: the change log is their audit trail (services/audit.py reads
both)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from schulhof.store.bulk import insert_rows
from schulhof.store.tables import audit_log


@dataclass(frozen=True, slots=True)
class AuditEntry:
    at: dt.datetime
    actor: str
    action: str
    target_type: str
    target_id: str | None
    school: str | None
    detail: dict[str, object] | None = None


def append(conn: sa.Connection, entries: Sequence[AuditEntry]) -> None:
    insert_rows(
        conn, audit_log, ("at", "actor", "action", "target_type", "target_id", "school", "detail"),
        [(e.at, e.actor, e.action, e.target_type, e.target_id, e.school,
          orjson.dumps(e.detail).decode() if e.detail is not None else None) for e in entries],
    )  # fmt: skip
