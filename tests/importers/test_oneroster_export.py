"""The OneRoster 1.1 export, read back by our own reader: into a fresh directory (the same
people, schools, roles, classes and homerooms) and into the directory it came from (nothing
to change). Both backends for the source directory; the copy is a new SQLite file."""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from schulhof.access.actors import OPERATOR, operator
from schulhof.domain.errors import ConflictError
from schulhof.domain.model import (
    Context,
    GroupKind,
    LifecycleState,
    MemberRole,
    PersonDraft,
    Role,
    SchoolType,
)
from schulhof.importers.oneroster import read_oneroster
from schulhof.importers.oneroster_export import school_year_of, write_oneroster
from schulhof.importers.pipeline import import_path
from schulhof.importers.records import FeedMode
from schulhof.services import groups, persons, schools
from schulhof.services.export import directory_snapshot
from schulhof.services.runtime import Services, open_services
from schulhof.services.settings import Settings
from tests.cli.runner import run

OP = operator("test")
YEAR = (dt.date(2026, 8, 1), dt.date(2027, 7, 31))
CITYGEN = Path(
    os.environ.get(
        "SCHULHOF_CITYGEN",
        Path(__file__).resolve().parents[3] / "shared" / "bench" / "citygen.py",
    )
)


# ---------------------------------------------------------------------- a small directory
@dataclass(frozen=True, slots=True)
class Small:
    maria: str  # teacher at both schools, homeroom teacher of 5a
    anna: str  # a name with a comma and quotes
    gone: str  # disabled: not exported


def _person(
    svc: Services,
    given: str,
    family: str,
    born: dt.date | None,
    *contexts: Context,
    email: str | None = None,
) -> str:
    draft = PersonDraft(given, family, born, email=email, contexts=contexts)
    return persons.add_person(svc, OP, draft).id


def build_small(svc: Services, *, with_disabled: bool = True) -> Small:
    schools.add_school(svc, OP, "91000", "Grundschule Am Lindener Markt", SchoolType.GS)
    schools.add_school(svc, OP, "91007", 'Gymnasium "Goetheplatz", Nord', SchoolType.GY)
    maria = _person(
        svc,
        "Maria",
        "Müller-Lüdenscheidt",
        dt.date(1980, 12, 1),
        Context("91000", Role.TEACHER, primary=True),
        Context("91007", Role.TEACHER),
        email="maria.mueller@schule.example",
    )
    hans = _person(svc, "Hans", "Meier", dt.date(1975, 5, 5), Context("91007", Role.TEACHER))
    _person(svc, "Gülşen", "Öztürk", dt.date(1969, 2, 2), Context("91000", Role.STAFF))
    students = [
        _person(svc, given, family, born, Context(school, Role.STUDENT))
        for given, family, born, school in [
            ("Jürgen", "Weiß", dt.date(2015, 3, 14), "91000"),
            ("Minh Khai", "Nguyễn", dt.date(2015, 6, 30), "91000"),
            ("Thị Bích Ngọc", "Trần", dt.date(2015, 1, 9), "91000"),
            ("Łukasz", "Wiśniewski", dt.date(2010, 11, 11), "91007"),
        ]
    ]
    anna = _person(
        svc,
        'Anna "Ani"',
        "O'Neill, geb. Smith",
        dt.date(2010, 4, 1),
        Context("91007", Role.STUDENT),
    )
    gone = ""
    if with_disabled:
        gone = _person(svc, "Weg", "Gezogen", dt.date(2015, 7, 7), Context("91000", Role.STUDENT))

    k5a = groups.add_group(svc, OP, "91000", GroupKind.CLASS, "5a")
    k10b = groups.add_group(svc, OP, "91007", GroupKind.CLASS, "10b")
    german = groups.add_group(svc, OP, "91000", GroupKind.COURSE, "Deutsch, 5a (Förder)")
    groups.add_member(svc, OP, k5a.id, maria, MemberRole.TEACHER, homeroom_teacher=True)
    groups.add_member(svc, OP, german.id, maria, MemberRole.TEACHER)
    groups.add_member(svc, OP, k10b.id, hans, MemberRole.TEACHER, homeroom_teacher=True)
    groups.add_member(svc, OP, k10b.id, maria, MemberRole.TEACHER)
    for pid in (*students[:3], gone):
        if pid:
            groups.add_member(svc, OP, k5a.id, pid, MemberRole.STUDENT)
    groups.add_member(svc, OP, german.id, students[0], MemberRole.STUDENT)
    for pid in (students[3], anna):
        groups.add_member(svc, OP, k10b.id, pid, MemberRole.STUDENT)
    if gone:
        persons.disable_person(svc, OP, gone)
    return Small(maria, anna, gone)


