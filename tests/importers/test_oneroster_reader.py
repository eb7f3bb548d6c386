"""Reading OneRoster CSV packages: mapping, tolerance, and every error with its place."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest

from schulhof.domain.model import GroupKind, MemberRole, Role
from schulhof.importers.oneroster import read_oneroster
from schulhof.importers.records import (
    Feed,
    FeedMode,
    PersonRecord,
    RecordStatus,
    SourceKey,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "oneroster"
BULK = FIXTURES / "bulk"


def key(source_id: str) -> SourceKey:
    return SourceKey("oneroster", source_id)


def persons(feed: Feed) -> dict[str, PersonRecord]:
    return {p.key.source_id: p for p in feed.persons if p.key is not None}


def where(feed: Feed) -> list[tuple[str, int, str]]:
    return [(e.file, e.line, e.field) for e in feed.errors]


def copy(source: Path, tmp_path: Path) -> Path:
    target = tmp_path / source.name
    shutil.copytree(source, target)
    return target


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new), encoding="utf-8")


# ---------------------------------------------------------------------- a sound bulk feed
def test_a_bulk_package_reads_without_errors_as_a_full_feed() -> None:
    feed = read_oneroster(BULK)

    assert feed.errors == []
    assert feed.source == "oneroster"
    assert feed.mode is FeedMode.FULL
    assert feed.scope == {"91001", "s2"}
    assert (len(feed.schools), len(feed.persons), len(feed.groups), len(feed.memberships)) == (
        2, 7, 3, 5,
    )  # fmt: skip
    assert feed.files[0] == "manifest.csv"
    assert "enrollments.csv" in feed.files


def test_only_school_orgs_become_schools_numbered_by_identifier_else_sourced_id() -> None:
    feed = read_oneroster(BULK)

    assert [(s.key, s.number, s.name) for s in feed.schools] == [
        (key("s1"), "91001", "Grundschule Kastanienhof"),
        (key("s2"), "s2", "Gymnasium Lüerstraße"),  # no identifier: the sourcedId
    ]


def test_roles_map_to_school_roles_one_per_school_the_first_primary() -> None:
    people = persons(read_oneroster(BULK))

    assert people["u-stud"].roles == (("91001", Role.STUDENT),)
    assert people["u-teach"].roles == (("91001", Role.TEACHER), ("s2", Role.TEACHER))
    assert people["u-teach"].primary_school == "91001"
    assert people["u-admin"].roles == (("s2", Role.STAFF),)  # administrator: staff
    assert people["u-par"].roles == (("91001", Role.GUARDIAN),)
    assert people["u-stud2"].roles == (("91001", Role.STUDENT),)  # via its department
    assert people["u-dist"].roles == ()  # the district is no school
    assert people["u-dist"].primary_school is None


def test_names_emails_and_birth_dates_are_read() -> None:
    people = persons(read_oneroster(BULK))

    teacher = people["u-teach"]
    assert (teacher.given_name, teacher.family_name) == ("Maria", "Müller-Lüdenscheidt")
    assert teacher.email == "maria.mueller@example.org"
    assert teacher.birth_date == dt.date(1980, 12, 1)
    assert people["u-admin"].given_name == "Łukasz"
    assert people["u-admin"].birth_date is None  # no demographics row
    assert people["u-stud"].origin.line == 2
    assert people["u-teach"].origin.file == "users.csv"


def test_enabled_user_is_read_in_any_case_and_false_means_leaving() -> None:
    people = persons(read_oneroster(BULK))

    # u-stud "true", u-teach "TRUE", u-admin "True"
    assert {people[u].status for u in ("u-stud", "u-teach", "u-admin")} == {RecordStatus.ACTIVE}
    assert people["u-gone"].status is RecordStatus.TO_BE_DELETED


def test_filled_status_and_date_last_modified_in_a_bulk_file_are_accepted() -> None:
    feed = read_oneroster(BULK)

    assert persons(feed)["u-admin"].status is RecordStatus.ACTIVE  # status "active", a date
    assert feed.schools[1].status is RecordStatus.ACTIVE


def test_usernames_are_left_to_the_directory_unless_asked_for() -> None:
    assert {p.username for p in read_oneroster(BULK).persons} == {None}

    kept = persons(read_oneroster(BULK, keep_usernames=True))

    assert kept["u-teach"].username == "m.mueller"
    assert kept["u-stud"].username is None  # empty in the file


def test_homerooms_become_classes_and_scheduled_classes_courses() -> None:
    feed = read_oneroster(BULK)

    assert [(g.key, g.school_number, g.kind, g.name, g.origin.line) for g in feed.groups] == [
        (key("k5a"), "91001", GroupKind.CLASS, "5a", 2),
        # line 4: the location of 5a spans lines 2 and 3
        (key("k5a-de"), "91001", GroupKind.COURSE, "Deutsch 5a", 4),
        (key("k11"), "s2", GroupKind.CLASS, "11-T2", 5),
    ]


def test_enrollments_become_memberships_with_the_homeroom_teacher_flag() -> None:
    feed = read_oneroster(BULK)

    got = [(m.group, m.person, m.role, m.homeroom_teacher) for m in feed.memberships]
    assert got == [
        (key("k5a"), key("u-stud"), MemberRole.STUDENT, False),
        (key("k5a"), key("u-teach"), MemberRole.TEACHER, True),  # primary in a homeroom
        (key("k5a-de"), key("u-stud"), MemberRole.STUDENT, False),
        (key("k5a-de"), key("u-teach"), MemberRole.TEACHER, False),  # primary, but a course
        (key("k11"), key("u-stud2"), MemberRole.STUDENT, False),
    ]  # the proctor's enrollment (e6) has no place in a group


def test_a_zip_reads_like_the_folder(tmp_path: Path) -> None:
    archive = tmp_path / "roster.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(BULK.iterdir()):
            z.write(path, path.name)

    feed = read_oneroster(archive)
    folder = read_oneroster(BULK)

    assert feed.errors == []
    assert "roster.zip:users.csv" in feed.files
    assert [p.key for p in feed.persons] == [p.key for p in folder.persons]
    assert feed.memberships[1].origin.file == "roster.zip:enrollments.csv"
    assert len(feed.memberships) == len(folder.memberships)


def test_errors_inside_a_zip_name_archive_and_member(tmp_path: Path) -> None:
    archive = tmp_path / "roster.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(BULK.iterdir()):
            text = path.read_text(encoding="utf-8")
            if path.name == "users.csv":
                text = text.replace("u-par,,,true,s1,parent", "u-par,,,true,s1,janitor")
            z.writestr(path.name, text)

    feed = read_oneroster(archive)

    assert where(feed) == [("roster.zip:users.csv", 5, "role")]


# ---------------------------------------------------------------------- errors
def test_every_error_of_a_broken_package_is_reported_with_its_place() -> None:
    feed = read_oneroster(FIXTURES / "broken")

    assert where(feed) == [
        ("orgs.csv", 3, "sourcedId"),  # duplicate s1
        ("orgs.csv", 4, "identifier"),  # school number 91001 twice
        ("academicSessions.csv", 2, "endDate"),  # 2027-13-01
        ("courses.csv", 1, "subjectCodes"),  # a missing column
        ("classes.csv", 3, "schoolSourcedId"),  # unknown org s9
        ("classes.csv", 4, "classType"),  # lecture
        ("users.csv", 3, "role"),  # janitor
        ("users.csv", 4, "orgSourcedIds"),  # unknown org s7
        ("users.csv", 5, "sourcedId"),  # duplicate u1
        ("users.csv", 6, "dateLastModified"),  # yesterday
        ("users.csv", 7, "enabledUser"),  # perhaps
        ("demographics.csv", 2, "birthDate"),  # 2015-02-30
        ("demographics.csv", 3, "sourcedId"),  # unknown user u9
        ("enrollments.csv", 3, "classSourcedId"),  # unknown class k9
        ("enrollments.csv", 4, "userSourcedId"),  # unknown user u9
        ("enrollments.csv", 5, "sourcedId"),  # duplicate e1
        ("enrollments.csv", 6, "primary"),  # maybe
        ("enrollments.csv", 7, "beginDate"),  # 31.12.2026
        ("enrollments.csv", 8, "role"),  # coach
    ]


def test_error_messages_say_what_is_wrong() -> None:
    messages = {(e.file, e.line): e.message for e in read_oneroster(FIXTURES / "broken").errors}

    assert messages[("orgs.csv", 3)] == "duplicate sourcedId 's1' (first on line 2)"
    assert messages[("courses.csv", 1)] == "required column 'subjectCodes' is missing"
    assert messages[("enrollments.csv", 3)] == "'k9' is not in classes.csv"
    assert messages[("users.csv", 3)] == "unknown role 'janitor'"
    assert messages[("demographics.csv", 2)] == "not a date (yyyy-mm-dd): '2015-02-30'"


def test_a_row_with_an_error_yields_no_record() -> None:
    feed = read_oneroster(FIXTURES / "broken")

    assert feed.persons == []  # u1's birth date is broken; every other user too
    assert [g.key for g in feed.groups] == [key("k1")]


def test_each_duplicate_line_is_an_error(tmp_path: Path) -> None:
    package = copy(BULK, tmp_path)
    users = package / "users.csv"
    lines = users.read_text(encoding="utf-8").splitlines(keepends=True)
    users.write_text("".join([*lines, lines[1], lines[1]]), encoding="utf-8")

    feed = read_oneroster(package)

    assert where(feed) == [("users.csv", 9, "sourcedId"), ("users.csv", 10, "sourcedId")]
    assert len(feed.persons) == 7  # the first stays


def test_a_class_of_a_district_is_an_error(tmp_path: Path) -> None:
    package = copy(BULK, tmp_path)
    edit(package / "classes.csv", "homeroom,,s2,", "homeroom,,d1,")

    feed = read_oneroster(package)

    assert [(e.line, e.field, e.message) for e in feed.errors] == [
        (5, "schoolSourcedId", "org 'd1' is not a school")
    ]


def test_an_unknown_status_is_an_error(tmp_path: Path) -> None:
    package = copy(BULK, tmp_path)
    edit(package / "enrollments.csv", "e5,,,", "e5,retired,,")

    assert where(read_oneroster(package)) == [("enrollments.csv", 6, "status")]


# ---------------------------------------------------------------------- the manifest
def test_without_a_manifest_the_feed_is_a_delta_and_an_error(tmp_path: Path) -> None:
    package = copy(BULK, tmp_path)
    (package / "manifest.csv").unlink()

    feed = read_oneroster(package)

    assert feed.mode is FeedMode.DELTA
    assert feed.scope == set()
    assert where(feed) == [("manifest.csv", 0, "")]
    assert len(feed.persons) == 7


def test_a_file_the_manifest_lists_but_that_is_missing_is_an_error(tmp_path: Path) -> None:
    package = copy(BULK, tmp_path)
    (package / "demographics.csv").unlink()

    feed = read_oneroster(package)

    assert [(e.file, e.line, e.message) for e in feed.errors] == [
        (
            "demographics.csv",
            0,
            "the manifest lists demographics.csv as bulk, but the file is missing",
        )
    ]


def test_a_file_the_manifest_calls_absent_is_not_read(tmp_path: Path) -> None:
    package = copy(BULK, tmp_path)
    edit(package / "manifest.csv", "file.demographics,bulk", "file.demographics,absent")

    feed = read_oneroster(package)

    assert feed.errors == []
    assert "demographics.csv" not in feed.files
    assert {p.birth_date for p in feed.persons} == {None}


def test_bulk_and_delta_mixed_is_an_error_and_no_full_feed(tmp_path: Path) -> None:
    package = copy(BULK, tmp_path)
    edit(package / "manifest.csv", "file.enrollments,bulk", "file.enrollments,delta")

    feed = read_oneroster(package)

    assert feed.mode is FeedMode.DELTA
    assert where(feed) == [("manifest.csv", 0, "")]
    assert "mixed" in feed.errors[0].message


def test_a_single_csv_file_is_not_a_package(tmp_path: Path) -> None:
    feed = read_oneroster(BULK / "users.csv")

    assert where(feed) == [("users.csv", 0, "")]
    assert feed.persons == []


# ---------------------------------------------------------------------- OneRoster 1.2
def test_version_1_2_takes_roles_from_roles_csv() -> None:
    feed = read_oneroster(FIXTURES / "v12", keep_usernames=True)
    people = persons(feed)

    assert feed.mode is FeedMode.FULL
    assert people["u1"].roles == (("91002", Role.STUDENT),)
    # the primary role first; the district administrator role has no school
    assert people["u2"].roles == (("91002", Role.TEACHER), ("91001", Role.TEACHER))
    assert people["u2"].primary_school == "91002"
    assert people["u2"].username == "t.lehrer"
    assert [(m.person, m.homeroom_teacher) for m in feed.memberships] == [
        (key("u1"), False),
        (key("u2"), True),
    ]


def test_a_1_2_user_without_any_role_is_an_error() -> None:
    feed = read_oneroster(FIXTURES / "v12")

    assert [(e.file, e.line, e.message) for e in feed.errors] == [
        ("users.csv", 4, "the user has no role in roles.csv")
    ]
    assert "u3" not in persons(feed)


def test_without_a_version_the_users_header_tells_1_1_from_1_2(tmp_path: Path) -> None:
    package = copy(FIXTURES / "v12", tmp_path)
    edit(package / "manifest.csv", "oneroster.version,1.2\n", "")

    feed = read_oneroster(package)

    assert persons(feed)["u2"].roles == (("91002", Role.TEACHER), ("91001", Role.TEACHER))


def test_a_1_1_users_file_in_a_1_2_package_misses_1_2_columns(tmp_path: Path) -> None:
    package = copy(FIXTURES / "v12", tmp_path)
    shutil.copy(BULK / "users.csv", package / "users.csv")

    feed = read_oneroster(package)

    assert ("users.csv", 1, "primaryOrgSourcedId") in where(feed)


# ---------------------------------------------------------------------- deltas
DELTA = FIXTURES / "delta"


def test_a_delta_needs_the_school_numbers_of_orgs_it_does_not_carry() -> None:
    feed = read_oneroster(DELTA)

    assert where(feed) == [
        ("classes.csv", 2, "schoolSourcedId"),
        ("users.csv", 2, "orgSourcedIds"),
        ("users.csv", 3, "orgSourcedIds"),
    ]
    assert feed.errors[0].message == "unknown org 's1'"


def test_a_delta_reads_changes_and_removals() -> None:
    feed = read_oneroster(DELTA, known_schools={"s1": "91001"})
    people = persons(feed)

    assert feed.errors == []
    assert feed.mode is FeedMode.DELTA
    assert feed.scope == set()
    assert people["u-new"].status is RecordStatus.ACTIVE
    assert people["u-new"].roles == (("91001", Role.STUDENT),)
    assert people["u-new"].birth_date == dt.date(2014, 6, 20)
    assert people["u-old"].status is RecordStatus.TO_BE_DELETED
    assert "u-elsewhere" not in people  # a birth date alone changes no record
    assert [(g.key, g.school_number) for g in feed.groups] == [(key("k7"), "91001")]


def test_a_delta_may_refer_to_classes_and_users_outside_it() -> None:
    feed = read_oneroster(DELTA, known_schools={"s1": "91001"})

    assert [(m.group, m.person, m.status, m.homeroom_teacher) for m in feed.memberships] == [
        (key("k7"), key("u-new"), RecordStatus.ACTIVE, False),
        (key("k-old"), key("u-old"), RecordStatus.TO_BE_DELETED, False),
        # a class outside the delta: `primary` stands, the planner knows the kind
        (key("k-outside"), key("u-teacher-outside"), RecordStatus.ACTIVE, True),
    ]


@pytest.mark.parametrize("value", ["tobedeleted", "TOBEDELETED", "inactive"])
def test_removal_statuses(tmp_path: Path, value: str) -> None:
    package = copy(DELTA, tmp_path)
    edit(package / "users.csv", "u-new,active,", f"u-new,{value},")

    feed = read_oneroster(package, known_schools={"s1": "91001"})

    assert feed.errors == []
    assert persons(feed)["u-new"].status is RecordStatus.TO_BE_DELETED
