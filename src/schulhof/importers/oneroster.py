"""Reading a OneRoster CSV package (1.0, 1.1 or 1.2; a folder or a zip) into a `Feed`.

Read, validate and map in one pass per file, in dependency order (orgs before classes,
users before enrollments), so every reference can be checked against what came before.
Every problem becomes a `RowError`; a row with an error yields no record.

Rules where the spec leaves room (see also `oneroster_spec`):

- References are checked against a file only when that file is `bulk`: a `delta` file
  lists changes, so a reference to a user or class outside it is to one already in the
  directory. Orgs are the exception: a group or role needs the school *number*, so an org
  must be in the feed or in `known_schools` (org sourcedId → school number, supplied by
  the caller from the directory for deltas).
- Only orgs of type `school` become schools; their number is `identifier`, or the
  sourcedId when that is empty. A `department` counts as its parent school; a `district`
  (the authority) or another org type yields no school and no role.
- `enabledUser=false` is read as leaving: the person's status is TO_BE_DELETED.
- Values the spec requires but Schulhof does not use (a class's terms and course, …)
  are checked when given, not demanded.
- Guardians (`agentSourcedIds`) are not mapped: records have no guardian links yet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Container, Iterator, Mapping
from dataclasses import dataclass
from itertools import repeat
from pathlib import Path

from schulhof.domain.model import GroupKind, MemberRole, Role
from schulhof.importers.csvfile import CsvTable, Inputs, check_columns, open_inputs, read_table
from schulhof.importers.oneroster_spec import (
    CLASS_KINDS,
    COLUMNS_11,
    COLUMNS_12,
    ENROLLMENT_ROLES,
    FILES,
    ORG_TYPES,
    ROLE_TYPES,
    SESSION_TYPES,
    STATUSES,
    USER_ROLES,
    FileMode,
    Manifest,
    file_modes,
    read_manifest,
)
from schulhof.importers.records import (
    Feed,
    FeedMode,
    GroupRecord,
    MembershipRecord,
    Origin,
    PersonRecord,
    RecordStatus,
    RowError,
    SchoolRecord,
    SourceKey,
)
from schulhof.importers.values import (
    DateParser,
    bulk_allocation,
    is_datetime,
    parse_bool,
    split_list,
)

SYSTEM = "oneroster"
_NOT_SEEN = "\0"  # org_school default: an org that is in no file


def read_oneroster(
    path: Path, *, keep_usernames: bool = False, known_schools: Mapping[str, str] | None = None
) -> Feed:
    """Read the OneRoster package at `path` (a folder or a .zip).

    `keep_usernames`: take `users.username` as the person's username (else None, and the
    directory makes one). `known_schools`: org sourcedId → school number for orgs the
    feed refers to but does not carry (deltas).
    """
    with bulk_allocation():
        return _Reader(keep_usernames, known_schools or {}).read(path)


@dataclass(slots=True)
class _User:
    """A users.csv row, waiting for its birth date (demographics) and 1.2 roles."""

    line: int
    key: SourceKey
    given: str
    family: str
    username: str | None
    email: str | None
    status: RecordStatus
    roles: list[tuple[str, Role]]
    primary: str | None
    valid: bool  # False after an error in any of its rows: no record


class _Reader:
    def __init__(self, keep_usernames: bool, known_schools: Mapping[str, str]) -> None:
        self.keep_usernames = keep_usernames
        self.known_schools = known_schools
        self.feed = Feed(source=SYSTEM, mode=FeedMode.DELTA)
        self.errors = self.feed.errors
        self.dates = DateParser()
        self.complete: set[str] = set()  # bulk files read whole: references are checked
        self.org_school: dict[str, str | None] = {}  # org → school number; None: no school
        self.sessions: set[str] = set()
        self.courses: set[str] = set()
        self.classes: dict[str, tuple[SourceKey, GroupKind | None]] = {}
        self.users: dict[str, _User] = {}
        self.users_file = "users.csv"
        self.births: dict[str, dt.date] = {}

    # ------------------------------------------------------------------ package
    def read(self, path: Path) -> Feed:
        inputs = open_inputs(path)
        if isinstance(inputs, RowError):
            self.errors.append(inputs)
            return self.feed
        if inputs.single:
            self._error(inputs.label(inputs.names[0]), 0, "", "give the folder or zip archive")
            return self.feed
        present = {n.lower(): n for n in inputs.names if "/" not in n}
        manifest = self._manifest(inputs, present)
        version = manifest.version if manifest is not None else None
        if version is None and "roles.csv" in present:
            version = "1.2"
        modes, self.feed.mode, errors = file_modes(manifest, set(present), version, inputs.label)
        self.errors.extend(errors)
        columns = COLUMNS_12 if version == "1.2" else COLUMNS_11
        readers: dict[str, Callable[[CsvTable], None]] = {
            "orgs": self._read_orgs,
            "academicSessions": self._read_sessions,
            "courses": self._read_courses,
            "classes": self._read_classes,
            "users": self._read_users,
            "roles": self._read_roles,
            "demographics": self._read_demographics,
            "enrollments": self._read_enrollments,
        }
        for name in FILES:
            file = f"{name.lower()}.csv"
            if modes[name] is FileMode.ABSENT or file not in present:
                continue
            table = read_table(inputs, present[file], self.errors)
            if table is None:
                continue
            self.feed.files.append(table.name)
            if name == "users" and version is None:  # no manifest version: the header tells
                columns = COLUMNS_11 if "role" in table.columns else COLUMNS_12
            if name not in columns or not check_columns(table, columns[name], self.errors):
                continue
            if modes[name] is FileMode.BULK:
                self.complete.add(name)  # before reading: a file may refer to itself
            readers[name](table)
        self._finish_users(roles_read="roles" in self.complete, v12=columns is COLUMNS_12)
        if self.feed.mode is FeedMode.FULL:
            self.feed.scope = {school.number for school in self.feed.schools}
        return self.feed

    def _manifest(self, inputs: Inputs, present: dict[str, str]) -> Manifest | None:
        if "manifest.csv" not in present:
            self._error(inputs.label("manifest.csv"), 0, "", "manifest.csv is missing")
            return None
        table = read_table(
            inputs, present["manifest.csv"], self.errors, required=("propertyName", "value")
        )
        if table is None:
            return None
        self.feed.files.append(table.name)
        return read_manifest(table, self.errors)

    # ------------------------------------------------------------------ helpers
    def _error(self, file: str, line: int, field: str, message: str) -> None:
        self.errors.append(RowError(file, line, field, message))

    def _rows(self, table: CsvTable) -> Iterator[tuple[int, list[str], str, RecordStatus, bool]]:
        """Rows with a sourcedId seen for the first time, and whether their status and
        dateLastModified are sound (bulk files often fill both; that is accepted). A row
        that is not is still known to references, but yields no record."""
        at_id, at_status, at_modified = _at(table, "sourcedId", "status", "dateLastModified")
        rows = table.rows
        # Whole-column checks first: when they pass, as they do for a sound export, no row
        # needs looking at one by one.
        ids = [row[at_id] for row in rows]
        statuses = {row[at_status] for row in rows}
        stamps = {row[at_modified] for row in rows}
        if (
            len(set(ids)) == len(ids)
            and "" not in ids
            and statuses.issubset(STATUSES)
            and all(not s or is_datetime(s) for s in stamps)
        ):
            lines, sound = table.lines, repeat(True)
            if len(statuses) == 1:
                status = STATUSES[statuses.pop()]
                return zip(lines, rows, ids, repeat(status), sound, strict=False)
            every = [STATUSES[row[at_status]] for row in rows]
            return zip(lines, rows, ids, every, sound, strict=False)
        return self._checked_rows(table, at_id, at_status, at_modified)

    def _checked_rows(
        self, table: CsvTable, at_id: int, at_status: int, at_modified: int
    ) -> Iterator[tuple[int, list[str], str, RecordStatus, bool]]:
        seen: dict[str, int] = {}
        for line, row in table.records():
            sid = row[at_id]
            if not sid:
                self._error(table.name, line, "sourcedId", "sourcedId is empty")
                continue
            first = seen.setdefault(sid, line)
            if first != line:
                self._error(
                    table.name,
                    line,
                    "sourcedId",
                    f"duplicate sourcedId {sid!r} (first on line {first})",
                )
                continue
            ok = True
            status = STATUSES.get(row[at_status].lower())
            if status is None:
                self._error(table.name, line, "status", f"unknown status {row[at_status]!r}")
                status, ok = RecordStatus.ACTIVE, False
            modified = row[at_modified]
            if modified and not is_datetime(modified):
                message = f"not an ISO 8601 date-time: {modified!r}"
                self._error(table.name, line, "dateLastModified", message)
                ok = False
            yield line, row, sid, status, ok

    def _school(self, org: str, table: CsvTable, line: int, field: str) -> str | None:
        """The school number of `org`; "" for an org that is no school (a district);
        None after reporting an org that is neither in the feed nor known."""
        number = self.org_school.get(org, _NOT_SEEN)
        if number is _NOT_SEEN:
            number = self.known_schools.get(org)
            if number is None:
                self._error(table.name, line, field, f"unknown org {org!r}")
            return number
        return number or ""

    def _check_dates(self, table: CsvTable, line: int, row: list[str], *columns: str) -> bool:
        ok = True
        for column in columns:
            value = row[table.columns[column]]
            if value and self.dates(value) is None:
                self._error(table.name, line, column, f"not a date (yyyy-mm-dd): {value!r}")
                ok = False
        return ok

    def _check_ref(
        self, table: CsvTable, line: int, field: str, ref: str, file: str, known: Container[str]
    ) -> bool:
        """A reference into `file`, checked when that file was read whole (bulk)."""
        if ref and file in self.complete and ref not in known:
            self._error(table.name, line, field, f"{ref!r} is not in {file}.csv")
            return False
        return True

    # ------------------------------------------------------------------ files
    def _read_orgs(self, t: CsvTable) -> None:
        at_name, at_type, at_ident, at_parent = _at(
            t, "name", "type", "identifier", "parentSourcedId"
        )
        numbers: dict[str, int] = {}
        parents: list[tuple[int, str, str, str]] = []
        for line, row, sid, status, ok in self._rows(t):
            self.org_school[sid] = None
            org_type, name = row[at_type], row[at_name]
            if org_type not in ORG_TYPES:
                self._error(t.name, line, "type", f"unknown org type {org_type!r}")
                ok = False
            if not name and status is RecordStatus.ACTIVE:
                self._error(t.name, line, "name", "name is empty")
                ok = False
            if row[at_parent]:
                parents.append((line, sid, org_type, row[at_parent]))
            if org_type != "school":
                continue
            number = row[at_ident] or sid
            first = numbers.setdefault(number, line)
            if first != line:
                self._error(
                    t.name, line, "identifier", f"school number {number!r} also on line {first}"
                )
                ok = False
            else:
                self.org_school[sid] = number  # known to references even when broken
            if ok:
                key = SourceKey(SYSTEM, sid)
                self.feed.schools.append(
                    SchoolRecord(Origin(t.name, line), key, number, name, status=status)
                )
        for line, sid, org_type, parent in parents:  # after the loop: parents may come later
            if not self._check_ref(t, line, "parentSourcedId", parent, "orgs", self.org_school):
                continue
            if org_type == "department" and self.org_school.get(parent):
                self.org_school[sid] = self.org_school[parent]

    def _read_sessions(self, t: CsvTable) -> None:
        at_title, at_type, at_year, at_parent = _at(
            t, "title", "type", "schoolYear", "parentSourcedId"
        )
        parents: list[tuple[int, str]] = []
        for line, row, sid, status, _ok in self._rows(t):
            self.sessions.add(sid)
            if status is RecordStatus.TO_BE_DELETED:
                continue
            if row[at_type] not in SESSION_TYPES:
                self._error(t.name, line, "type", f"unknown session type {row[at_type]!r}")
            if not row[at_title]:
                self._error(t.name, line, "title", "title is empty")
            year = row[at_year]
            if year and not (len(year) == 4 and year.isdigit()):
                self._error(t.name, line, "schoolYear", f"not a year: {year!r}")
            self._check_dates(t, line, row, "startDate", "endDate")
            parents.append((line, row[at_parent]))
        for line, parent in parents:  # after the loop: parents may come after children
            self._check_ref(t, line, "parentSourcedId", parent, "academicSessions", self.sessions)

    def _read_courses(self, t: CsvTable) -> None:
        at_title, at_org, at_year = _at(t, "title", "orgSourcedId", "schoolYearSourcedId")
        for line, row, sid, status, _ok in self._rows(t):
            self.courses.add(sid)
            if status is RecordStatus.TO_BE_DELETED:
                continue
            if not row[at_title]:
                self._error(t.name, line, "title", "title is empty")
            if row[at_org]:
                self._school(row[at_org], t, line, "orgSourcedId")
            self._check_ref(
                t, line, "schoolYearSourcedId", row[at_year], "academicSessions", self.sessions
            )

    def _read_classes(self, t: CsvTable) -> None:
        at_title, at_type, at_school, at_course, at_terms = _at(
            t, "title", "classType", "schoolSourcedId", "courseSourcedId", "termSourcedIds"
        )
        groups = self.feed.groups
        for line, row, sid, status, ok in self._rows(t):
            key = SourceKey(SYSTEM, sid)
            kind = CLASS_KINDS.get(row[at_type]) or CLASS_KINDS.get(row[at_type].lower())
            self.classes[sid] = (key, kind)
            active = status is RecordStatus.ACTIVE
            ok &= self._check_ref(
                t, line, "courseSourcedId", row[at_course], "courses", self.courses
            )
            for term in split_list(row[at_terms]):
                ok &= self._check_ref(
                    t, line, "termSourcedIds", term, "academicSessions", self.sessions
                )
            if kind is None and active:
                self._error(
                    t.name,
                    line,
                    "classType",
                    f"classType must be homeroom or scheduled, not {row[at_type]!r}",
                )
                ok = False
            title = row[at_title]
            if not title and active:
                self._error(t.name, line, "title", "title is empty")
                ok = False
            org, school = row[at_school], ""
            if org:
                found = self._school(org, t, line, "schoolSourcedId")
                if found == "":
                    self._error(t.name, line, "schoolSourcedId", f"org {org!r} is not a school")
                ok &= bool(found)
                school = found or ""
            elif active:
                self._error(t.name, line, "schoolSourcedId", "schoolSourcedId is empty")
                ok = False
            if ok:
                groups.append(
                    GroupRecord(
                        Origin(t.name, line), key, school, kind or GroupKind.COURSE, title, status
                    )
                )

    def _read_users(self, t: CsvTable) -> None:
        at_given, at_family, at_user, at_mail, at_enabled = _at(
            t, "givenName", "familyName", "username", "email", "enabledUser"
        )
        v11 = "role" in t.columns and "orgSourcedIds" in t.columns
        at_role = t.columns["role"] if v11 else -1
        at_orgs = t.columns["orgSourcedIds" if v11 else "primaryOrgSourcedId"]
        self.users_file = t.name
        for line, row, sid, status, ok in self._rows(t):
            active = status is RecordStatus.ACTIVE
            enabled = parse_bool(row[at_enabled]) if row[at_enabled] else True
            if enabled is None:
                self._error(t.name, line, "enabledUser", f"not true or false: {row[at_enabled]!r}")
                ok = False
            given, family = row[at_given], row[at_family]
            if active and not given:
                self._error(t.name, line, "givenName", "givenName is empty")
                ok = False
            if active and not family:
                self._error(t.name, line, "familyName", "familyName is empty")
                ok = False
            roles: list[tuple[str, Role]] = []
            primary: str | None = None
            if v11:
                role = USER_ROLES.get(row[at_role].lower())
                if role is None and active:
                    self._error(t.name, line, "role", f"unknown role {row[at_role]!r}")
                    ok = False
                orgs = split_list(row[at_orgs])
                if not orgs and active:
                    self._error(t.name, line, "orgSourcedIds", "orgSourcedIds is empty")
                    ok = False
                for org in orgs:
                    school = self._school(org, t, line, "orgSourcedIds")
                    if school is None:
                        ok = False
                    elif school and role is not None and (school, role) not in roles:
                        roles.append((school, role))
                primary = roles[0][0] if roles else None
            elif row[at_orgs]:
                school = self._school(row[at_orgs], t, line, "primaryOrgSourcedId")
                ok &= school is not None
                primary = school or None
            username = row[at_user] if self.keep_usernames and row[at_user] else None
            if enabled is False:
                status = RecordStatus.TO_BE_DELETED  # no longer allowed in: leaving
            self.users[sid] = _User(
                line, SourceKey(SYSTEM, sid), given, family, username, row[at_mail] or None,
                status, roles, primary, ok,
            )  # fmt: skip

    def _read_roles(self, t: CsvTable) -> None:
        """OneRoster 1.2: a user's role at an org, one row each; primary roles first."""
        at_user, at_type, at_role, at_org = _at(
            t, "userSourcedId", "roleType", "role", "orgSourcedId"
        )
        for line, row, _sid, status, ok in self._rows(t):
            user = self.users.get(row[at_user])
            if user is None:
                if "users" in self.complete or not row[at_user]:
                    self._error(
                        t.name, line, "userSourcedId", f"{row[at_user]!r} is not in users.csv"
                    )
                continue
            ok &= self._check_dates(t, line, row, "beginDate", "endDate")
            role_type = row[at_type].lower()
            if role_type not in ROLE_TYPES:
                self._error(
                    t.name,
                    line,
                    "roleType",
                    f"roleType must be primary or secondary, not {row[at_type]!r}",
                )
                ok = False
            role = USER_ROLES.get(row[at_role].lower())
            if role is None:
                self._error(t.name, line, "role", f"unknown role {row[at_role]!r}")
                ok = False
            school = self._school(row[at_org], t, line, "orgSourcedId") if row[at_org] else None
            if not row[at_org]:
                self._error(t.name, line, "orgSourcedId", "orgSourcedId is empty")
            if not ok or school is None or role is None:
                user.valid = False
                continue
            if status is RecordStatus.TO_BE_DELETED or not school:
                continue  # a role removed, or one at the district
            if (school, role) not in user.roles:
                user.roles.insert(0 if role_type == "primary" else len(user.roles), (school, role))
            if role_type == "primary" and user.primary is None:
                user.primary = school

    def _read_demographics(self, t: CsvTable) -> None:
        at_birth = t.columns["birthDate"]
        for line, row, sid, _status, ok in self._rows(t):
            user = self.users.get(sid)
            if user is None:
                # A delta may carry a changed birth date of a user it does not list:
                # records cannot say "only the birth date changed", so it is not read.
                if "users" in self.complete:
                    self._error(t.name, line, "sourcedId", f"{sid!r} is not in users.csv")
                continue
            if not ok:
                user.valid = False
            value = row[at_birth]
            if value:
                born = self.dates(value)
                if born is None:
                    self._error(t.name, line, "birthDate", f"not a date (yyyy-mm-dd): {value!r}")
                    user.valid = False
                else:
                    self.births[sid] = born

    def _read_enrollments(self, t: CsvTable) -> None:
        at_class, at_school, at_user, at_role, at_primary, at_begin, at_end = _at(
            t,
            "classSourcedId",
            "schoolSourcedId",
            "userSourcedId",
            "role",
            "primary",
            "beginDate",
            "endDate",
        )
        classes, users, orgs = self.classes, self.users, self.org_school
        check_classes, check_users = "classes" in self.complete, "users" in self.complete
        check_orgs = "orgs" in self.complete
        memberships = self.feed.memberships
        name = t.name
        for line, row, _sid, status, ok in self._rows(t):
            class_id, user_id = row[at_class], row[at_user]
            group = classes.get(class_id)
            if group is None:
                if check_classes or not class_id:
                    self._error(name, line, "classSourcedId", f"{class_id!r} is not in classes.csv")
                    ok = False
                group = (SourceKey(SYSTEM, class_id), None)
            user = users.get(user_id)
            if user is not None:
                person = user.key
            elif check_users or not user_id:
                self._error(name, line, "userSourcedId", f"{user_id!r} is not in users.csv")
                ok = False
            else:
                person = SourceKey(SYSTEM, user_id)
            org = row[at_school]
            if org and check_orgs and org not in orgs and org not in self.known_schools:
                self._error(name, line, "schoolSourcedId", f"unknown org {org!r}")
                ok = False
            raw_role = row[at_role]
            try:
                role = (
                    ENROLLMENT_ROLES[raw_role]
                    if raw_role in ENROLLMENT_ROLES
                    else ENROLLMENT_ROLES[raw_role.lower()]
                )
            except KeyError:
                self._error(name, line, "role", f"unknown enrollment role {raw_role!r}")
                ok = False
                role = None
            primary = parse_bool(row[at_primary]) if row[at_primary] else False
            if primary is None:
                self._error(name, line, "primary", f"not true or false: {row[at_primary]!r}")
                ok = False
            if row[at_begin] or row[at_end]:
                ok &= self._check_dates(t, line, row, "beginDate", "endDate")
            if not ok or role is None:
                continue
            # A class outside a delta has no known kind: `primary` stands, the planner
            # knows whether the group is a homeroom.
            homeroom = (
                bool(primary) and role is MemberRole.TEACHER and group[1] is not GroupKind.COURSE
            )
            memberships.append(
                MembershipRecord(Origin(name, line), group[0], person, role, homeroom, status)
            )

    # ------------------------------------------------------------------ persons
    def _finish_users(self, *, roles_read: bool, v12: bool) -> None:
        persons = self.feed.persons
        births = self.births
        for sid, user in self.users.items():
            if not user.valid:
                continue
            if v12 and roles_read and not user.roles and user.status is RecordStatus.ACTIVE:
                self._error(
                    self.users_file, user.line, "sourcedId", "the user has no role in roles.csv"
                )
                continue
            primary = user.primary or (user.roles[0][0] if user.roles else None)
            persons.append(
                PersonRecord(
                    Origin(self.users_file, user.line), user.key, user.given, user.family,
                    births.get(sid), tuple(user.roles), primary, user.username, user.email,
                    status=user.status,
                )
            )  # fmt: skip


def _at(table: CsvTable, *columns: str) -> tuple[int, ...]:
    """The indexes of `columns`, looked up once per file rather than once per row."""
    return tuple(table.columns[c] for c in columns)