# ---------------------------------------------------------------------- comparing
def view(svc: Services) -> dict[str, Any]:
    """The directory as the round trip must keep it: keyed by school number, username and
    (school, group name), so ids and source links may differ."""
    snap = directory_snapshot(svc)
    active = {
        p.id: p for p in snap.persons.values() if p.state is LifecycleState.ACTIVE and p.contexts
    }
    people = {
        p.username: (
            p.given_name,
            p.family_name,
            p.birth_date,
            p.email,
            sorted((c.school_number, c.role.value, c.primary) for c in p.contexts),
        )
        for p in active.values()
    }
    members: dict[str, list[tuple[str, str, bool]]] = {g: [] for g in snap.groups}
    for m in snap.memberships.values():
        if m.person_id in active:
            members[m.group_id].append(
                (active[m.person_id].username, m.role.value, m.homeroom_teacher)
            )
    return {
        "schools": {nr: s.name for nr, s in snap.schools.items()},
        "people": people,
        "groups": {
            (g.school_number, g.name): (g.kind.value, sorted(members[g.id]))
            for g in snap.groups.values()
        },
    }


def fresh_copy(tmp_path: Path) -> Services:
    """An empty directory that keeps the package's usernames."""
    return open_services(
        f"sqlite:///{tmp_path / 'copy.sqlite'}", Settings(keep_source_usernames=True)
    )


def export(svc: Services, out: Path) -> dict[str, int]:
    return write_oneroster(directory_snapshot(svc), out, school_year=YEAR)


def changes(summary: dict[str, Any]) -> dict[str, Any]:
    keys = (
        "created", "updated", "moved", "disabled", "enabled", "review", "schools_created",
        "groups_created", "groups_renamed", "groups_deleted", "memberships_added",
        "memberships_removed", "memberships_changed", "errors",
    )  # fmt: skip
    return {k: summary[k] for k in keys}


NOTHING = {
    **dict.fromkeys(
        ("created", "updated", "moved", "disabled", "enabled", "review", "schools_created",
         "groups_created", "groups_renamed", "groups_deleted", "memberships_added",
         "memberships_removed", "memberships_changed"),
        0,
    ),
    "errors": [],
}  # fmt: skip


# ---------------------------------------------------------------------- round trips
def test_a_fresh_directory_fed_the_export_holds_the_same_people_schools_and_classes(
    svc: Services, tmp_path: Path
) -> None:
    build_small(svc)
    counts = export(svc, tmp_path / "out")

    assert counts == {
        "orgs": 3, "academicSessions": 1, "courses": 3, "classes": 3, "users": 8,
        "demographics": 8, "enrollments": 10,
    }  # fmt: skip
    copy = fresh_copy(tmp_path)
    report = import_path(copy, OP, "oneroster", tmp_path / "out", approve=True)

    assert report.errors == []
    assert report.applied
    assert len(report.plan.created) == 8
    original = view(svc)
    assert view(copy) == original
    assert "weg.gezogen" not in original["people"]  # disabled: not exported
    assert ("maria.mueller-lueden", "teacher", True) in original["groups"][("91000", "5a")][1]
    copy.engine.dispose()


