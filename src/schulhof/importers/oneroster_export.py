"""Writing the directory as a OneRoster 1.1 CSV bulk package (1EdTech, "OneRoster v1.1
CSV Tables"): the reader's format, written back, so an export reads in without an error.

Pure formatting: a `Snapshot` in, files out; nothing here queries the database.

What a OneRoster 1.1 package cannot say, and what is done instead:

- **Ids.** A record's `sourcedId` is its `oneroster` source link when it has one (so a
  package read from a roster system goes back out under that system's ids), else the
  Schulhof id. Courses, the school year and enrollments have no ids of their own here:
  theirs are derived from their class, dates and (class, user), the same on every run.
  A user's `identifier` is always the Schulhof id, whatever the `sourcedId`.
- **One role per user** (1.1 has no `roles.csv`). The role is the primary context's;
  `orgSourcedIds` lists every school of the person, the primary one first, so each of
  their enrollments stays inside one of their orgs. A teacher at one school and staff at
  another reads back as a teacher at both.
- **Roles** (`USER_ROLES` below; the reader maps them back, `oneroster_spec.USER_ROLES`):
  student → student, teacher → teacher, guardian → guardian, staff → administrator
  (reads back as staff), school admin → administrator (reads back as staff: a roster
  feed never grants admin rights, so that one is lossy on purpose).
- **Group kinds.** `classType` is homeroom or scheduled: a class is `homeroom`, a course
  and a workgroup are `scheduled` (a workgroup reads back as a course). Every class gets
  a course of its own, since 1.1 classes must name one.
- **Who is in it.** Active people with at least one context. Disabled people are left
  out rather than written with `enabledUser=false`: a consumer would otherwise keep
  accounts for people who have left, and our own reader reads `false` as leaving just
  as it reads absence. `enabledUser` is therefore always `true`.
- **Not carried:** school types, guardians' links to students (`agentSourcedIds`),
  grades, passwords. The authority is one `district` org, parent of every school.
"""

from __future__ import annotations

import csv
import datetime as dt
import uuid
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

from schulhof.domain.errors import ConfigurationError, ConflictError
from schulhof.domain.model import GroupKind, LifecycleState, MemberRole, Person, Role, SourceLink
from schulhof.domain.snapshot import Snapshot
from schulhof.importers.oneroster_spec import COLUMNS_11

SYSTEM = "oneroster"
AUTHORITY_ID = "authority"
# The namespace of derived ids (uuid5): fixed, so the same data gives the same ids.
_IDS = uuid.UUID("5c2f0d2e-8d1b-4f4e-9a57-6b0e1c3a9f21")

# Written in this order; the manifest goes last, so an interrupted export has none and
# no reader takes it for a complete package.
DATA_FILES = (
    "orgs", "academicSessions", "courses", "classes", "users", "demographics", "enrollments",
)  # fmt: skip
# Every file of the OneRoster 1.1 manifest (section 2.1); those not written are `absent`.
MANIFEST_FILES = (
    "academicSessions", "categories", "classes", "classResources", "courses",
    "courseResources", "demographics", "enrollments", "lineItems", "orgs", "resources",
    "results", "users",
)  # fmt: skip

USER_ROLES: dict[Role, str] = {
    Role.STUDENT: "student",
    Role.TEACHER: "teacher",
    Role.STAFF: "administrator",
    Role.SCHOOL_ADMIN: "administrator",
    Role.GUARDIAN: "guardian",
}
ENROLLMENT_ROLES: dict[MemberRole, str] = {
    MemberRole.STUDENT: "student",
    MemberRole.TEACHER: "teacher",
}
CLASS_TYPES: dict[GroupKind, str] = {
    GroupKind.CLASS: "homeroom",
    GroupKind.COURSE: "scheduled",
    GroupKind.WORKGROUP: "scheduled",
}

Row = dict[str, str]


def school_year_of(day: dt.date) -> tuple[dt.date, dt.date]:
    """The school year containing `day`: 1 August to 31 July."""
    start = dt.date(day.year if day.month >= 8 else day.year - 1, 8, 1)
    return start, dt.date(start.year + 1, 7, 31)


