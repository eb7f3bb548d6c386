"""Entities of the directory: schools, persons, their contexts, groups and memberships.

These are plain values. The store persists them; the services decide how they change.
A person's identity is the `id` (a UUID that never changes); usernames, names and
school numbers may all change over the years.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass, field


class Role(enum.StrEnum):
    """A person's role at one school (a *context*)."""

    STUDENT = "student"
    TEACHER = "teacher"
    STAFF = "staff"
    SCHOOL_ADMIN = "school_admin"
    GUARDIAN = "guardian"


class LifecycleState(enum.StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"
    DELETED = "deleted"


class GroupKind(enum.StrEnum):
    CLASS = "class"  # Klasse: the homeroom
    COURSE = "course"  # Kurs, from the timetable or OneRoster classes
    WORKGROUP = "workgroup"  # AG


class MemberRole(enum.StrEnum):
    STUDENT = "student"
    TEACHER = "teacher"


class SchoolType(enum.StrEnum):
    """Schulform. `OTHER` keeps unknown types importable."""

    GS = "GS"  # Grundschule, grades 1-4
    OBS = "OBS"  # Oberschule
    GY = "GY"  # Gymnasium
    IGS = "IGS"  # Integrierte Gesamtschule
    FOES = "FÖS"  # Förderschule
    BBS = "BBS"  # Berufsbildende Schule
    OTHER = "OTHER"


EntityId = str  # a UUID in its canonical text form


def new_id() -> str:
    return str(uuid.uuid4())


@dataclass(frozen=True, slots=True)
class SourceLink:
    """Where a record came from: `(system, id)`, e.g. `("oneroster", "3f2…")`,
    `("sis:91000", "1042")` for a school-local student number."""

    system: str
    source_id: str


@dataclass(frozen=True, slots=True)
class School:
    id: str
    number: str
    name: str
    type: SchoolType = SchoolType.OTHER
    sources: tuple[SourceLink, ...] = ()


@dataclass(frozen=True, slots=True)
class Context:
    """A person's role at one school. A person holds any number; one is primary."""

    school_number: str
    role: Role
    primary: bool = False


@dataclass(frozen=True, slots=True)
class Person:
    id: str
    username: str
    given_name: str
    family_name: str
    birth_date: dt.date | None = None
    email: str | None = None
    state: LifecycleState = LifecycleState.ACTIVE
    disabled_at: dt.datetime | None = None
    delete_after: dt.date | None = None
    sources: tuple[SourceLink, ...] = ()
    contexts: tuple[Context, ...] = ()
    version: int = 1

    @property
    def school_numbers(self) -> tuple[str, ...]:
        seen: dict[str, None] = {}
        for c in sorted(self.contexts, key=lambda c: (not c.primary, c.school_number)):
            seen.setdefault(c.school_number, None)
        return tuple(seen)

    @property
    def roles(self) -> tuple[Role, ...]:
        return tuple(sorted({c.role for c in self.contexts}))


@dataclass(frozen=True, slots=True)
class Group:
    id: str
    school_number: str
    kind: GroupKind
    name: str
    sources: tuple[SourceLink, ...] = ()


@dataclass(frozen=True, slots=True)
class Membership:
    group_id: str
    person_id: str
    role: MemberRole
    homeroom_teacher: bool = False


@dataclass(frozen=True, slots=True)
class GuardianLink:
    guardian_id: str
    student_id: str


@dataclass(frozen=True, slots=True)
class PersonDraft:
    """What a caller wants a new person to look like; the services make it a Person."""

    given_name: str
    family_name: str
    birth_date: dt.date | None = None
    email: str | None = None
    username: str | None = None  # None: made from the role's template
    sources: tuple[SourceLink, ...] = ()
    contexts: tuple[Context, ...] = field(default=())