def test_reimporting_the_export_into_its_own_directory_changes_nothing_but_links(
    svc: Services, tmp_path: Path
) -> None:
    """People made by hand have no OneRoster link, so the package names them by their
    Schulhof id; the import finds them by name and birth date and records that id as
    their OneRoster link (reported as 'source links'). After that, nothing at all."""
    build_small(svc, with_disabled=False)
    before = view(svc)
    export(svc, tmp_path / "first")
    first = import_path(svc, OP, "oneroster", tmp_path / "first", approve=True)

    assert changes(first.summary()) == NOTHING | {"updated": 8}
    assert {c.detail for c in first.plan.updated} == {"source links"}
    assert view(svc) == before

    export(svc, tmp_path / "second")
    second = import_path(svc, OP, "oneroster", tmp_path / "second", approve=True).summary()

    assert changes(second) == NOTHING
    assert second["unchanged"] == 8
    assert not second["applied"]
    assert view(svc) == before


def test_reimport_reads_a_person_disabled_by_hand_as_having_left(
    svc: Services, tmp_path: Path
) -> None:
    """Disabled people are not exported, and a full feed without them says they left:
    their roles and classes go (they stay disabled, as they were)."""
    small = build_small(svc)
    export(svc, tmp_path / "out")

    report = import_path(svc, OP, "oneroster", tmp_path / "out", approve=True)

    summary = report.summary()
    assert (summary["disabled"], summary["memberships_removed"]) == (0, 1)
    gone = persons.get_person(svc, OPERATOR, small.gone)
    assert gone.person.state is LifecycleState.DISABLED
    assert gone.person.contexts == ()
    assert gone.classes == ()
    assert [c.detail for c in report.plan.updated if c.username == "weg.gezogen"] == [
        "roles: ; classes: -5a"
    ]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if not CITYGEN.is_file():
        pytest.skip(f"the city generator is not at {CITYGEN}")
    out = tmp_path_factory.mktemp("city")
    subprocess.run(
        [sys.executable, str(CITYGEN), "--out", str(out), "--schools", "3", "--students", "200",
         "--teachers", "20"],
        check=True, capture_output=True,
    )  # fmt: skip
    return out / "oneroster"


def test_a_city_read_from_oneroster_goes_out_and_back_in_unchanged(
    svc: Services, tmp_path: Path, city: Path
) -> None:
    loaded = import_path(svc, OP, "oneroster", city, approve=True)
    assert loaded.errors == []
    original = view(svc)
    counts = export(svc, tmp_path / "out")

    again = import_path(svc, OP, "oneroster", tmp_path / "out", approve=True).summary()

    assert changes(again) == NOTHING
    assert again["unchanged"] == counts["users"] == len(original["people"])
    assert view(svc) == original
    # The ids are the roster system's own: the export names everything as it was fed.
    source_ids = {row["sourcedId"] for row in rows(city / "users.csv")}
    assert {row["sourcedId"] for row in rows(tmp_path / "out" / "users.csv")} == source_ids

    copy = fresh_copy(tmp_path)
    report = import_path(copy, OP, "oneroster", tmp_path / "out", approve=True)
    assert report.errors == []
    assert view(copy) == original
    copy.engine.dispose()


# ---------------------------------------------------------------------- the files
def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_files_are_utf8_crlf_rfc4180_and_the_same_bytes_every_time(
    svc: Services, tmp_path: Path
) -> None:
    build_small(svc)
    export(svc, tmp_path / "a")
    export(svc, tmp_path / "b")

    names = sorted(p.name for p in (tmp_path / "a").iterdir())
    assert names == [
        "academicSessions.csv", "classes.csv", "courses.csv", "demographics.csv",
        "enrollments.csv", "manifest.csv", "orgs.csv", "users.csv",
    ]  # fmt: skip
    for name in names:
        data = (tmp_path / "a" / name).read_bytes()
        assert data == (tmp_path / "b" / name).read_bytes()
        assert not data.startswith(b"\xef\xbb\xbf")
        assert data.count(b"\r\n") == data.count(b"\n") > 0
    users = (tmp_path / "a" / "users.csv").read_text(encoding="utf-8")
    assert '"Anna ""Ani""","O\'Neill, geb. Smith"' in users
    assert "Nguyễn" in users
    orgs = (tmp_path / "a" / "orgs.csv").read_text(encoding="utf-8")
    assert '"Gymnasium ""Goetheplatz"", Nord"' in orgs