def write_oneroster(
    snapshot: Snapshot,
    out_dir: Path,
    *,
    school_year: tuple[dt.date, dt.date],
    authority: str = "Schulträger",
    force: bool = False,
) -> dict[str, int]:
    """Write the package into `out_dir` and return the rows written per file.

    `out_dir` is created if missing; an existing one must be empty unless `force`, which
    replaces the package's files and leaves any others alone.
    """
    _prepare(out_dir, force=force)
    tables = _tables(snapshot, school_year, authority)
    try:
        for name in DATA_FILES:
            _write_csv(out_dir / f"{name}.csv", COLUMNS_11[name], tables[name])
        _write_manifest(out_dir / "manifest.csv", set(DATA_FILES))
    except OSError as exc:
        raise ConfigurationError(f"cannot write the export to {out_dir}: {exc}") from exc
    return {name: len(tables[name]) for name in DATA_FILES}


# ---------------------------------------------------------------------- files
def _prepare(out_dir: Path, *, force: bool) -> None:
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise ConflictError(f"{out_dir} is a file, not a directory")
        if out_dir.is_dir() and any(out_dir.iterdir()):
            if not force:
                raise ConflictError(
                    f"{out_dir} is not empty: choose an empty directory, or use --force to "
                    "replace the OneRoster files in it"
                )
            # The old manifest goes first: until the new one is written, the folder is
            # not a package a reader would take as complete.
            (out_dir / "manifest.csv").unlink(missing_ok=True)
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigurationError(f"cannot write the export to {out_dir}: {exc}") from exc


def _write_csv(path: Path, columns: Sequence[str], rows: Iterable[Row]) -> None:
    # RFC 4180: CRLF line ends, and fields holding a comma, quote or line break quoted
    # (with inner quotes doubled) — what csv.QUOTE_MINIMAL does. UTF-8 without a BOM.
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
        out.writerow(columns)
        for row in rows:
            out.writerow([row.get(c, "") for c in columns])


def _write_manifest(path: Path, written: set[str]) -> None:
    rows: list[Row] = [
        {"propertyName": "manifest.version", "value": "1.0"},
        {"propertyName": "oneroster.version", "value": "1.1"},
    ]
    rows += [
        {"propertyName": f"file.{name}", "value": "bulk" if name in written else "absent"}
        for name in MANIFEST_FILES
    ]
    rows += [
        {"propertyName": "source.systemName", "value": "Schulhof"},
        {"propertyName": "source.systemCode", "value": "schulhof"},
    ]
    _write_csv(path, ("propertyName", "value"), rows)


# ---------------------------------------------------------------------- rows
def _sourced_ids(entities: Iterable[tuple[str, Sequence[SourceLink]]]) -> dict[str, str]:
    """Schulhof id → sourcedId: the `oneroster` link, else the Schulhof id, unique per file.

    Links are handed out first. An unlinked entity whose own id is already some other
    entity's link (which happens when a package of ours was read back and a record did
    not find its origin, so the import made a new entity under the old id) gets an id
    derived from its own instead: two rows with one sourcedId would make the whole
    package unreadable.
    """
    entities = list(entities)
    chosen: dict[str, str] = {}
    for own, sources in entities:
        link = next((s.source_id for s in sources if s.system == SYSTEM), None)
        if link is not None:
            chosen[own] = link
    taken = set(chosen.values())
    for own, _sources in entities:
        if own in chosen:
            continue
        candidate = own
        while candidate in taken:
            candidate = _derived_id("again", candidate)
        chosen[own] = candidate
        taken.add(candidate)
    return chosen


def _derived_id(*parts: str) -> str:
    return str(uuid.uuid5(_IDS, "\0".join(parts)))


def _bool(value: bool) -> str:
    return "true" if value else "false"


def exported_persons(snapshot: Snapshot) -> list[Person]:
    """The people the package lists: active, with a role at some school; by username."""
    return sorted(
        (p for p in snapshot.persons.values() if p.state is LifecycleState.ACTIVE and p.contexts),
        key=lambda p: p.username,
    )


