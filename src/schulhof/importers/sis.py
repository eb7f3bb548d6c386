"""Reading a school-office export (Schulverwaltungsprogramm) into a `Feed`, as a profile
(`sis_profile`) describes it.

The school number comes from each file's name; a `school` column must agree with it. A
folder holding several schools is one FULL feed whose scope is every school found with
all of its required files; a single file is a feed for its school alone. Rules where the
export leaves room:

- A school-scoped id (the student number) names nobody outside its school: the record
  has `key=None` and `local_key=("sis:<school>", id)`, and its birth date is required,
  since name and birth date are what recognises a student who changed school.
- A global id (the staff number) is one person wherever it appears: a teacher in two
  schools' files is ONE record with both roles, the first school primary. The names must
  agree; spellings that differ only where Windows-1252 had to drop an accent (Łukasz /
  Lukasz) agree, and the richer spelling is kept.
- A global id may be empty: office staff employed by the authority have no state staff
  number. Such a person has neither `key` nor `local_key`, is recognised by name and
  birth date (so the birth date is required) and can lead no class.
- Schools get the placeholder name "" (unknown): the planner must not rename a school
  from it. Subjects and teacher abbreviations are not read (records have no place).
- Students are members of their class (`class`); teachers are homeroom teachers of the
  classes in `homeroom`, and of no others (courses come from the timetable).
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from schulhof.domain.model import GroupKind, MemberRole, Role
from schulhof.importers.csvfile import CsvTable, Inputs, open_inputs, read_table
from schulhof.importers.records import (
    Feed,
    FeedMode,
    GroupRecord,
    MembershipRecord,
    Origin,
    PersonRecord,
    RowError,
    SchoolRecord,
    SourceKey,
)
from schulhof.importers.sis_profile import FileKind, SisProfile, load_profile
from schulhof.importers.values import DateParser, bulk_allocation, split_list

SYSTEM = "sis"
_NO_COLUMN = -1
# Letters Windows-1252 cannot hold and NFKD does not take apart.
_LOOSE = str.maketrans({"Ł": "L", "ł": "l", "ı": "i", "Đ": "D", "đ": "d", "Ø": "O", "ø": "o"})


def read_sis(path: Path, *, profile: SisProfile | None = None) -> Feed:
    """Read the export at `path`: a folder, a zip archive or one file."""
    with bulk_allocation():
        return _Reader(profile or load_profile("default")).read(path)


@dataclass(slots=True)
class _Staff:
    """A person with a global id, gathered from every school's file they appear in."""

    origin: Origin
    key: SourceKey
    given: str
    family: str
    birth: dt.date | None
    email: str | None
    roles: list[tuple[str, Role]]


