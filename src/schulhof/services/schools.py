"""Use cases for schools."""

from __future__ import annotations

from schulhof.access import rules
from schulhof.access.actors import Actor
from schulhof.access.rules import may_create_schools
from schulhof.domain.changes import EntityType, Operation
from schulhof.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from schulhof.domain.model import School, SchoolType, SourceLink, new_id
from schulhof.services.runtime import Services
from schulhof.services.snapshots import school_state
from schulhof.store import schools as school_store
from schulhof.store.database import read_connection
from schulhof.store.unit_of_work import unit_of_work


def validate_number(number: str) -> str:
    number = number.strip()
    if not number.isdigit() or not 4 <= len(number) <= 8:
        raise ValidationError(f"school number must be 4-8 digits, got {number!r}", field="number")
    return number


def list_schools(svc: Services) -> list[School]:
    with read_connection(svc.engine) as conn:
        return school_store.load_all(conn)


def get_school(svc: Services, number: str) -> School:
    with read_connection(svc.engine) as conn:
        school = school_store.by_number(conn, number)
    if school is None:
        raise NotFoundError(f"no school with number {number}")
    return school


def list_schools_for(
    svc: Services, actor: Actor, *, after: str | None = None, limit: int | None = None
) -> list[School]:
    """Schools `actor` may read, by number (a keyset for paging)."""
    with read_connection(svc.engine) as conn:
        return school_store.load_page(
            conn, numbers=rules.readable_schools(actor), after=after, limit=limit
        )


def get_school_for(svc: Services, actor: Actor, number: str) -> School:
    """One school if `actor` may read it; NotFoundError otherwise, as for no school."""
    if not rules.may_read_school(actor, number):
        raise NotFoundError(f"no school with number {number}")
    return get_school(svc, number)


def add_school(
    svc: Services,
    actor: Actor,
    number: str,
    name: str,
    type: SchoolType = SchoolType.OTHER,
    sources: tuple[SourceLink, ...] = (),
) -> School:
    if not may_create_schools(actor):
        raise PermissionDeniedError("only the authority may add schools")
    number = validate_number(number)
    if not name.strip():
        raise ValidationError("a school needs a name", field="name")
    school = School(new_id(), number, name.strip(), type, sources)
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        if school_store.by_number(uow.conn, number) is not None:
            raise ConflictError(f"school {number} exists already")
        school_store.insert(uow.conn, [school], uow.now)
        uow.record(EntityType.SCHOOL, Operation.CREATE, school.id, [number], school_state(school))
    return school
