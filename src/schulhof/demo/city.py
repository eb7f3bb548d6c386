"""The demo city as data: schools of the usual types, people, courses and OneRoster classes.

Plain values the generator fills and the OneRoster writer reads; no I/O, no randomness
beyond drawing ids from the generator's seeded `random.Random`.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
import uuid
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field

from schulhof.demo.names import NameOrigin
from schulhof.domain.model import GroupKind, Role, SchoolType

CITY_NAME = "Demostadt an der Leine"
FIRST_SCHOOL_NUMBER = 91000
SCHOOL_YEAR = (dt.date(2026, 8, 1), dt.date(2027, 7, 31))
SCHOOL_YEAR_TITLE = "Schuljahr 2026/27"


@dataclass(frozen=True, slots=True)
class SchoolKind:
    type: SchoolType
    label: str
    first_grade: int
    last_grade: int
    mean_size: int  # students
    share: int  # of the schools, in percent
    students_per_teacher: float
    class_size: int

    @property
    def grades(self) -> range:
        return range(self.first_grade, self.last_grade + 1)

    def tutor_groups(self, grade: int) -> bool:
        """Upper grades mix students across classes: tutor groups and courses."""
        return grade >= 11 and self.type in (SchoolType.GY, SchoolType.IGS, SchoolType.BBS)


KINDS = (
    SchoolKind(SchoolType.GS, "Grundschule", 1, 4, 260, 56, 17.0, 23),
    SchoolKind(SchoolType.GY, "Gymnasium", 5, 13, 1000, 10, 13.0, 27),
    SchoolKind(SchoolType.IGS, "Integrierte Gesamtschule", 5, 13, 1150, 12, 11.0, 26),
    SchoolKind(SchoolType.OBS, "Oberschule", 5, 10, 520, 8, 11.0, 24),
    SchoolKind(SchoolType.FOES, "Förderschule", 1, 10, 110, 7, 5.0, 12),
    SchoolKind(SchoolType.BBS, "Berufsbildende Schule", 11, 13, 2400, 6, 19.0, 22),
)


def new_sourced_id(rng: random.Random) -> str:
    """A version-4 UUID drawn from `rng`, so the same seed gives the same ids."""
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


@dataclass(frozen=True, slots=True)
class School:
    sourced_id: str
    number: str
    name: str
    kind: SchoolKind


@dataclass(slots=True, eq=False)
class Person:
    """A student or teacher; `schools` lists the primary school first."""

    sourced_id: str
    role: Role
    given_name: str
    family_name: str
    origin: NameOrigin
    female: bool
    birth_date: dt.date
    schools: list[School]
    identifier: str  # student number (local to the school) or staff number
    grade: int | None = None
    subjects: tuple[str, ...] = ()  # teachers: subject codes


@dataclass(frozen=True, slots=True)
class Course:
    """A OneRoster course: what is taught in a grade (or the school's workgroups)."""

    sourced_id: str
    school: School
    title: str
    code: str
    grades: tuple[int, ...]
    subject: str = ""


@dataclass(slots=True, eq=False)
class Section:
    """A OneRoster class: a homeroom class (`5a`, `11-T2`), a course or a workgroup.
    The first teacher of a homeroom class is its homeroom teacher."""

    sourced_id: str
    kind: GroupKind
    course: Course
    title: str
    code: str
    location: str = ""
    students: list[Person] = field(default_factory=list)
    teachers: list[Person] = field(default_factory=list)

    @property
    def school(self) -> School:
        return self.course.school

    @property
    def grades(self) -> tuple[int, ...]:
        found = {s.grade for s in self.students if s.grade is not None}
        return tuple(sorted(found)) if found else self.course.grades


@dataclass(slots=True)
class City:
    name: str
    seed: int
    district_id: str
    school_year_id: str
    schools: list[School] = field(default_factory=list)
    students: list[Person] = field(default_factory=list)
    teachers: list[Person] = field(default_factory=list)
    courses: list[Course] = field(default_factory=list)
    sections: list[Section] = field(default_factory=list)
    enrollment_seed: int = 0  # the writer draws enrollment ids from its own generator

    def people(self) -> Iterator[Person]:
        return itertools.chain(self.students, self.teachers)

    def summary(self) -> dict[str, int]:
        kinds = Counter(s.kind for s in self.sections)
        return {
            "schools": len(self.schools),
            "students": len(self.students),
            "teachers": len(self.teachers),
            "classes": kinds[GroupKind.CLASS],
            "courses": kinds[GroupKind.COURSE],
            "workgroups": kinds[GroupKind.WORKGROUP],
        }

    def schools_by_type(self) -> dict[SchoolType, int]:
        counts = Counter(s.kind.type for s in self.schools)
        return {k.type: counts[k.type] for k in KINDS if counts[k.type]}
