"""The demo city: deterministic, realistic, and a OneRoster package the reader accepts."""

from __future__ import annotations

import csv
import datetime as dt
from collections import Counter
from pathlib import Path

import pytest

from schulhof.demo.city import KINDS, City
from schulhof.demo.generator import apportion, generate_city, write_oneroster
from schulhof.demo.names import NameOrigin
from schulhof.demo.oneroster import HEADERS
from schulhof.domain.errors import ValidationError
from schulhof.domain.model import GroupKind, Role, SchoolType

SMALL = {"schools": 5, "students": 600, "teachers": 60}
VIETNAMESE_MARKS = set("ăâđêôơưĐàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ")


def read(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def city() -> City:
    return generate_city(**SMALL, seed=7)


@pytest.fixture(scope="module")
def package(city: City, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("oneroster")
    write_oneroster(out, city)
    return out


@pytest.fixture(scope="module")
def big() -> City:
    return generate_city(schools=20, students=6000, teachers=500, seed=3)


def test_same_seed_same_bytes_other_seed_other_city(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a", tmp_path / "b", tmp_path / "c"
    write_oneroster(first, generate_city(**SMALL, seed=1))
    write_oneroster(second, generate_city(**SMALL, seed=1))
    write_oneroster(other, generate_city(**SMALL, seed=2))
    names = sorted(p.name for p in first.iterdir())
    assert names == sorted(p.name for p in second.iterdir())
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name
    assert (first / "users.csv").read_bytes() != (other / "users.csv").read_bytes()


def test_counts_are_met_exactly(city: City, tmp_path: Path) -> None:
    counts = write_oneroster(tmp_path, city)
    assert counts["users"] == counts["demographics"] == 660
    assert counts["orgs"] == 6  # the city and its schools
    assert counts["academicSessions"] == 1
    assert counts["classes"] == len(city.sections)
    assert counts["courses"] == len(city.courses)
    assert counts["enrollments"] == sum(len(s.students) + len(s.teachers) for s in city.sections)
    users = read(tmp_path / "users.csv")
    assert Counter(u["role"] for u in users) == {"student": 600, "teacher": 60}
    summary = city.summary()
    assert (summary["schools"], summary["students"], summary["teachers"]) == (5, 600, 60)
    assert min(summary["classes"], summary["courses"], summary["workgroups"]) > 0


def test_files_follow_the_oneroster_11_csv_binding(package: Path) -> None:
    for name, header in HEADERS.items():
        raw = (package / f"{name}.csv").read_bytes()
        assert raw.decode("utf-8").split("\r\n")[0] == ",".join(header)
        assert raw.count(b"\n") == raw.count(b"\r\n"), f"{name}: bare LF"
        assert not raw.startswith(b"\xef\xbb\xbf")
        for row in read(package / f"{name}.csv"):
            assert row["status"] == row["dateLastModified"] == "", name  # bulk
    assert read(package / "users.csv")[0].keys() == {
        "sourcedId", "status", "dateLastModified", "enabledUser", "orgSourcedIds", "role",
        "username", "userIds", "givenName", "familyName", "middleName", "identifier", "email",
        "sms", "phone", "agentSourcedIds", "grades", "password",
    }  # fmt: skip
    manifest = {r["propertyName"]: r["value"] for r in read(package / "manifest.csv")}
    assert manifest["manifest.version"] == "1.0"
    assert manifest["oneroster.version"] == "1.1"
    assert {k[5:] for k, v in manifest.items() if v == "bulk"} == set(HEADERS)
    assert manifest["file.results"] == "absent"


def test_reader_columns_agree(package: Path) -> None:
    spec = pytest.importorskip("schulhof.importers.oneroster_spec")
    for name, header in HEADERS.items():
        assert tuple(header) == tuple(spec.COLUMNS_11[name]), name


def test_orgs_sessions_and_users(package: Path) -> None:
    orgs = read(package / "orgs.csv")
    district = orgs[0]
    assert district["type"] == "district"
    schools = orgs[1:]
    assert [o["identifier"] for o in schools] == [str(91000 + i) for i in range(5)]
    assert all(
        o["type"] == "school" and o["parentSourcedId"] == district["sourcedId"] for o in schools
    )
    (year,) = read(package / "academicSessions.csv")
    assert (year["type"], year["startDate"], year["endDate"]) == (
        "schoolYear",
        "2026-08-01",
        "2027-07-31",
    )
    assert year["title"] == "Schuljahr 2026/27"
    school_ids = {o["sourcedId"] for o in schools}
    for user in read(package / "users.csv"):
        assert user["username"] == ""  # the identity system makes them
        assert set(user["orgSourcedIds"].split(",")) <= school_ids
        assert bool(user["grades"]) == (user["role"] == "student")


def test_every_class_has_one_homeroom_teacher(city: City, package: Path) -> None:
    classes = {c["sourcedId"]: c for c in read(package / "classes.csv")}
    homerooms = {k for k, c in classes.items() if c["classType"] == "homeroom"}
    assert homerooms
    assert all(classes[k]["title"] == classes[k]["classCode"] for k in homerooms)
    primary: Counter[str] = Counter()
    members: Counter[str] = Counter()
    for e in read(package / "enrollments.csv"):
        if e["role"] == "teacher" and e["primary"] == "true":
            primary[e["classSourcedId"]] += 1
        if e["role"] == "student":
            members[e["classSourcedId"]] += 1
    assert set(primary) == homerooms
    assert set(primary.values()) == {1}
    assert all(members[k] for k in homerooms)
    in_homeroom = Counter(
        p.sourced_id for s in city.sections if s.kind is GroupKind.CLASS for p in s.students
    )
    assert len(in_homeroom) == 600
    assert set(in_homeroom.values()) == {1}


def test_class_and_course_names(big: City) -> None:
    titles = {s.title for s in big.sections}
    assert {"1a", "5a", "5b"} <= titles
    assert "11-T1" in titles
    assert "Mathematik 7a" in titles
    assert any(t.startswith("AG ") for t in titles)
    assert any(t.startswith("Deutsch 12-K") for t in titles)
    for section in big.sections:
        if section.kind is GroupKind.CLASS:
            assert section.teachers
            assert section.students
        assert len(section.school.number) == 5
        assert section.school.number.isdigit()


def test_birth_dates_fit_the_grades(big: City) -> None:
    """The grade-1 cohort of 2026/27 was born October 2019 to September 2020."""
    for p in big.students:
        assert p.grade is not None
        age = (dt.date(2026, 9, 30) - p.birth_date).days // 365
        extra = 6 if p.schools[0].kind.type is SchoolType.BBS else 2
        assert p.grade + 5 <= age <= p.grade + 5 + extra, (p.grade, p.birth_date)
    assert all(26 <= (dt.date(2026, 8, 1) - t.birth_date).days // 365 <= 66 for t in big.teachers)


def test_names_bring_every_difficulty(big: City) -> None:
    people = list(big.people())
    assert {p.origin for p in big.students} == set(NameOrigin)
    given = [p.given_name for p in people]
    family = [p.family_name for p in people]
    assert any(" " in g and "-" not in g for g in given)  # Anna Lena
    assert any("-" in g for g in given)  # Jan-Hendrik
    assert any("-" in f and f[0].isupper() for f in family)  # Müller-Lüdenscheidt
    assert any(f.split()[0] in {"von", "de", "van", "zu", "zur", "ten"} for f in family)
    assert any("'" in f for f in family)  # D'Angelo
    assert any("ß" in f for f in family)
    assert any(set(f) & set("äöü") for f in family)
    assert any("ı" in n or "ğ" in n or "ş" in n for n in given + family)
    assert any("ł" in n for n in given + family)
    assert any(f.endswith("ska") for f in family)  # Polish feminine form
    assert any(VIETNAMESE_MARKS & set(f) for f in family)
    assert any(g.startswith(("Oksana", "Yuliia", "Khrystyna", "Oleksandr")) for g in given)
    assert any(f.startswith(("Al-", "Abu ", "El-", "Al ", "Abou ")) for f in family)


def test_default_city_has_the_usual_school_types() -> None:
    city = generate_city(schools=99, students=990, teachers=99)
    assert city.schools_by_type() == {
        SchoolType.GS: 56, SchoolType.GY: 10, SchoolType.IGS: 12, SchoolType.OBS: 8,
        SchoolType.FOES: 7, SchoolType.BBS: 6,
    }  # fmt: skip
    names = [s.name for s in city.schools]
    assert len(set(names)) == 99
    assert any(n.startswith("Grundschule ") for n in names)
    two_schools = [
        t for t in generate_city(teachers=2000, students=4000).teachers if len(t.schools) > 1
    ]
    assert 10 <= len(two_schools) <= 120
    assert all(t.schools[0] is not t.schools[1] for t in two_schools)
    assert {k.type for k in KINDS} == set(SchoolType) - {SchoolType.OTHER}


def test_apportion_is_exact() -> None:
    assert apportion(10, [1.0, 1.0, 1.0]) == [4, 3, 3]
    assert sum(apportion(47_000, [0.3, 2.5, 7.1, 0.01])) == 47_000
    assert min(apportion(5, [100.0, 0.001, 0.001], minimum=1)) == 1


def test_impossible_cities_are_refused() -> None:
    with pytest.raises(ValidationError):
        generate_city(schools=10, teachers=5)
    with pytest.raises(ValidationError):
        generate_city(schools=0)


def test_the_oneroster_reader_accepts_the_package(city: City, package: Path) -> None:
    oneroster = pytest.importorskip("schulhof.importers.oneroster")
    feed = oneroster.read_oneroster(package)
    assert feed.errors == []
    assert feed.mode.value == "full"
    assert sorted(s.number for s in feed.schools) == sorted(s.number for s in city.schools)
    assert len(feed.persons) == 660
    assert Counter(role for p in feed.persons for _, role in p.roles[:1]) == {
        Role.STUDENT: 600,
        Role.TEACHER: 60,
    }
    assert all(p.birth_date is not None for p in feed.persons)
    assert len(feed.groups) == len(city.sections)
    enrollments = sum(len(s.students) + len(s.teachers) for s in city.sections)
    assert len(feed.memberships) == enrollments
    homerooms = sum(1 for s in city.sections if s.kind is GroupKind.CLASS)
    assert sum(1 for m in feed.memberships if m.homeroom_teacher) == homerooms
