"""The directory's use cases on both backends: people, contexts, groups, lifecycle."""

from __future__ import annotations

import datetime as dt

import pytest

from schulhof.access.actors import OPERATOR, Actor, ActorKind, operator
from schulhof.domain.changes import EntityType, Operation
from schulhof.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    StaleWriteError,
    ValidationError,
)
from schulhof.domain.model import (
    Context,
    GroupKind,
    LifecycleState,
    MemberRole,
    PersonDraft,
    Role,
    SchoolType,
    SourceLink,
)
from schulhof.services import changes, groups, persons, schools
from schulhof.services.persons import PersonChanges
from schulhof.services.runtime import Services
from schulhof.store.persons import PersonFilter
from tests.conftest import FixedClock

OP = operator("test")


def _two_schools(svc: Services) -> None:
    schools.add_school(svc, OP, "91000", "Grundschule Am Lindener Markt", SchoolType.GS)
    schools.add_school(svc, OP, "91007", "Gymnasium Goetheplatz", SchoolType.GY)


def _student(svc: Services, given: str, family: str, school: str = "91000") -> str:
    p = persons.add_person(
        svc,
        OP,
        PersonDraft(given, family, dt.date(2015, 3, 1), contexts=(Context(school, Role.STUDENT),)),
    )
    return p.username


def test_school_numbers_are_unique_and_validated(svc: Services) -> None:
    _two_schools(svc)
    with pytest.raises(ConflictError):
        schools.add_school(svc, OP, "91000", "Doppelt")
    with pytest.raises(ValidationError):
        schools.add_school(svc, OP, "91-00", "Kaputt")
    assert [s.number for s in schools.list_schools(svc)] == ["91000", "91007"]


def test_usernames_get_the_lowest_free_counter(svc: Services) -> None:
    _two_schools(svc)
    names = [_student(svc, "Anna", "Müller") for _ in range(3)]
    assert names == ["anna.mueller", "anna.mueller2", "anna.mueller3"]


def test_teacher_at_two_schools_is_one_person(svc: Services) -> None:
    _two_schools(svc)
    p = persons.add_person(
        svc,
        OP,
        PersonDraft(
            "Jürgen",
            "Groß",
            contexts=(Context("91000", Role.TEACHER), Context("91007", Role.TEACHER)),
        ),
    )
    view = persons.get_person(svc, OPERATOR, p.username)
    assert view.person.school_numbers == ("91000", "91007")
    assert [c.primary for c in view.person.contexts] == [True, False]
    at_each = [
        [v.person.id for v in persons.list_persons(svc, OPERATOR, PersonFilter(school=nr))]
        for nr in ("91000", "91007")
    ]
    assert at_each == [[p.id], [p.id]]


def test_school_change_keeps_the_account(svc: Services) -> None:
    _two_schools(svc)
    name = _student(svc, "Ayşe", "Yılmaz")
    before = persons.get_person(svc, OPERATOR, name).person
    persons.add_context(svc, OP, name, Context("91007", Role.STUDENT, primary=True))
    after = persons.remove_context(svc, OP, name, Context("91000", Role.STUDENT))
    assert after.id == before.id
    assert after.username == before.username == "ayse.yilmaz"
    assert after.school_numbers == ("91007",)
    assert after.contexts[0].primary
    assert after.state is LifecycleState.ACTIVE


def test_losing_the_last_context_disables_and_lifecycle_deletes(
    svc: Services, clock: FixedClock
) -> None:
    _two_schools(svc)
    name = _student(svc, "Minh", "Nguyễn")
    p = persons.remove_context(svc, OP, name, Context("91000", Role.STUDENT))
    assert p.state is LifecycleState.DISABLED
    assert p.delete_after == (clock.now + dt.timedelta(days=90)).date()
    clock.advance(days=89)
    assert persons.run_lifecycle(svc, OP) == []
    clock.advance(days=1)
    deleted = persons.run_lifecycle(svc, OP)
    assert [d.username for d in deleted] == ["minh.nguyen"]
    with pytest.raises(NotFoundError):
        persons.get_person(svc, OPERATOR, name)
    # The username stays blocked for a year, then is free again.
    assert _student(svc, "Minh", "Nguyen") == "minh.nguyen2"
    clock.advance(days=366)
    assert _student(svc, "Minh", "Nguyen") == "minh.nguyen"