def test_manifest_lists_the_files_written_as_bulk_and_the_rest_absent(
    svc: Services, tmp_path: Path
) -> None:
    build_small(svc)
    export(svc, tmp_path / "out")

    manifest = {r["propertyName"]: r["value"] for r in rows(tmp_path / "out" / "manifest.csv")}

    assert manifest["manifest.version"] == "1.0"
    assert manifest["oneroster.version"] == "1.1"
    bulk = {k[5:] for k, v in manifest.items() if k.startswith("file.") and v == "bulk"}
    absent = {k[5:] for k, v in manifest.items() if k.startswith("file.") and v == "absent"}
    assert bulk == {
        "orgs", "academicSessions", "courses", "classes", "users", "demographics", "enrollments",
    }  # fmt: skip
    assert absent == {"categories", "classResources", "courseResources", "lineItems",
                      "resources", "results"}  # fmt: skip
    feed = read_oneroster(tmp_path / "out")
    assert feed.errors == []
    assert feed.mode is FeedMode.FULL
    assert feed.scope == {"91000", "91007"}


def test_rows_carry_roles_schools_homerooms_and_the_school_year(
    svc: Services, tmp_path: Path
) -> None:
    small = build_small(svc)
    export(svc, tmp_path / "out")
    out = tmp_path / "out"

    orgs = rows(out / "orgs.csv")
    assert [(o["type"], o["identifier"], o["parentSourcedId"]) for o in orgs] == [
        ("district", "", ""),
        ("school", "91000", orgs[0]["sourcedId"]),
        ("school", "91007", orgs[0]["sourcedId"]),
    ]
    school = {o["identifier"]: o["sourcedId"] for o in orgs[1:]}
    users = {u["username"]: u for u in rows(out / "users.csv")}
    assert "weg.gezogen" not in users
    assert small.gone not in {u["sourcedId"] for u in users.values()}
    maria = users["maria.mueller-lueden"]
    assert maria["sourcedId"] == small.maria  # no OneRoster link: the Schulhof id
    assert maria["orgSourcedIds"] == f"{school['91000']},{school['91007']}"
    assert maria["role"] == "teacher"
    assert maria["enabledUser"] == "true"
    assert maria["email"] == "maria.mueller@schule.example"
    assert users["guelsen.oeztuerk"]["role"] == "administrator"  # staff
    assert users["juergen.weiss"]["grades"] == ""

    (session,) = rows(out / "academicSessions.csv")
    assert (session["type"], session["startDate"], session["endDate"], session["schoolYear"]) == (
        "schoolYear", "2026-08-01", "2027-07-31", "2027",
    )  # fmt: skip
    classes = {c["title"]: c for c in rows(out / "classes.csv")}
    assert {t: c["classType"] for t, c in classes.items()} == {
        "5a": "homeroom", "10b": "homeroom", "Deutsch, 5a (Förder)": "scheduled",
    }  # fmt: skip
    courses = {c["sourcedId"]: c for c in rows(out / "courses.csv")}
    for c in classes.values():
        assert c["termSourcedIds"] == session["sourcedId"]
        assert courses[c["courseSourcedId"]]["title"] == c["title"]
        assert courses[c["courseSourcedId"]]["orgSourcedId"] == c["schoolSourcedId"]

    primary = {
        (e["classSourcedId"], e["userSourcedId"])
        for e in rows(out / "enrollments.csv")
        if e["primary"] == "true"
    }
    assert primary == {
        (classes["5a"]["sourcedId"], small.maria),
        (classes["10b"]["sourcedId"], users["hans.meier"]["sourcedId"]),
    }
    assert small.gone not in {e["userSourcedId"] for e in rows(out / "enrollments.csv")}
    births = {d["sourcedId"]: d["birthDate"] for d in rows(out / "demographics.csv")}
    assert births[small.maria] == "1980-12-01"


