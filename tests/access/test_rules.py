"""The access rules, actor by actor, against people of their own and another school."""

from __future__ import annotations

import pytest

from schulhof.access import rules
from schulhof.access.actors import Actor, ActorKind
from schulhof.domain.model import Context, Person, Role

A, B = "91000", "91007"


def person(pid: str, *contexts: tuple[str, Role]) -> Person:
    return Person(
        pid,
        f"user-{pid}",
        "Given",
        "Family",
        contexts=tuple(Context(nr, role, i == 0) for i, (nr, role) in enumerate(contexts)),
    )


STUDENT_A = person("s-a", (A, Role.STUDENT))
STUDENT_B = person("s-b", (B, Role.STUDENT))
TEACHER_AB = person("t-ab", (A, Role.TEACHER), (B, Role.TEACHER))
TEACHER_A = person("t-a", (A, Role.TEACHER))
ADMIN_A = person("adm-a", (A, Role.SCHOOL_ADMIN))
NOBODY = person("none")

CITY = Actor(ActorKind.CITY_ADMIN, "city")
SCHOOL_ADMIN_A = Actor(ActorKind.SCHOOL_ADMIN, "a", frozenset({A}))
TEACHER = Actor(ActorKind.TEACHER, "t", frozenset({A}), person_id="t-a")
SERVICE_A = Actor(ActorKind.SERVICE, "lms", frozenset({A}))
TAUGHT = frozenset({"s-a", "s-b"})


@pytest.mark.parametrize(
    ("actor", "target", "taught", "expected"),
    [
        (CITY, STUDENT_B, frozenset(), True),
        (SCHOOL_ADMIN_A, STUDENT_A, frozenset(), True),
        (SCHOOL_ADMIN_A, STUDENT_B, frozenset(), False),
        (SCHOOL_ADMIN_A, TEACHER_AB, frozenset(), True),
        (SCHOOL_ADMIN_A, NOBODY, frozenset(), False),
        (SERVICE_A, STUDENT_A, frozenset(), True),
        (SERVICE_A, STUDENT_B, frozenset(), False),
        (TEACHER, STUDENT_A, TAUGHT, True),
        (TEACHER, STUDENT_A, frozenset(), False),  # not in a group they teach
        (TEACHER, STUDENT_B, TAUGHT, False),  # taught, but at a school outside the token
        (TEACHER, TEACHER_A, frozenset(), True),  # themselves
        (TEACHER, TEACHER_AB, TAUGHT, False),
    ],
)
def test_read(actor: Actor, target: Person, taught: frozenset[str], expected: bool) -> None:
    assert rules.may_read_person(actor, target, taught=taught) is expected


@pytest.mark.parametrize(
    ("actor", "target", "expected"),
    [
        (CITY, TEACHER_AB, True),
        (SCHOOL_ADMIN_A, STUDENT_A, True),
        (SCHOOL_ADMIN_A, STUDENT_B, False),
        (SCHOOL_ADMIN_A, TEACHER_AB, False),  # also another school's person
        (SCHOOL_ADMIN_A, ADMIN_A, False),  # admins are the city's
        (SCHOOL_ADMIN_A, NOBODY, False),
        (TEACHER, STUDENT_A, False),
        (SERVICE_A, STUDENT_A, False),
    ],
)
def test_write(actor: Actor, target: Person, expected: bool) -> None:
    assert rules.may_write_person(actor, target) is expected


def test_teachers_reset_only_their_students_passwords() -> None:
    assert rules.may_reset_password(TEACHER, STUDENT_A, taught=TAUGHT)
    assert not rules.may_reset_password(TEACHER, STUDENT_A, taught=frozenset())
    mixed = person("mix", (A, Role.STUDENT), (A, Role.STAFF))
    assert not rules.may_reset_password(TEACHER, mixed, taught=frozenset({"mix"}))
    assert not rules.may_reset_password(SERVICE_A, STUDENT_A)
    assert rules.may_reset_password(SCHOOL_ADMIN_A, STUDENT_A)


def test_service_attributes_default_to_the_minimum_and_are_limited_to_known_ones() -> None:
    assert rules.visible_attributes(SERVICE_A) == rules.SERVICE_DEFAULT_ATTRIBUTES
    assert "birth_date" not in rules.SERVICE_DEFAULT_ATTRIBUTES
    granted = Actor(
        ActorKind.SERVICE, "x", frozenset({A}), attributes=frozenset({"username", "password_hash"})
    )
    assert rules.visible_attributes(granted) == frozenset({"username"})
    assert rules.visible_attributes(CITY) is None


def test_school_management_and_tokens() -> None:
    assert rules.may_manage_schools(SCHOOL_ADMIN_A, {A})
    assert not rules.may_manage_schools(SCHOOL_ADMIN_A, {A, B})
    assert not rules.may_manage_schools(SCHOOL_ADMIN_A, set())
    assert not rules.may_manage_schools(TEACHER, {A})
    assert not rules.may_create_schools(SCHOOL_ADMIN_A)
    assert rules.may_manage_tokens(CITY)
    assert not rules.may_manage_tokens(SCHOOL_ADMIN_A)
    assert rules.readable_schools(SCHOOL_ADMIN_A) == frozenset({A})
    assert rules.readable_schools(CITY) is None
