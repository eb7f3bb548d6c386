"""What a school admin learns from the change feed and the audit trail about shared people."""

from __future__ import annotations

from schulhof.access.actors import OPERATOR, Actor, ActorKind
from schulhof.domain.model import Context, PersonDraft, Role, SchoolType
from schulhof.services import audit, persons, schools
from schulhof.services.runtime import Services

ADMIN_A = Actor(ActorKind.SCHOOL_ADMIN, "a", frozenset({"91000"}))
ADMIN_B = Actor(ActorKind.SCHOOL_ADMIN, "b", frozenset({"91007"}))
CITY = Actor(ActorKind.CITY_ADMIN, "city")


def _teacher_at_both(svc: Services) -> str:
    schools.add_school(svc, OPERATOR, "91000", "Grundschule", SchoolType.GS)
    schools.add_school(svc, OPERATOR, "91007", "Gymnasium", SchoolType.GY)
    p = persons.add_person(
        svc,
        OPERATOR,
        PersonDraft(
            "Petra",
            "Groß",
            contexts=(Context("91000", Role.TEACHER), Context("91007", Role.TEACHER)),
        ),
    )
    return p.id


def test_the_change_feed_does_not_tell_a_school_where_else_someone_works(svc: Services) -> None:
    _teacher_at_both(svc)
    seen = audit.read_changes(svc, ADMIN_A, 0, school="91000")
    person_records = [r for r in seen if r.kind == "person.create"]
    assert person_records
    for r in seen:
        assert "91007" not in r.schools
        assert "91007" not in str(r.state)
    everything = audit.read_changes(svc, CITY, 0)
    assert any("91007" in r.schools for r in everything)


def test_a_read_of_a_shared_person_is_in_both_schools_trails(svc: Services) -> None:
    pid = _teacher_at_both(svc)
    persons.get_person(svc, CITY, pid)
    for admin in (ADMIN_A, ADMIN_B):
        page = audit.list_audit(svc, admin, action="person.read", limit=10)
        assert [e.target_id for e in page.items] == [pid], admin.name
