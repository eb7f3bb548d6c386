"""Audit entries of the SAML IdP: an assertion given to an SP, a refusal, a logout.

An assertion hands personal data to a service, so each one is recorded with the service
and the NameID format (not the NameID: it is the SP's key to the person), under the
person's schools so their admins see it.
"""

from __future__ import annotations

from schulhof.services import audit
from schulhof.services.runtime import Services
from schulhof.store import persons as person_store
from schulhof.store.audit import AuditEntry
from schulhof.store.database import write_connection


def record(
    svc: Services, action: str, *, sp: str, person_id: str, detail: dict[str, object]
) -> None:
    now = svc.clock()
    with write_connection(svc.engine) as conn:
        person = person_store.load_one(conn, person_id)
        actor = f"person:{person.username}" if person is not None else f"person-id:{person_id}"
        schools: list[str | None] = list(person.school_numbers) if person is not None else []
        audit.record(
            conn,
            [
                AuditEntry(now, actor, action, "person", person_id, school, {"sp": sp, **detail})
                for school in schools or [None]
            ],
        )
