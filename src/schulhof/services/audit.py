"""The audit trail: changes come from the change log; reads of personal data, password
resets and sign-ins are recorded here, in the transaction (or right after the read) that
they describe."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from schulhof.access.actors import Actor, ActorKind
from schulhof.domain.model import Person
from schulhof.services.runtime import Services
from schulhof.store import audit as audit_store
from schulhof.store.audit import AuditEntry
from schulhof.store.database import write_connection

# Reads by these actors are personal-data access by a person and are recorded. Services
# read in bulk by design (their scope is set when registered); the operator's CLI is
# the server's own console.
AUDITED_READERS = frozenset({ActorKind.CITY_ADMIN, ActorKind.SCHOOL_ADMIN, ActorKind.TEACHER})


def record(conn: sa.Connection, entries: Sequence[AuditEntry]) -> None:
    audit_store.append(conn, entries)


def record_reads(svc: Services, actor: Actor, action: str, people: Sequence[Person]) -> None:
    """One entry per person read, naming one school of theirs the actor may see."""
    if actor.kind not in AUDITED_READERS or not people:
        return
    now = svc.clock()
    entries = []
    for p in people:
        schools = [nr for nr in p.school_numbers if not actor.schools or nr in actor.schools]
        entries.append(
            AuditEntry(now, actor.label, action, "person", p.id, schools[0] if schools else None)
        )
    with write_connection(svc.engine) as conn:
        audit_store.append(conn, entries)