def test_school_years_run_from_august_to_july() -> None:
    assert school_year_of(dt.date(2026, 8, 1)) == YEAR
    assert school_year_of(dt.date(2027, 7, 31)) == YEAR
    assert school_year_of(dt.date(2027, 1, 15)) == YEAR
    assert school_year_of(dt.date(2026, 7, 31)) == (dt.date(2025, 8, 1), dt.date(2026, 7, 31))


# ---------------------------------------------------------------------- what 1.1 cannot say
def test_one_role_per_user_the_primary_contexts_at_every_school_of_the_person(
    svc: Services, tmp_path: Path
) -> None:
    schools.add_school(svc, OP, "91000", "Grundschule")
    schools.add_school(svc, OP, "91007", "Gymnasium")
    _person(
        svc,
        "Otto",
        "Misch",
        dt.date(1975, 1, 1),
        Context("91000", Role.TEACHER, primary=True),
        Context("91007", Role.STAFF),
    )
    _person(
        svc,
        "Petra",
        "Leiter",
        dt.date(1970, 1, 1),
        Context("91000", Role.SCHOOL_ADMIN, primary=True),
        Context("91000", Role.TEACHER),
    )
    export(svc, tmp_path / "out")
    users = {u["username"]: u for u in rows(tmp_path / "out" / "users.csv")}
    assert users["otto.misch"]["role"] == "teacher"
    assert users["petra.leiter"]["role"] == "administrator"

    copy = fresh_copy(tmp_path)
    import_path(copy, OP, "oneroster", tmp_path / "out", approve=True)

    people = view(copy)["people"]
    assert people["otto.misch"][4] == [("91000", "teacher", True), ("91007", "teacher", False)]
    assert people["petra.leiter"][4] == [("91000", "staff", True)]  # feeds grant no admin
    copy.engine.dispose()


def test_workgroups_go_out_as_scheduled_classes_and_come_back_as_courses(
    svc: Services, tmp_path: Path
) -> None:
    schools.add_school(svc, OP, "91000", "Grundschule")
    kid = _person(svc, "Kim", "Lee", dt.date(2015, 1, 1), Context("91000", Role.STUDENT))
    choir = groups.add_group(svc, OP, "91000", GroupKind.WORKGROUP, "Chor")
    groups.add_member(svc, OP, choir.id, kid, MemberRole.STUDENT)
    export(svc, tmp_path / "out")
    assert rows(tmp_path / "out" / "classes.csv")[0]["classType"] == "scheduled"

    copy = fresh_copy(tmp_path)
    import_path(copy, OP, "oneroster", tmp_path / "out", approve=True)

    assert view(copy)["groups"] == {("91000", "Chor"): ("course", [("kim.lee", "student", False)])}
    copy.engine.dispose()


# Re-imports into the directory the package came from that do change something. Each is a
# rule of the reader or planner, not of the export; strict, so a fix shows up as XPASS.
def test_reimport_keeps_school_admins(svc: Services, tmp_path: Path) -> None:
    schools.add_school(svc, OP, "91000", "Grundschule")
    _person(
        svc,
        "Petra",
        "Leiter",
        dt.date(1970, 1, 1),
        Context("91000", Role.TEACHER, primary=True),
        Context("91000", Role.SCHOOL_ADMIN),
    )
    before = view(svc)
    export(svc, tmp_path / "out")
    import_path(svc, OP, "oneroster", tmp_path / "out", approve=True)
    assert view(svc) == before


