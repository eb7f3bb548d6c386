"""Writing the demo city as a OneRoster 1.1 CSV bulk package (1EdTech, "OneRoster v1.1
CSV Tables"): `manifest.csv` and one file per table.

Every file carries all of its columns in the spec's order; values are quoted as RFC 4180
section 2 asks (the csv module's minimal quoting), UTF-8 without a byte order mark, CRLF
line ends. Bulk files leave `status` and `dateLastModified` empty, as the spec asks, and
`username` empty too: the school office has no logins to give; the identity system makes
them. Rows are produced one at a time, so a big city is never held as text in memory.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

from schulhof.demo.city import SCHOOL_YEAR, SCHOOL_YEAR_TITLE, City, Person, new_sourced_id
from schulhof.domain.model import GroupKind
from schulhof.importers.oneroster_spec import COLUMNS_11

# The headers the reader checks: one table of OneRoster 1.1 columns for both directions.
HEADERS: dict[str, tuple[str, ...]] = {
    name: COLUMNS_11[name]
    for name in ("orgs", "academicSessions", "courses", "classes", "users", "enrollments",
                 "demographics")
}  # fmt: skip
# Every file the 1.1 manifest names, in its order; those not in HEADERS are absent.
MANIFEST_FILES = (
    "academicSessions", "categories", "classes", "classResources", "courses",
    "courseResources", "demographics", "enrollments", "lineItems", "orgs", "resources",
    "results", "users",
)  # fmt: skip
CLASS_TYPES = {
    GroupKind.CLASS: "homeroom",
    GroupKind.COURSE: "scheduled",
    GroupKind.WORKGROUP: "scheduled",  # OneRoster has no workgroups: an AG is a class too
}
_BLANK_DEMOGRAPHICS = ("",) * 11

Row = Sequence[str]


def write_oneroster(out_dir: Path, city: City) -> dict[str, int]:
    """Write `city` into `out_dir` (made if missing) and return the rows per file."""
    out_dir.mkdir(parents=True, exist_ok=True)
    tables: dict[str, Iterable[Row]] = {
        "orgs": _orgs(city),
        "academicSessions": _sessions(city),
        "courses": _courses(city),
        "classes": _classes(city),
        "users": _users(city),
        "enrollments": _enrollments(city),
        "demographics": _demographics(city),
    }
    counts = {
        name: _write(out_dir / f"{name}.csv", HEADERS[name], rows) for name, rows in tables.items()
    }
    _write(out_dir / "manifest.csv", ("propertyName", "value"), _manifest(city))
    return counts


def _write(path: Path, header: Row, rows: Iterable[Row]) -> int:
    written = 0
    with path.open("w", encoding="utf-8", newline="") as f:
        out = csv.writer(f, lineterminator="\r\n")
        out.writerow(header)
        for row in rows:
            out.writerow(row)
            written += 1
    return written


def _grades(grades: Iterable[int]) -> str:
    """OneRoster grades are CEDS codes: "01" … "13"."""
    return ",".join(f"{g:02d}" for g in grades)


def _manifest(city: City) -> Iterator[Row]:
    yield "manifest.version", "1.0"
    yield "oneroster.version", "1.1"
    for name in MANIFEST_FILES:
        yield f"file.{name}", "bulk" if name in HEADERS else "absent"
    yield "source.systemName", "Schulhof demo city"
    yield "source.systemCode", f"schulhof-demo-seed-{city.seed}"


def _orgs(city: City) -> Iterator[Row]:
    yield city.district_id, "", "", city.name, "district", "DEMO", ""
    for s in city.schools:
        yield s.sourced_id, "", "", s.name, "school", s.number, city.district_id


def _sessions(city: City) -> Iterator[Row]:
    start, end = SCHOOL_YEAR
    title = SCHOOL_YEAR_TITLE
    yield (
        city.school_year_id,
        "",
        "",
        title,
        "schoolYear",
        start.isoformat(),
        end.isoformat(),
        "",
        str(end.year),
    )


def _courses(city: City) -> Iterator[Row]:
    year = city.school_year_id
    for c in city.courses:
        yield (
            c.sourced_id,
            "",
            "",
            year,
            c.title,
            c.code,
            _grades(c.grades),
            c.school.sourced_id,
            c.subject,
            "",
        )


def _classes(city: City) -> Iterator[Row]:
    year = city.school_year_id
    for s in city.sections:
        yield (
            s.sourced_id, "", "", s.title, _grades(s.grades), s.course.sourced_id, s.code,
            CLASS_TYPES[s.kind], s.location, s.school.sourced_id, year, s.course.subject, "", "",
        )  # fmt: skip


def _users(city: City) -> Iterator[Row]:
    for p in city.people():
        orgs = ",".join(s.sourced_id for s in p.schools)
        grade = "" if p.grade is None else f"{p.grade:02d}"
        yield (
            p.sourced_id, "", "", "true", orgs, p.role.value, "", "", p.given_name,
            p.family_name, "", p.identifier, "", "", "", "", grade, "",
        )  # fmt: skip


def _enrollments(city: City) -> Iterator[Row]:
    """Teachers first (the homeroom teacher is `primary`), then the students."""
    rng = random.Random(city.enrollment_seed)
    for s in city.sections:
        school = s.school.sourced_id
        for i, t in enumerate(s.teachers):
            primary = "true" if s.kind is GroupKind.CLASS and i == 0 else "false"
            yield (
                new_sourced_id(rng),
                "",
                "",
                s.sourced_id,
                school,
                t.sourced_id,
                "teacher",
                primary,
                "",
                "",
            )
        for p in s.students:
            yield (
                new_sourced_id(rng),
                "",
                "",
                s.sourced_id,
                school,
                p.sourced_id,
                "student",
                "",
                "",
                "",
            )


def _demographics(city: City) -> Iterator[Row]:
    for p in city.people():
        yield (p.sourced_id, "", "", p.birth_date.isoformat(), _sex(p), *_BLANK_DEMOGRAPHICS)


def _sex(p: Person) -> str:
    return "female" if p.female else "male"
