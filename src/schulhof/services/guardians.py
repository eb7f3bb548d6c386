"""Use cases for guardian links: a student's parents or other legal guardians.

The rule, checked when a link is made: the guardian holds a `guardian` context at a school
where the student holds a `student` context. So a link never names a person the school
does not know, and the school's admin can see both ends. (It is not re-checked when a
context goes later: the link stays until someone removes it or a person is deleted.)

Access: the student must be writable by the actor (school admins: people of their own
schools only; the authority: everyone), the guardian readable. Teachers and services
change nothing here; a reader sees the guardians they may read.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from schulhof.access import rules
from schulhof.access.actors import Actor
from schulhof.domain.changes import EntityType, Operation
from schulhof.domain.errors import NotFoundError, ValidationError
from schulhof.domain.model import GuardianLink, Person, Role
from schulhof.services import persons
from schulhof.services.runtime import Services
from schulhof.services.views import PersonView, parse_id
from schulhof.store import guardians as guardian_store
from schulhof.store import persons as person_store
from schulhof.store.database import read_connection
from schulhof.store.unit_of_work import unit_of_work


def link_state(link: GuardianLink) -> dict[str, Any]:
    return {"guardian_id": link.guardian_id, "student_id": link.student_id}


def link_entity_id(link: GuardianLink) -> str:
    return f"{link.guardian_id}:{link.student_id}"


def list_guardians(svc: Services, actor: Actor, student_ref: str) -> list[PersonView]:
    """The student's guardians that `actor` may read, by username."""
    student = persons.load_readable(svc, actor, student_ref)
    with read_connection(svc.engine) as conn:
        ids = guardian_store.guardians_of(conn, student.id)
    views = persons.readable_views(svc, actor, ids, audit_as="person.list")
    return sorted(views, key=lambda v: v.person.username)


def _resolve(conn: sa.Connection, ref: str) -> str | None:
    return parse_id(ref) or person_store.id_by_username(conn, ref)


def shared_schools(guardian: Person, student: Person) -> list[str]:
    """Schools where `guardian` is a guardian and `student` a student."""
    theirs = {c.school_number for c in student.contexts if c.role is Role.STUDENT}
    return sorted(
        c.school_number
        for c in guardian.contexts
        if c.role is Role.GUARDIAN and c.school_number in theirs
    )


def link_guardian(
    svc: Services, actor: Actor, student_ref: str, guardian_ref: str
) -> tuple[GuardianLink, bool]:
    """Link the guardian to the student; True if the link is new."""
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        student = persons.load_for_write(uow, actor, student_ref)
        guardian_id = _resolve(uow.conn, guardian_ref)
        guardian = person_store.load_one(uow.conn, guardian_id) if guardian_id else None
        if guardian is None or not rules.may_read_person(actor, guardian):
            raise NotFoundError(f"no person {guardian_ref}")
        if guardian.id == student.id:
            raise ValidationError("a person cannot be their own guardian", field="guardian_id")
        if not shared_schools(guardian, student):
            raise ValidationError(
                f"{guardian.username} is not a guardian at a school where {student.username} "
                "is a student",
                field="guardian_id",
            )
        link = GuardianLink(guardian.id, student.id)
        created = guardian_store.add(uow.conn, link)
        if created:
            uow.record(
                EntityType.GUARDIAN_LINK,
                Operation.CREATE,
                link_entity_id(link),
                student.school_numbers,
                link_state(link),
            )
    return link, created


def unlink_guardian(svc: Services, actor: Actor, student_ref: str, guardian_ref: str) -> bool:
    """Remove the link; False if there was none (which is not an error: DELETE is
    idempotent)."""
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        student = persons.load_for_write(uow, actor, student_ref)
        guardian_id = _resolve(uow.conn, guardian_ref)
        if guardian_id is None:
            return False
        link = GuardianLink(guardian_id, student.id)
        removed = guardian_store.remove(uow.conn, link)
        if removed:
            uow.record(
                EntityType.GUARDIAN_LINK,
                Operation.DELETE,
                link_entity_id(link),
                student.school_numbers,
                link_state(link),
            )
    return removed
