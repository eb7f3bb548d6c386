"""Generating the demo city: schools, students, teachers, classes, courses and workgroups.

Deterministic: one seeded `random.Random` draws everything in a fixed order, so the same
parameters always give the same city (and `write_oneroster` the same bytes). The counts
of students and teachers are met exactly; the shares of school types, class sizes and
name origins are those of a large German city (see `KINDS` and `names`).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import random
from collections.abc import Iterator, Sequence

from schulhof.demo.city import (
    CITY_NAME,
    FIRST_SCHOOL_NUMBER,
    KINDS,
    City,
    Course,
    Person,
    School,
    SchoolKind,
    Section,
    new_sourced_id,
)
from schulhof.demo.names import STUDENT_ORIGINS, TEACHER_ORIGINS, NameMaker
from schulhof.demo.oneroster import write_oneroster
from schulhof.demo.places import school_names
from schulhof.domain.errors import ValidationError
from schulhof.domain.model import GroupKind, Role, SchoolType

__all__ = ["City", "apportion", "class_name", "generate_city", "write_oneroster"]

# (code, subject) taught in grades 5-10 to every class; one more subject depends on the grade.
CORE = (("DE", "Deutsch"), ("MA", "Mathematik"), ("EN", "Englisch"))
BY_GRADE = {
    5: ("BIO", "Biologie"), 6: ("BIO", "Biologie"), 7: ("PH", "Physik"), 8: ("CH", "Chemie"),
    9: ("GE", "Geschichte"), 10: ("POL", "Politik-Wirtschaft"),
}  # fmt: skip
UPPER_ELECTIVES = (
    ("BIO", "Biologie"), ("CH", "Chemie"), ("PH", "Physik"), ("GE", "Geschichte"),
    ("POL", "Politik-Wirtschaft"), ("KU", "Kunst"), ("MU", "Musik"), ("INF", "Informatik"),
    ("FR", "Französisch"), ("LA", "Latein"), ("EK", "Erdkunde"), ("WN", "Werte und Normen"),
)  # fmt: skip
BBS_CORE = (("DE", "Deutsch"), ("EN", "Englisch"), ("POL", "Politik"))
BBS_ELECTIVES = (
    ("BWL", "Betriebswirtschaft"), ("RW", "Rechnungswesen"), ("INF", "Informatik"),
    ("MA", "Mathematik"), ("GES", "Gesundheit-Pflege"), ("TEC", "Technik"),
)  # fmt: skip
PRIMARY_SUBJECTS = (
    ("DE", "Deutsch"), ("MA", "Mathematik"), ("SU", "Sachunterricht"), ("EN", "Englisch"),
    ("MU", "Musik"), ("KU", "Kunst"), ("SP", "Sport"), ("RE", "Religion"),
)  # fmt: skip
WORKGROUPS_PRIMARY = ("Schulgarten", "Chor", "Fußball", "Theater", "Basteln", "Schach")
WORKGROUPS_SECONDARY = (
    "Robotik", "Schülerzeitung", "Theater", "Bigband", "Imkerei", "Schulsanitätsdienst",
    "Schach", "Programmieren", "Chor", "Klettern",
)  # fmt: skip
COURSE_SIZE = 24  # upper-grade courses


def apportion(total: int, weights: Sequence[float], minimum: int = 0) -> list[int]:
    """Split `total` into whole parts proportional to `weights` (largest remainder),
    each at least `minimum`; the parts add up to `total` exactly."""
    base = [minimum] * len(weights)
    rest = total - minimum * len(weights)
    weight = sum(weights)
    quotas = [rest * w / weight for w in weights]
    parts = [b + int(q) for b, q in zip(base, quotas, strict=True)]
    by_remainder = sorted(range(len(weights)), key=lambda i: (int(quotas[i]) - quotas[i], i))
    for i in by_remainder[: total - sum(parts)]:
        parts[i] += 1
    return parts


def class_name(grade: int, index: int, tutor_group: bool) -> str:
    if tutor_group:
        return f"{grade}-T{index + 1}"
    letters = "abcdefghijklmnopqrstuvwxyz"
    return (
        f"{grade}{letters[index]}"
        if index < 26
        else f"{grade}{letters[index // 26 - 1]}{letters[index % 26]}"
    )


def generate_city(
    schools: int = 99, students: int = 47_000, teachers: int = 5_000, seed: int = 1
) -> City:
    """The demo city with exactly these numbers of schools, students and teachers."""
    if schools < 1:
        raise ValidationError("the demo city needs at least one school", field="schools")
    if students < 0:
        raise ValidationError("the number of students cannot be negative", field="students")
    if teachers < schools:
        raise ValidationError(
            "the demo city needs at least one teacher per school", field="teachers"
        )
    if schools > 9_000:
        raise ValidationError(
            "school numbers run from 91000 to 99999: at most 9000 schools", field="schools"
        )
    return _Builder(seed).build(schools, students, teachers)


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = rng = random.Random(seed)
        self.city = City(CITY_NAME, seed, new_sourced_id(rng), new_sourced_id(rng))
        self.student_names = NameMaker(rng, STUDENT_ORIGINS, adults=False)
        self.teacher_names = NameMaker(rng, TEACHER_ORIGINS, adults=True)
        self.staff_numbers: set[int] = set()

    def id(self) -> str:
        return new_sourced_id(self.rng)

    def build(self, schools: int, students: int, teachers: int) -> City:
        self._schools(schools)
        sizes = [s.kind.mean_size * self.rng.uniform(0.75, 1.25) for s in self.city.schools]
        homerooms = {
            school.number: self._students(school, count)
            for school, count in zip(self.city.schools, apportion(students, sizes), strict=True)
        }
        staff_weights = [
            size / s.kind.students_per_teacher
            for s, size in zip(self.city.schools, sizes, strict=True)
        ]
        self._teachers(apportion(teachers, staff_weights, minimum=1))
        staff = self._staff_by_school()
        for school in self.city.schools:
            self._groups(school, homerooms[school.number], staff[school.number])
        self.city.enrollment_seed = self.rng.getrandbits(64)
        return self.city

    # ------------------------------------------------------------------ schools
    def _schools(self, n: int) -> None:
        counts = apportion(n, [k.share for k in KINDS])
        kinds = [k for k, c in zip(KINDS, counts, strict=True) for _ in range(c)]
        self.rng.shuffle(kinds)
        names = school_names(self.rng, [(k.type, k.label) for k in kinds])
        for i, (kind, name) in enumerate(zip(kinds, names, strict=True)):
            self.city.schools.append(School(self.id(), str(FIRST_SCHOOL_NUMBER + i), name, kind))

    # ------------------------------------------------------------------ students
    def _students(self, school: School, count: int) -> list[Section]:
        """The school's students in their homeroom classes, grade by grade."""
        kind = school.kind
        classes: list[Section] = []
        per_grade = apportion(count, [1.0] * len(kind.grades)) if count else [0] * len(kind.grades)
        number = itertools.count(1001 + self.rng.randrange(0, 9000, 1000))
        for grade, in_grade in zip(kind.grades, per_grade, strict=True):
            if not in_grade:
                continue
            n_classes = max(1, round(in_grade / kind.class_size))
            title = "Tutorgruppen" if kind.tutor_groups(grade) else "Klassenverband"
            course = self._course(school, f"{title} Jahrgang {grade}", f"KL-{grade:02d}", (grade,))
            for index, size in enumerate(apportion(in_grade, [1.0] * n_classes)):
                name = class_name(grade, index, kind.tutor_groups(grade))
                room = f"Raum {self.rng.randint(0, 3)}.{self.rng.randint(1, 30):02d}"
                section = Section(self.id(), GroupKind.CLASS, course, name, name, room)
                section.students = [
                    self._student(school, grade, str(next(number))) for _ in range(size)
                ]
                classes.append(section)
        return classes

    def _student(self, school: School, grade: int, number: str) -> Person:
        rng = self.rng
        female = rng.random() < 0.49
        name = self.student_names.name(female)
        # The cohort of grade 1 in 2026/27 was born 1 Oct 2019 – 30 Sep 2020 (school
        # starts at six, cut-off 30 September); some repeat a year or start late.
        older = (
            rng.choices((0, 1, 2, 3, 4), (50, 25, 12, 8, 5))[0]
            if school.kind.type is SchoolType.BBS
            else 0
        )
        if rng.random() < (0.12 if school.kind.type is SchoolType.FOES else 0.06):
            older += 1
        start = dt.date(2019 - (grade - 1) - older, 10, 1)
        end = dt.date(start.year + 1, 9, 30)
        born = start + dt.timedelta(days=rng.randrange((end - start).days + 1))
        person = Person(
            self.id(), Role.STUDENT, name.given, name.family, name.origin, female, born,
            [school], number, grade=grade,
        )  # fmt: skip
        self.city.students.append(person)
        return person

    # ------------------------------------------------------------------ teachers
    def _teachers(self, per_school: list[int]) -> None:
        rng = self.rng
        schools = self.city.schools
        for school, count in zip(schools, per_school, strict=True):
            for _ in range(count):
                female = rng.random() < 0.72
                name = self.teacher_names.name(female)
                born = dt.date(1961, 1, 1) + dt.timedelta(days=rng.randrange(39 * 365))
                subjects = self._subject_pool(school.kind)
                codes = tuple(code for code, _ in rng.sample(subjects, 2))
                at = [school]
                if len(schools) > 1 and rng.random() < 0.025:  # a few teach at two schools
                    other = rng.choice(schools)
                    while other is school:
                        other = rng.choice(schools)
                    at.append(other)
                person = Person(
                    self.id(), Role.TEACHER, name.given, name.family, name.origin, female, born,
                    at, self._staff_number(), subjects=codes,
                )  # fmt: skip
                self.city.teachers.append(person)

    def _subject_pool(self, kind: SchoolKind) -> tuple[tuple[str, str], ...]:
        if kind.last_grade <= 4:
            return PRIMARY_SUBJECTS
        if kind.type is SchoolType.BBS:
            return BBS_CORE + BBS_ELECTIVES
        return CORE + UPPER_ELECTIVES

    def _staff_number(self) -> str:
        """Personalnummer: eight digits, stable across schools, unique."""
        while True:
            n = self.rng.randrange(10_000_000, 100_000_000)
            if n not in self.staff_numbers:
                self.staff_numbers.add(n)
                return str(n)

    def _staff_by_school(self) -> dict[str, list[Person]]:
        """Each school's teachers: its own first, then those whose second school it is."""
        staff: dict[str, list[Person]] = {s.number: [] for s in self.city.schools}
        for rank in (0, 1):
            for teacher in self.city.teachers:
                if len(teacher.schools) > rank:
                    staff[teacher.schools[rank].number].append(teacher)
        return staff

    # ------------------------------------------------------------------ groups
    def _course(
        self, school: School, title: str, code: str, grades: tuple[int, ...], subject: str = ""
    ) -> Course:
        course = Course(self.id(), school, title, code, grades, subject)
        self.city.courses.append(course)
        return course

    def _groups(self, school: School, classes: list[Section], staff: list[Person]) -> None:
        """Homeroom teachers, subject courses and workgroups of one school."""
        rng = self.rng
        own = [t for t in staff if t.schools[0] is school] or staff
        homeroom = itertools.cycle(rng.sample(own, len(own)))
        teachers = _SubjectTeachers(rng, staff)
        for section in classes:
            section.teachers.append(next(homeroom))
        self.city.sections.extend(classes)
        lower = [c for c in classes if 5 <= _grade(c) <= 10]
        for grade, in_grade in itertools.groupby(lower, key=_grade):
            grade_classes = list(in_grade)
            subjects = CORE if school.kind.type is not SchoolType.FOES else CORE[:2]
            for code, subject in (*subjects, BY_GRADE[grade]):
                course = self._course(
                    school, f"{subject} Jahrgang {grade}", f"{code}-{grade:02d}", (grade,), subject
                )
                for klass in grade_classes:
                    section = Section(
                        self.id(), GroupKind.COURSE, course, f"{subject} {klass.title}",
                        f"{code}-{klass.title}",
                    )  # fmt: skip
                    section.students = list(klass.students)
                    section.teachers.append(teachers.pick(code))
                    self.city.sections.append(section)
        upper = [c for c in classes if school.kind.tutor_groups(_grade(c))]
        for grade, groups in itertools.groupby(upper, key=_grade):
            self._upper_courses(school, grade, [s for g in groups for s in g.students], teachers)
        self._workgroups(school, classes, staff)

    def _upper_courses(
        self, school: School, grade: int, students: list[Person], teachers: _SubjectTeachers
    ) -> None:
        """Courses of the upper grades: every student takes the core subjects and two
        electives; a course mixes students of all tutor groups of the grade."""
        rng = self.rng
        core, electives = (
            (BBS_CORE, BBS_ELECTIVES)
            if school.kind.type is SchoolType.BBS
            else (CORE, UPPER_ELECTIVES)
        )
        takers: dict[str, list[Person]] = {code: [] for code, _ in core + electives}
        for student in students:
            for code, _ in core + tuple(rng.sample(electives, 2)):
                takers[code].append(student)
        for code, subject in core + electives:
            members = takers[code]
            if not members:
                continue
            rng.shuffle(members)
            course = self._course(
                school, f"{subject} Jahrgang {grade}", f"{code}-{grade:02d}", (grade,), subject
            )
            n = math.ceil(len(members) / COURSE_SIZE)
            start = 0
            for index, size in enumerate(apportion(len(members), [1.0] * n)):
                title = f"{subject} {grade}-K{index + 1}"
                section = Section(
                    self.id(), GroupKind.COURSE, course, title, f"{code}-{grade}-K{index + 1}"
                )
                section.students = members[start : start + size]
                section.teachers.append(teachers.pick(code))
                self.city.sections.append(section)
                start += size

    def _workgroups(self, school: School, classes: list[Section], staff: list[Person]) -> None:
        rng = self.rng
        students = [s for c in classes for s in c.students]
        if not students:
            return
        names = WORKGROUPS_PRIMARY if school.kind.last_grade <= 4 else WORKGROUPS_SECONDARY
        course = self._course(school, "Arbeitsgemeinschaften", "AG", tuple(school.kind.grades))
        for name in rng.sample(names, 2):
            section = Section(self.id(), GroupKind.WORKGROUP, course, f"AG {name}", f"AG-{name}")
            section.students = sorted(
                rng.sample(students, min(len(students), rng.randint(10, 22))),
                key=lambda p: (p.grade or 0, p.family_name, p.given_name),
            )
            section.teachers.append(rng.choice(staff))
            self.city.sections.append(section)


def _grade(homeroom: Section) -> int:
    return homeroom.course.grades[0]


class _SubjectTeachers:
    """Hands out a school's teachers of a subject in turn, so the load is shared; a
    subject nobody there teaches goes to any teacher of the school, also in turn."""

    def __init__(self, rng: random.Random, staff: list[Person]) -> None:
        self._rng = rng
        self._staff = staff
        self._turns: dict[str, Iterator[Person]] = {}

    def pick(self, code: str) -> Person:
        turn = self._turns.get(code)
        if turn is None:
            able = [t for t in self._staff if code in t.subjects] or self._staff
            turn = self._turns[code] = itertools.cycle(self._rng.sample(able, len(able)))
        return next(turn)