def test_reimport_keeps_workgroups(svc: Services, tmp_path: Path) -> None:
    schools.add_school(svc, OP, "91000", "Grundschule")
    kid = _person(svc, "Kim", "Lee", dt.date(2015, 1, 1), Context("91000", Role.STUDENT))
    choir = groups.add_group(svc, OP, "91000", GroupKind.WORKGROUP, "Chor")
    groups.add_member(svc, OP, choir.id, kid, MemberRole.STUDENT)
    export(svc, tmp_path / "out")
    summary = import_path(svc, OP, "oneroster", tmp_path / "out", approve=True).summary()
    assert summary["groups_created"] == 0


def test_reimport_finds_people_without_a_birth_date(svc: Services, tmp_path: Path) -> None:
    schools.add_school(svc, OP, "91000", "Grundschule")
    _person(svc, "Hans", "Meier", None, Context("91000", Role.TEACHER))
    export(svc, tmp_path / "out")
    summary = import_path(svc, OP, "oneroster", tmp_path / "out", approve=True).summary()
    assert summary["review"] == 0


def test_a_workgroup_comes_back_as_itself(svc: Services, tmp_path: Path) -> None:
    """OneRoster has no workgroups ("scheduled" reads as a course): the re-import finds the
    workgroup by its own id, links it, and the next export is still one row per group."""
    schools.add_school(svc, OP, "91000", "Grundschule")
    choir = groups.add_group(svc, OP, "91000", GroupKind.WORKGROUP, "Chor")
    export(svc, tmp_path / "first")
    import_path(svc, OP, "oneroster", tmp_path / "first", approve=True)
    found = groups.list_groups(svc)
    assert [(g.group.id, g.group.kind) for g in found] == [(choir.id, GroupKind.WORKGROUP)]
    export(svc, tmp_path / "second")
    ids = [c["sourcedId"] for c in rows(tmp_path / "second" / "classes.csv")]
    assert ids == [choir.id]
    assert read_oneroster(tmp_path / "second").errors == []


# ---------------------------------------------------------------------- the folder
def test_a_non_empty_folder_is_refused_unless_forced(svc: Services, tmp_path: Path) -> None:
    schools.add_school(svc, OP, "91000", "Grundschule")
    out = tmp_path / "out"
    out.mkdir()
    (out / "notes.txt").write_text("mine", encoding="utf-8")

    with pytest.raises(ConflictError, match=str(out)):
        export(svc, out)
    assert sorted(p.name for p in out.iterdir()) == ["notes.txt"]

    counts = write_oneroster(directory_snapshot(svc), out, school_year=YEAR, force=True)

    assert counts["orgs"] == 2
    assert (out / "notes.txt").read_text(encoding="utf-8") == "mine"
    assert read_oneroster(out).errors == []


def test_a_missing_folder_is_made(svc: Services, tmp_path: Path) -> None:
    export(svc, tmp_path / "a" / "b")
    assert (tmp_path / "a" / "b" / "manifest.csv").is_file()


# ---------------------------------------------------------------------- the command
def test_the_command_writes_the_package_and_refuses_a_non_empty_folder(
    svc: Services, db_url: str, tmp_path: Path
) -> None:
    build_small(svc)
    out = tmp_path / "out"

    done = run(db_url, "export", "oneroster", str(out), "--json")

    assert done.returncode == 0, done.stderr
    counts = json.loads(done.stdout)
    assert counts["users"] == 8
    assert counts["enrollments"] == 10
    assert set(counts) == {
        "orgs", "academicSessions", "courses", "classes", "users", "demographics", "enrollments",
    }  # fmt: skip
    assert read_oneroster(out).errors == []

    refused = run(db_url, "export", "oneroster", str(out))
    assert refused.returncode == 4
    assert str(out) in " ".join(refused.stderr.split())
    assert "--force" in refused.stderr

    forced = run(db_url, "export", "oneroster", str(out), "--force")
    assert forced.returncode == 0, forced.stderr
    assert "users.csv: 8" in forced.stdout