def _tables(
    snapshot: Snapshot, school_year: tuple[dt.date, dt.date], authority: str
) -> dict[str, list[Row]]:
    start, end = school_year
    session = f"schoolyear-{start.isoformat()}"
    schools = sorted(snapshot.schools.values(), key=lambda s: s.number)
    by_school_id = _sourced_ids((s.id, s.sources) for s in schools)
    school_ids = {s.number: by_school_id[s.id] for s in schools}

    orgs: list[Row] = [{"sourcedId": AUTHORITY_ID, "name": authority, "type": "district"}]
    orgs += [
        {
            "sourcedId": school_ids[s.number],
            "name": s.name,
            "type": "school",
            "identifier": s.number,
            "parentSourcedId": AUTHORITY_ID,
        }
        for s in schools
    ]
    sessions: list[Row] = [
        {
            "sourcedId": session,
            "title": f"Schuljahr {start.year}/{end.year % 100:02d}",
            "type": "schoolYear",
            "startDate": start.isoformat(),
            "endDate": end.isoformat(),
            "schoolYear": str(end.year),  # OneRoster: the calendar year the school year ends
        }
    ]

    groups = sorted(
        (g for g in snapshot.groups.values() if g.school_number in school_ids),
        key=lambda g: (g.school_number, g.kind, g.name, g.id),
    )
    group_ids = _sourced_ids((g.id, g.sources) for g in groups)
    courses: list[Row] = []
    classes: list[Row] = []
    for g in groups:
        class_id, school = group_ids[g.id], school_ids[g.school_number]
        course_id = _derived_id("course", class_id)
        courses.append(
            {
                "sourcedId": course_id,
                "schoolYearSourcedId": session,
                "title": g.name,
                "orgSourcedId": school,
            }
        )
        classes.append(
            {
                "sourcedId": class_id,
                "title": g.name,
                "courseSourcedId": course_id,
                "classCode": g.name,
                "classType": CLASS_TYPES[g.kind],
                "schoolSourcedId": school,
                "termSourcedIds": session,
            }
        )

    people = exported_persons(snapshot)
    user_ids = _sourced_ids((p.id, p.sources) for p in people)
    users = [_user(p, user_ids[p.id], school_ids) for p in people]
    demographics: list[Row] = [
        {"sourcedId": user_ids[p.id], "birthDate": p.birth_date.isoformat()}
        for p in people
        if p.birth_date is not None
    ]
    return {
        "orgs": orgs,
        "academicSessions": sessions,
        "courses": courses,
        "classes": classes,
        "users": users,
        "demographics": demographics,
        "enrollments": _enrollments(snapshot, group_ids, user_ids, school_ids),
    }


def _user(person: Person, sourced_id: str, school_ids: Mapping[str, str]) -> Row:
    primary = next((c for c in person.contexts if c.primary), person.contexts[0])
    return {
        "sourcedId": sourced_id,
        "enabledUser": _bool(True),  # only active people are exported
        # The primary school first: the reader takes the first org as the primary one.
        "orgSourcedIds": ",".join(school_ids[nr] for nr in person.school_numbers),
        "role": USER_ROLES[primary.role],
        "username": person.username,
        "givenName": person.given_name,
        "familyName": person.family_name,
        "identifier": person.id,  # the Schulhof id: stable for the life of the account
        "email": person.email or "",
    }


def _enrollments(
    snapshot: Snapshot,
    group_ids: Mapping[str, str],
    user_ids: Mapping[str, str],
    school_ids: Mapping[str, str],
) -> list[Row]:
    rows: list[tuple[tuple[str, int, str], Row]] = []
    for m in snapshot.memberships.values():
        class_id, user_id = group_ids.get(m.group_id), user_ids.get(m.person_id)
        if class_id is None or user_id is None:
            continue  # a member who is not exported (disabled): no enrollment either
        group = snapshot.groups[m.group_id]
        row: Row = {
            "sourcedId": _derived_id("enrollment", class_id, user_id),
            "classSourcedId": class_id,
            "schoolSourcedId": school_ids[group.school_number],
            "userSourcedId": user_id,
            "role": ENROLLMENT_ROLES[m.role],
            "primary": _bool(m.homeroom_teacher),
        }
        order = (class_id, 0 if m.role is MemberRole.TEACHER else 1, user_id)
        rows.append((order, row))
    rows.sort(key=lambda item: item[0])
    return [row for _, row in rows]