def test_reappearing_within_grace_brings_back_the_same_account(svc: Services) -> None:
    _two_schools(svc)
    name = _student(svc, "Zofia", "Wiśniewski")
    gone = persons.remove_context(svc, OP, name, Context("91000", Role.STUDENT))
    back = persons.add_context(svc, OP, name, Context("91007", Role.STUDENT))
    assert (back.id, back.username) == (gone.id, "zofia.wisniewski")
    assert back.state is LifecycleState.ACTIVE
    assert back.delete_after is None


def test_stale_update_is_refused(svc: Services) -> None:
    _two_schools(svc)
    name = _student(svc, "Emil", "Weiß")
    p = persons.update_person(
        svc, OP, name, PersonChanges(email="emil@example.org"), expected_version=1
    )
    assert p.version == 2
    with pytest.raises(StaleWriteError):
        persons.update_person(svc, OP, name, PersonChanges(family_name="Weiss"), expected_version=1)
    assert persons.get_person(svc, OPERATOR, name).person.family_name == "Weiß"


def test_school_admin_cannot_touch_another_school(svc: Services) -> None:
    _two_schools(svc)
    name = _student(svc, "Lea", "Krüger", school="91007")
    admin = Actor(ActorKind.SCHOOL_ADMIN, "admin-91000", frozenset({"91000"}))
    with pytest.raises(NotFoundError):
        persons.disable_person(svc, admin, name)
    with pytest.raises(PermissionDeniedError):
        persons.add_person(
            svc, admin, PersonDraft("X", "Y", contexts=(Context("91007", Role.STUDENT),))
        )
    assert persons.get_person(svc, OPERATOR, name).person.state is LifecycleState.ACTIVE


def test_source_links_are_unique(svc: Services) -> None:
    _two_schools(svc)
    link = (SourceLink("oneroster", "u-1"),)
    persons.add_person(
        svc, OP, PersonDraft("A", "B", sources=link, contexts=(Context("91000", Role.STUDENT),))
    )
    with pytest.raises(ConflictError):
        persons.add_person(
            svc, OP, PersonDraft("C", "D", sources=link, contexts=(Context("91000", Role.STUDENT),))
        )


def test_groups_memberships_and_classes_in_views(svc: Services) -> None:
    _two_schools(svc)
    name = _student(svc, "Paul", "Schäfer")
    pid = persons.get_person(svc, OPERATOR, name).person.id
    g = groups.add_group(svc, OP, "91000", GroupKind.CLASS, "4b")
    groups.add_member(svc, OP, g.id, pid, MemberRole.STUDENT)
    assert persons.get_person(svc, OPERATOR, name).classes == ("4b",)
    assert [v.members for v in groups.list_groups(svc, school="91000")] == [1]
    other = groups.add_group(svc, OP, "91007", GroupKind.CLASS, "5a")
    with pytest.raises(ValidationError):
        groups.add_member(svc, OP, other.id, pid, MemberRole.STUDENT)
    groups.remove_member(svc, OP, g.id, pid)
    assert persons.get_person(svc, OPERATOR, name).classes == ()


def test_every_write_is_logged_in_order_with_its_schools(svc: Services) -> None:
    _two_schools(svc)
    name = _student(svc, "Hamza", "Al-Hassan")
    persons.add_context(svc, OP, name, Context("91007", Role.STUDENT))
    persons.disable_person(svc, OP, name)
    log = changes.changes_after(svc, 0)
    assert [c.seq for c in log] == list(range(1, len(log) + 1))
    kinds = [c.kind for c in log]
    assert kinds == [
        "school.create",
        "school.create",
        "person.create",
        "context.create",
        "context.create",
        "person.update",
        "person.update",
    ]
    assert log[-1].state["state"] == "disabled"
    assert log[-1].schools == ("91000", "91007")
    only_91007 = changes.changes_after(svc, 0, school="91007")
    assert [c.kind for c in only_91007] == [
        "school.create",
        "context.create",
        "person.update",
        "person.update",
    ]
    assert all(c.actor == "operator:test" for c in log)
    assert changes.changes_after(svc, log[-2].seq) == [log[-1]]
    assert log[2].entity is EntityType.PERSON
    assert log[2].op is Operation.CREATE
    assert "password" not in str(log)


def test_a_failed_write_leaves_no_rows_and_no_log(svc: Services) -> None:
    _two_schools(svc)
    before = changes.last_seq(svc)
    with pytest.raises(NotFoundError):
        persons.add_person(
            svc,
            OP,
            PersonDraft(
                "A", "B", contexts=(Context("91000", Role.STUDENT), Context("99999", Role.STUDENT))
            ),
        )
    assert changes.last_seq(svc) == before
    assert persons.list_persons(svc, OPERATOR, PersonFilter()) == []
