"""The audit trail: changes come from the change log; reads of personal data, password
resets and sign-ins are recorded here, in the transaction (or right after the read) that
they describe. Reading it back (`list_audit`) merges both, scoped to the reader's schools;
`read_changes` is the change log itself for replication and provisioning consumers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from schulhof.access.actors import Actor, ActorKind
from schulhof.access.rules import may_read_audit, readable_schools, sees_every_school
from schulhof.domain.changes import ChangeRecord
from schulhof.domain.errors import PermissionDeniedError, ValidationError
from schulhof.domain.model import Person
from schulhof.services.runtime import Services
from schulhof.store import audit as audit_store
from schulhof.store import changelog
from schulhof.store.audit import AuditEntry, AuditFilter, AuditKey, AuditRecord
from schulhof.store.database import read_connection, write_connection

# Reads by these actors are personal-data access by a person and are recorded. Services
# read in bulk by design (their scope is set when registered); the operator's CLI is
# the server's own console.
AUDITED_READERS = frozenset({ActorKind.CITY_ADMIN, ActorKind.SCHOOL_ADMIN, ActorKind.TEACHER})


def record(conn: sa.Connection, entries: Sequence[AuditEntry]) -> None:
    audit_store.append(conn, entries)


def record_event(
    svc: Services,
    *,
    actor: str,
    action: str,
    target_id: str | None,
    school: str | None,
    detail: dict[str, object],
    target_type: str = "person",
) -> None:
    """One security event (e.g. a sign-out) in a transaction of its own."""
    entry = AuditEntry(svc.clock(), actor, action, target_type, target_id, school, detail)
    with write_connection(svc.engine) as conn:
        audit_store.append(conn, [entry])


def record_reads(svc: Services, actor: Actor, action: str, people: Sequence[Person]) -> None:
    """One entry per person read and school through which the actor saw them, so each of
    the person's schools finds the read in its own audit trail."""
    if actor.kind not in AUDITED_READERS or not people:
        return
    now = svc.clock()
    entries = []
    for p in people:
        schools: list[str | None] = [
            nr for nr in p.school_numbers if not actor.schools or nr in actor.schools
        ]
        for nr in schools or [None]:
            entries.append(AuditEntry(now, actor.label, action, "person", p.id, nr))
    with write_connection(svc.engine) as conn:
        audit_store.append(conn, entries)


_SOURCES = {audit_store.SOURCE_AUDIT: "audit", audit_store.SOURCE_CHANGE: "change"}


def entry_dict(e: AuditRecord) -> dict[str, Any]:
    return {
        "id": f"{_SOURCES[e.key.source]}:{e.key.id}",
        "source": _SOURCES[e.key.source],
        "at": e.key.at.isoformat(),
        "actor": e.actor,
        "action": e.action,
        "target_type": e.target_type,
        "target": e.target_id,
        "schools": list(e.schools),
        "detail": e.detail,
    }


@dataclass(frozen=True, slots=True)
class AuditPage:
    items: list[AuditRecord]
    next_key: AuditKey | None


def utc(value: dt.datetime | None, field: str = "time") -> dt.datetime | None:
    """`value` in UTC; a time without zone is taken to be UTC already."""
    if value is None:
        return None
    if value.tzinfo is None:
        return value.replace(tzinfo=dt.UTC)
    try:
        return value.astimezone(dt.UTC)
    except OverflowError as exc:  # 0001-01-01 at +05:00 is before the first UTC day
        raise ValidationError(
            f"{value.isoformat()} is outside the calendar in UTC", field=field
        ) from exc


def list_audit(
    svc: Services,
    actor: Actor,
    *,
    school: str | None = None,
    actor_label: str | None = None,
    action: str | None = None,
    target: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = 100,
    cursor: AuditKey | None = None,
) -> AuditPage:
    """Changes and recorded reads, newest first. The city sees everything; a school admin
    the entries concerning their schools, with other schools left out of each entry."""
    if not may_read_audit(actor):
        raise PermissionDeniedError("not allowed to read the audit trail")
    if limit < 1:
        raise ValidationError("limit must be at least 1", field="limit")
    scope = readable_schools(actor)
    if school is not None and scope is not None and school not in scope:
        raise PermissionDeniedError(f"not allowed to read the audit trail of school {school}")
    schools = frozenset({school}) if school is not None else scope
    if schools is not None and not schools:
        return AuditPage([], None)
    f = AuditFilter(schools, actor_label, action, target, utc(since, "since"), utc(until, "until"))
    after = (
        dataclasses.replace(cursor, at=utc(cursor.at, "cursor") or cursor.at) if cursor else None
    )
    with read_connection(svc.engine) as conn:
        found = audit_store.read_trail(conn, f, after=after, limit=limit + 1)
    items = found[:limit]
    if scope is not None:
        items = [
            dataclasses.replace(e, schools=tuple(nr for nr in e.schools if nr in scope))
            for e in items
        ]
    return AuditPage(items, items[-1].key if len(found) > limit else None)


def read_changes(
    svc: Services, actor: Actor, after: int, *, school: str | None = None, limit: int = 1000
) -> list[ChangeRecord]:
    """Change-log records after `after`, in order, for consumers that follow the log.

    The city reads all of it; a school admin the records of one of their schools (named);
    services and teachers not at all (for now)."""
    if not sees_every_school(actor):
        if actor.kind is not ActorKind.SCHOOL_ADMIN:
            raise PermissionDeniedError("not allowed to read the change log")
        if school is None:
            raise ValidationError("name one of your schools", field="school")
        if school not in actor.schools:
            raise PermissionDeniedError(f"not allowed to read the changes of school {school}")
    if limit < 1:
        raise ValidationError("limit must be at least 1", field="limit")
    with read_connection(svc.engine) as conn:
        records = changelog.read_after(conn, after, school=school, limit=limit)
    if sees_every_school(actor):
        return records
    return [_trimmed(r, actor.schools) for r in records]


def _trimmed(record: ChangeRecord, schools: frozenset[str]) -> ChangeRecord:
    """A record as a school's reader may see it: a person's roles at other schools (and
    those schools) are left out, as in the person views."""
    state = dict(record.state)
    if isinstance(state.get("contexts"), list):
        state["contexts"] = [
            c for c in state["contexts"] if isinstance(c, dict) and c.get("school") in schools
        ]
    return dataclasses.replace(
        record, schools=tuple(nr for nr in record.schools if nr in schools), state=state
    )
