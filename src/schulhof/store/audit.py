"""The audit log's own rows: reads of personal data, password resets, token use; and the
audit trail read back from both logs.

Changes are not copied here: the change log is their audit trail. `read_trail` merges
the two, newest first, paged by a key (at, source, id) that orders both totally."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

import orjson
import sqlalchemy as sa

from schulhof.store.bulk import insert_rows
from schulhof.store.tables import audit_log, change_log, change_log_scope
from schulhof.store.timestamps import aware


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


# --- reading: the audit log and the change log as one trail, newest first ---

# Between an audit row and a change at the same instant, the change sorts first (newer).
SOURCE_AUDIT = 0
SOURCE_CHANGE = 1


@dataclass(frozen=True, slots=True)
class AuditKey:
    """A position in the merged trail: (at, source, id), which sorts both logs totally."""

    at: dt.datetime
    source: int
    id: int


@dataclass(frozen=True, slots=True)
class AuditFilter:
    schools: frozenset[str] | None = None  # entries concerning any of these; None: all
    actor: str | None = None
    action: str | None = None  # `person.update`, `person.read`, …
    target: str | None = None
    since: dt.datetime | None = None  # inclusive, UTC
    until: dt.datetime | None = None  # exclusive, UTC


@dataclass(frozen=True, slots=True)
class AuditRecord:
    key: AuditKey
    actor: str
    action: str
    target_type: str
    target_id: str | None
    schools: tuple[str, ...]
    detail: dict[str, object] | None


def _after(
    at: sa.ColumnElement[dt.datetime], ident: sa.ColumnElement[int], source: int, key: AuditKey
) -> sa.ColumnElement[bool]:
    """Rows of one source that come after `key` in (at, source, id) descending order."""
    if source < key.source:
        return at <= key.at
    if source > key.source:
        return at < key.at
    return sa.or_(at < key.at, sa.and_(at == key.at, ident < key.id))


def _audit_rows(
    conn: sa.Connection, f: AuditFilter, after: AuditKey | None, limit: int
) -> list[AuditRecord]:
    t = audit_log
    query = sa.select(t)
    if after is not None:
        query = query.where(_after(t.c.at, t.c.id, SOURCE_AUDIT, after))
    if f.schools is not None:
        query = query.where(t.c.school.in_(sorted(f.schools)))
    if f.actor is not None:
        query = query.where(t.c.actor == f.actor)
    if f.action is not None:
        query = query.where(t.c.action == f.action)
    if f.target is not None:
        query = query.where(t.c.target_id == f.target)
    if f.since is not None:
        query = query.where(t.c.at >= f.since)
    if f.until is not None:
        query = query.where(t.c.at < f.until)
    query = query.order_by(t.c.at.desc(), t.c.id.desc()).limit(limit)
    return [
        AuditRecord(
            AuditKey(aware(r.at), SOURCE_AUDIT, r.id),
            r.actor,
            r.action,
            r.target_type,
            r.target_id,
            (r.school,) if r.school else (),
            orjson.loads(r.detail) if r.detail is not None else None,
        )
        for r in conn.execute(query)
    ]


def _change_rows(
    conn: sa.Connection, f: AuditFilter, after: AuditKey | None, limit: int
) -> list[AuditRecord]:
    t = change_log
    query = sa.select(t.c.seq, t.c.at, t.c.actor, t.c.entity, t.c.op, t.c.entity_id, t.c.schools)
    if after is not None:
        query = query.where(_after(t.c.at, t.c.seq, SOURCE_CHANGE, after))
    if f.schools is not None:
        scope = change_log_scope
        query = query.where(
            sa.exists().where(scope.c.seq == t.c.seq, scope.c.school_number.in_(sorted(f.schools)))
        )
    if f.actor is not None:
        query = query.where(t.c.actor == f.actor)
    if f.action is not None:
        entity, dot, op = f.action.partition(".")
        if not dot:
            return []
        query = query.where(t.c.entity == entity, t.c.op == op)
    if f.target is not None:
        query = query.where(t.c.entity_id == f.target)
    if f.since is not None:
        query = query.where(t.c.at >= f.since)
    if f.until is not None:
        query = query.where(t.c.at < f.until)
    query = query.order_by(t.c.at.desc(), t.c.seq.desc()).limit(limit)
    return [
        AuditRecord(
            AuditKey(aware(r.at), SOURCE_CHANGE, r.seq),
            r.actor,
            f"{r.entity}.{r.op}",
            r.entity,
            r.entity_id,
            tuple(orjson.loads(r.schools)),
            None,
        )
        for r in conn.execute(query)
    ]


def read_trail(
    conn: sa.Connection, f: AuditFilter, *, after: AuditKey | None = None, limit: int = 100
) -> list[AuditRecord]:
    """Entries of both logs matching `f`, newest first, after the position `after`.

    Two keyset queries, each limited, merged here: the first `limit` of the merge are
    the first `limit` of the whole trail."""
    merged = _audit_rows(conn, f, after, limit) + _change_rows(conn, f, after, limit)
    merged.sort(key=lambda e: (e.key.at, e.key.source, e.key.id), reverse=True)
    return merged[:limit]