class _Reader:
    def __init__(self, profile: SisProfile) -> None:
        self.profile = profile
        self.feed = Feed(source=SYSTEM, mode=FeedMode.FULL)
        self.errors = self.feed.errors
        self.dates = DateParser(profile.date_format)
        self.groups: dict[tuple[str, str], SourceKey] = {}
        self.local_ids: dict[SourceKey, int] = {}  # school-scoped id → line
        self.staff: dict[str, _Staff] = {}

    def read(self, path: Path) -> Feed:
        inputs = open_inputs(path)
        if isinstance(inputs, RowError):
            self.errors.append(inputs)
            return self.feed
        found = self._match(inputs)
        if not found and not inputs.single:
            patterns = ", ".join(k.pattern for k in self.profile.files)
            self._error(path.name, 0, "", f"no file fits the profile ({patterns})")
        complete = self._complete(inputs, found)
        kinds = {kind.name: (i, kind) for i, kind in enumerate(self.profile.files)}
        ordered = sorted(found.items(), key=lambda item: (item[0][1], kinds[item[0][0]][0]))
        for (kind_name, school), name in ordered:
            kind = kinds[kind_name][1]
            if not any(s.number == school for s in self.feed.schools):
                origin = Origin(inputs.label(name), 1)
                self.feed.schools.append(
                    SchoolRecord(origin, SourceKey(SYSTEM, school), school, "")
                )
            table = read_table(
                inputs, name, self.errors, required=kind.header,
                delimiter=self.profile.separator, encoding=self.profile.encoding,
            )  # fmt: skip
            if table is not None:
                self.feed.files.append(table.name)
                self._read_file(table, kind, school)
        for person in self.staff.values():
            self.feed.persons.append(
                PersonRecord(
                    person.origin, person.key, person.given, person.family, person.birth,
                    tuple(person.roles), person.roles[0][0], email=person.email,
                )
            )  # fmt: skip
        self.feed.scope = complete
        # A school is complete only for the roles whose files were read: a lone students'
        # file says nothing about the teachers.
        covered: dict[str, set[Role]] = {}
        for (kind_name, school), _ in found.items():
            kind = kinds[kind_name][1]
            roles = {kind.role} if kind.role else set(kind.role_values.values())
            covered.setdefault(school, set()).update(roles)
        self.feed.coverage = {nr: frozenset(covered.get(nr, ())) for nr in complete}
        return self.feed

    def _match(self, inputs: Inputs) -> dict[tuple[str, str], str]:
        """(kind, school number) → file, by the profile's patterns; the first kind wins."""
        found: dict[tuple[str, str], str] = {}
        for name in inputs.names:
            for kind in self.profile.files:
                match = kind.regex.fullmatch(name)
                if match is None:
                    continue
                school = match["school"]
                other = found.setdefault((kind.name, school), name)
                if other != name:
                    self._error(
                        inputs.label(name),
                        0,
                        "",
                        f"a second {kind.name} file of school {school}: {other} is the first",
                    )
                break
            else:
                if inputs.single:
                    patterns = ", ".join(k.pattern for k in self.profile.files)
                    self._error(
                        inputs.label(name),
                        0,
                        "",
                        f"the name fits none of the profile's files ({patterns})",
                    )
        return found

    def _complete(self, inputs: Inputs, found: dict[tuple[str, str], str]) -> set[str]:
        """The schools described completely: for a folder, those with every required file
        (a school missing its students' file would otherwise lose all its students)."""
        schools = {school for _, school in found}
        if inputs.single:
            return schools
        complete = set(schools)
        for school in sorted(schools):
            for kind in self.profile.files:
                if kind.required and (kind.name, school) not in found:
                    expected = inputs.label(kind.pattern.replace("{school}", school))
                    self._error(
                        expected, 0, "", f"missing: the {kind.name} file of school {school}"
                    )
                    complete.discard(school)
        return complete

    def _error(self, file: str, line: int, field: str, message: str) -> None:
        self.errors.append(RowError(file, line, field, message))

    def _read_file(self, t: CsvTable, kind: FileKind, school: str) -> None:
        profile, columns = self.profile, t.columns
        at = {field: columns[column] for field, column in kind.columns.items()}
        col = kind.columns
        at_id, at_given, at_family = at["id"], at["given_name"], at["family_name"]
        at_birth, at_mail = at.get("birth_date", _NO_COLUMN), at.get("email", _NO_COLUMN)
        at_class, at_home = at.get("class", _NO_COLUMN), at.get("homeroom", _NO_COLUMN)
        at_school = at.get("school", _NO_COLUMN)
        at_role = columns[kind.role_column] if kind.role_column else _NO_COLUMN
        local_system, separator = f"{SYSTEM}:{school}", profile.list_separator
        persons, memberships, name = self.feed.persons, self.feed.memberships, t.name
        for line, row in t.records():
            problems: list[tuple[str, str]] = []  # (column, message)
            pid, given, family = row[at_id], row[at_given], row[at_family]
            role = kind.role or kind.role_values.get(row[at_role].casefold())
            if role is None:
                known = ", ".join(sorted(kind.role_values))
                problems.append(
                    (str(kind.role_column), f"unknown value {row[at_role]!r} ({known})")
                )
            local = role is not None and profile.id_scope[role] == "school"
            if not pid and (local or role is None):
                problems.append((col["id"], "the id is empty"))
            elif pid and local:
                first = self.local_ids.setdefault(SourceKey(local_system, pid), line)
                if first != line:
                    problems.append((col["id"], f"id {pid!r} also on line {first}"))
            if not given:
                problems.append((col["given_name"], "the given name is empty"))
            if not family:
                problems.append((col["family_name"], "the family name is empty"))
            if at_school != _NO_COLUMN and row[at_school] != school:
                message = f"school number {row[at_school]!r} in a file of school {school}"
                problems.append((col["school"], message))
            raw_birth = row[at_birth] if at_birth != _NO_COLUMN else ""
            birth = self.dates(raw_birth) if raw_birth else None
            if raw_birth and birth is None:
                message = f"{raw_birth!r} is no valid date (expected {self.dates.expected})"
                problems.append((col["birth_date"], message))
            elif not raw_birth and (local or not pid):
                # Without a lasting id, name and birth date are all that recognise a person.
                message = "the birth date is empty: it recognises a person without a lasting id"
                problems.append((col.get("birth_date", col["id"]), message))
            klass = row[at_class] if at_class != _NO_COLUMN else ""
            if klass and role is not Role.STUDENT:
                problems.append((col["class"], "only students are placed in a class"))
            led = split_list(row[at_home], separator) if at_home != _NO_COLUMN else []
            if led and role is not Role.TEACHER:
                problems.append((col["homeroom"], "only teachers lead a class"))
            elif led and not pid:
                problems.append((col["homeroom"], "a teacher without an id cannot lead a class"))
            if problems or role is None:
                self.errors.extend(RowError(name, line, f, m) for f, m in problems)
                continue
            origin = Origin(name, line)
            email = (row[at_mail] or None) if at_mail != _NO_COLUMN else None
            roles = ((school, role),)
            person: SourceKey | None
            if local or not pid:
                # No lasting id: matched by the school-local id, else by name and birth.
                person = SourceKey(local_system, pid) if pid else None
                persons.append(
                    PersonRecord(
                        origin, None, given, family, birth, roles, school, None, email, person
                    )
                )
            else:
                person = self._staff(origin, pid, given, family, birth, email, school, role)
            if person is None:
                continue
            if klass:
                group = self._group(school, klass, origin)
                memberships.append(MembershipRecord(origin, group, person, MemberRole.STUDENT))
            for led_class in led:
                group = self._group(school, led_class, origin)
                memberships.append(
                    MembershipRecord(origin, group, person, MemberRole.TEACHER, True)
                )

    def _staff(
        self, origin: Origin, pid: str, given: str, family: str, birth: dt.date | None,
        email: str | None, school: str, role: Role,
    ) -> SourceKey | None:  # fmt: skip
        """Record a globally identified person's role at `school`, merging with the same
        id at other schools; None after an error."""
        person = self.staff.get(pid)
        if person is None:
            key = SourceKey(self.profile.staff_system, pid)
            self.staff[pid] = _Staff(origin, key, given, family, birth, email, [(school, role)])
            return key
        where = f"{person.origin.file} line {person.origin.line}"
        if any(s == school for s, _ in person.roles):
            self._error(origin.file, origin.line, "id", f"id {pid!r} also on {where}")
            return None
        ok = True
        for field, mine, theirs in (
            ("given name", given, person.given),
            ("family name", family, person.family),
        ):
            if mine != theirs and _loose(mine) != _loose(theirs):
                self._error(
                    origin.file,
                    origin.line,
                    field,
                    f"{mine!r} here, but {theirs!r} for id {pid!r} on {where}",
                )
                ok = False
        if birth != person.birth and birth is not None and person.birth is not None:
            self._error(
                origin.file,
                origin.line,
                "birth date",
                f"{birth} here, but {person.birth} for id {pid!r} on {where}",
            )
            ok = False
        if not ok:
            return None
        person.given, person.family = _richer(person.given, given), _richer(person.family, family)
        person.birth = person.birth or birth
        person.email = person.email or email
        person.roles.append((school, role))
        return person.key

    def _group(self, school: str, name: str, origin: Origin) -> SourceKey:
        key = self.groups.get((school, name))
        if key is None:
            key = self.groups[(school, name)] = SourceKey(f"{SYSTEM}:{school}", f"class:{name}")
            self.feed.groups.append(GroupRecord(origin, key, school, GroupKind.CLASS, name))
        return key


def _loose(name: str) -> str:
    """A name without the accents an old Windows-1252 export had to drop."""
    decomposed = unicodedata.normalize("NFKD", name.translate(_LOOSE))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _richer(kept: str, other: str) -> str:
    """Of two spellings of one name, the one with more letters beyond ASCII."""
    if kept == other:
        return kept
    return (
        other if sum(not c.isascii() for c in other) > sum(not c.isascii() for c in kept) else kept
    )
