"""Deleting a person logs what goes with them, so replicas drop the same rows."""

from __future__ import annotations

from schulhof.access.actors import OPERATOR
from schulhof.domain.model import Context, GroupKind, MemberRole, PersonDraft, Role, SchoolType
from schulhof.services import changes, groups, persons, schools
from schulhof.services.runtime import Services


def test_deleting_a_person_logs_their_memberships_and_leaves_no_orphans(svc: Services) -> None:
    schools.add_school(svc, OPERATOR, "91000", "Grundschule", SchoolType.GS)
    kid = persons.add_person(
        svc, OPERATOR, PersonDraft("Mia", "Kaya", contexts=(Context("91000", Role.STUDENT),))
    )
    klass = groups.add_group(svc, OPERATOR, "91000", GroupKind.CLASS, "2b")
    choir = groups.add_group(svc, OPERATOR, "91000", GroupKind.WORKGROUP, "Chor")
    for g in (klass, choir):
        groups.add_member(svc, OPERATOR, g.id, kid.id, MemberRole.STUDENT)
    before = changes.last_seq(svc)
    persons.delete_person(svc, OPERATOR, kid.username)
    log = changes.changes_after(svc, before)
    assert sorted(r.kind for r in log) == [
        "membership.delete",
        "membership.delete",
        "person.delete",
    ]
    assert {r.entity_id for r in log if r.kind == "membership.delete"} == {
        f"{klass.id}:{kid.id}",
        f"{choir.id}:{kid.id}",
    }
    assert all(r.schools == ("91000",) for r in log)
    assert changes.check_integrity(svc) == []
