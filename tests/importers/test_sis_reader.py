"""Reading school-office exports through declarative profiles."""

from __future__ import annotations

import datetime as dt
import shutil
import zipfile
from pathlib import Path

import pytest

from schulhof.domain.errors import ConfigurationError
from schulhof.domain.model import GroupKind, MemberRole, Role
from schulhof.importers.records import Feed, FeedMode, PersonRecord, SourceKey
from schulhof.importers.sis import read_sis
from schulhof.importers.sis_profile import load_profile, parse_profile

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "sis"
DEFAULT = FIXTURES / "default"
ENGLISH = FIXTURES / "english"

S_HEADER = "Schülernummer;Nachname;Vorname;Geburtsdatum;Geschlecht;Klasse;Schulnummer\r\n"
L_HEADER = "Personalnummer;Nachname;Vorname;Geburtsdatum;Kürzel;Fächer;Klassenleitung;Funktion\r\n"


def by_name(feed: Feed) -> dict[str, PersonRecord]:
    return {f"{p.given_name} {p.family_name}": p for p in feed.persons}


def where(feed: Feed) -> list[tuple[str, int, str]]:
    return [(e.file, e.line, e.field) for e in feed.errors]


def write(path: Path, text: str, encoding: str = "cp1252") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


# ---------------------------------------------------------------------- the built-in format
def test_a_folder_of_two_schools_reads_without_errors() -> None:
    feed = read_sis(DEFAULT)

    assert feed.errors == []
    assert feed.source == "sis"
    assert feed.mode is FeedMode.FULL
    assert feed.scope == {"91001", "91002"}
    assert [(s.key, s.number, s.name) for s in feed.schools] == [
        (SourceKey("sis", "91001"), "91001", ""),  # "": name unknown
        (SourceKey("sis", "91002"), "91002", ""),
    ]
    assert (len(feed.persons), len(feed.groups), len(feed.memberships)) == (7, 3, 7)
    assert len(feed.files) == 4


def test_windows_1252_and_utf8_with_bom_are_both_read() -> None:
    people = by_name(read_sis(DEFAULT))

    assert {"Jürgen Weiß", "Chloé Groß", "Ömer Çelik", "Tuan Krüger"} <= set(people)  # cp1252
    assert "Thảo Nguyễn" in people  # UTF-8 with BOM


def test_students_have_school_local_keys_and_their_birth_dates() -> None:
    people = by_name(read_sis(DEFAULT))

    juergen = people["Jürgen Weiß"]
    assert juergen.key is None
    assert juergen.local_key == SourceKey("sis:91001", "1001")
    assert juergen.birth_date == dt.date(2015, 3, 14)
    assert juergen.roles == (("91001", Role.STUDENT),)
    assert juergen.primary_school == "91001"
    assert people["Chloé Groß"].birth_date == dt.date(2015, 2, 1)  # written 1.2.2015
    # the same student number at another school is another student
    assert people["Thảo Nguyễn"].local_key == SourceKey("sis:91002", "1001")


def test_a_teacher_in_two_schools_is_one_person_with_both_roles() -> None:
    feed = read_sis(DEFAULT)
    teachers = [p for p in feed.persons if p.key == SourceKey("sis-staff", "12345678")]

    assert len(teachers) == 1
    teacher = teachers[0]
    assert teacher.roles == (("91001", Role.TEACHER), ("91002", Role.TEACHER))
    assert teacher.primary_school == "91001"
    # Windows-1252 wrote "Lukasz Wisniewski"; the UTF-8 file has the real spelling
    assert (teacher.given_name, teacher.family_name) == ("Łukasz", "Wiśniewski")
    assert (teacher.origin.file, teacher.origin.line) == ("lehrer_91001.csv", 2)


def test_the_function_column_gives_the_role_in_any_case() -> None:
    people = by_name(read_sis(DEFAULT))

    assert people["Anna-Lena Schulze-Wehninck"].roles == (("91002", Role.TEACHER),)  # lehrkraft
    assert people["Tuan Krüger"].roles == (("91001", Role.STAFF),)


def test_office_staff_without_a_staff_number_are_known_by_name_and_birth() -> None:
    office = by_name(read_sis(DEFAULT))["Tuan Krüger"]

    assert (office.key, office.local_key) == (None, None)
    assert office.birth_date == dt.date(1975, 5, 5)


def test_classes_and_memberships() -> None:
    feed = read_sis(DEFAULT)
    staff = SourceKey("sis-staff", "12345678")

    assert [(g.key, g.school_number, g.kind, g.name) for g in feed.groups] == [
        (SourceKey("sis:91001", "class:5a"), "91001", GroupKind.CLASS, "5a"),
        (SourceKey("sis:91001", "class:5b"), "91001", GroupKind.CLASS, "5b"),
        (SourceKey("sis:91002", "class:11-T2"), "91002", GroupKind.CLASS, "11-T2"),
    ]
    got = [(m.group.source_id, m.person, m.role, m.homeroom_teacher) for m in feed.memberships]
    assert got == [
        ("class:5a", SourceKey("sis:91001", "1001"), MemberRole.STUDENT, False),
        ("class:5a", SourceKey("sis:91001", "1002"), MemberRole.STUDENT, False),
        ("class:5b", SourceKey("sis:91001", "1003"), MemberRole.STUDENT, False),
        ("class:5a", staff, MemberRole.TEACHER, True),
        ("class:5b", staff, MemberRole.TEACHER, True),
        ("class:11-T2", SourceKey("sis:91002", "1001"), MemberRole.STUDENT, False),
        ("class:11-T2", staff, MemberRole.TEACHER, True),
    ]


def test_a_single_file_is_a_feed_for_its_school_alone() -> None:
    feed = read_sis(DEFAULT / "schueler_91001.csv")

    assert feed.errors == []  # the staff file is not asked for
    assert feed.scope == {"91001"}
    assert len(feed.persons) == 3
    assert feed.persons[0].origin.file == "schueler_91001.csv"


def test_a_single_file_whose_name_fits_no_pattern_is_an_error(tmp_path: Path) -> None:
    path = shutil.copy(DEFAULT / "schueler_91001.csv", tmp_path / "students.csv")

    feed = read_sis(Path(path))

    assert where(feed) == [("students.csv", 0, "")]
    assert feed.scope == set()


def test_file_names_match_without_regard_to_case(tmp_path: Path) -> None:
    shutil.copy(DEFAULT / "schueler_91001.csv", tmp_path / "Schueler_91001.CSV")
    shutil.copy(DEFAULT / "lehrer_91001.csv", tmp_path / "LEHRER_91001.csv")

    feed = read_sis(tmp_path)

    assert feed.errors == []
    assert feed.scope == {"91001"}


def test_a_zip_reads_like_the_folder(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for path in sorted(DEFAULT.iterdir()):
            z.write(path, path.name)

    feed = read_sis(archive)

    assert feed.errors == []
    assert len(feed.persons) == 7
    assert feed.persons[0].origin.file == "export.zip:schueler_91001.csv"


# ---------------------------------------------------------------------- errors
def test_every_error_of_a_broken_export_is_reported_with_its_place() -> None:
    feed = read_sis(FIXTURES / "broken")

    assert where(feed) == [
        ("lehrer_91005.csv", 0, ""),  # school 91005 has no staff file
        ("schueler_91003.csv", 6, ""),  # too few fields
        ("schueler_91003.csv", 2, "Geburtsdatum"),  # 31.02.2015
        ("schueler_91003.csv", 3, "Schulnummer"),  # 91004 in a file of 91003
        ("schueler_91003.csv", 4, "Schülernummer"),  # 2001 twice
        ("schueler_91003.csv", 5, "Nachname"),  # empty
        ("schueler_91003.csv", 5, "Geburtsdatum"),  # empty
        ("lehrer_91003.csv", 2, "Funktion"),  # Hausmeister
        ("lehrer_91003.csv", 3, "Klassenleitung"),  # office staff leading a class
    ]
    # a school without all its files is not described completely
    assert feed.scope == {"91003"}


def test_an_impossible_date_has_a_clear_message() -> None:
    feed = read_sis(FIXTURES / "broken")

    messages = {(e.line, e.field): e.message for e in feed.errors if e.file == "schueler_91003.csv"}
    assert messages[(2, "Geburtsdatum")] == "'31.02.2015' is no valid date (expected dd.mm.yyyy)"
    assert messages[(3, "Schulnummer")] == "school number '91004' in a file of school 91003"


def test_the_same_staff_number_with_other_names_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "schueler_91001.csv", S_HEADER)
    write(tmp_path / "schueler_91002.csv", S_HEADER)
    write(tmp_path / "lehrer_91001.csv", L_HEADER + "42;Meyer;Anna;01.01.1980;;;;Lehrkraft\r\n")
    write(tmp_path / "lehrer_91002.csv", L_HEADER + "42;Meier;Anna;01.01.1980;;;;Lehrkraft\r\n")

    feed = read_sis(tmp_path)

    assert [(e.file, e.line, e.field) for e in feed.errors] == [
        ("lehrer_91002.csv", 2, "family name")
    ]
    assert "'Meier' here, but 'Meyer'" in feed.errors[0].message
    assert feed.persons[0].roles == (("91001", Role.TEACHER),)


def test_the_same_staff_number_twice_in_one_school_is_an_error(tmp_path: Path) -> None:
    write(tmp_path / "schueler_91001.csv", S_HEADER)
    rows = "42;Meyer;Anna;01.01.1980;;;;Lehrkraft\r\n" * 2
    write(tmp_path / "lehrer_91001.csv", L_HEADER + rows)

    feed = read_sis(tmp_path)

    assert where(feed) == [("lehrer_91001.csv", 3, "id")]


def test_a_missing_column_is_named(tmp_path: Path) -> None:
    write(tmp_path / "schueler_91001.csv", S_HEADER.replace(";Klasse", ""))
    write(tmp_path / "lehrer_91001.csv", L_HEADER)

    feed = read_sis(tmp_path)

    assert [(e.file, e.line, e.field) for e in feed.errors] == [("schueler_91001.csv", 1, "Klasse")]


def test_a_teacher_without_a_staff_number_cannot_lead_a_class(tmp_path: Path) -> None:
    write(tmp_path / "schueler_91001.csv", S_HEADER + "1;A;B;01.01.2015;m;5a;91001\r\n")
    write(tmp_path / "lehrer_91001.csv", L_HEADER + ";Office;Olga;01.01.1970;;;;Schulverwaltung\r\n"
          + ";Teach;Tina;01.01.1970;;;5a;Lehrkraft\r\n")  # fmt: skip

    feed = read_sis(tmp_path)

    assert [(e.line, e.message) for e in feed.errors] == [
        (3, "a teacher without an id cannot lead a class")
    ]


# ---------------------------------------------------------------------- other profiles
def test_a_second_profile_reads_a_different_export() -> None:
    profile = load_profile(ENGLISH / "profile.toml")

    feed = read_sis(ENGLISH, profile=profile)

    assert feed.errors == []
    assert feed.scope == {"91005", "91006"}
    people = by_name(feed)
    assert people["Alice Brown"].local_key == SourceKey("sis:91005", "S-1")
    assert people["Alice Brown"].birth_date == dt.date(2012, 5, 1)
    assert people["Carol White"].email == "carol@example.org"
    bob = people["Bob Green"]
    assert bob.key == SourceKey("city-staff", "T-9")
    assert bob.roles == (("91005", Role.TEACHER), ("91006", Role.TEACHER))
    assert bob.email == "bob.green@example.org"
    assert [(g.school_number, g.name) for g in feed.groups] == [
        ("91005", "7B"), ("91005", "7C"), ("91006", "8A"),
    ]  # fmt: skip
    homerooms = [m.group.source_id for m in feed.memberships if m.homeroom_teacher]
    assert homerooms == ["class:7B", "class:7C"]  # "7B|7C": the profile's list separator


def test_a_folder_without_any_file_of_the_profile_is_an_error() -> None:
    feed = read_sis(ENGLISH)  # the default profile

    assert where(feed) == [("english", 0, "")]
    assert "schueler_{school}.csv" in feed.errors[0].message
    assert feed.persons == []
    assert feed.scope == set()


def test_the_default_profile_describes_the_built_in_format() -> None:
    profile = load_profile("default")

    assert profile.separator == ";"
    assert profile.encoding is None
    assert [k.name for k in profile.files] == ["students", "staff"]
    assert profile.files[0].regex.fullmatch("schueler_91000.csv") is not None
    assert profile.id_scope[Role.STUDENT] == "school"
    assert profile.id_scope[Role.TEACHER] == "global"


def test_an_explicit_encoding_in_a_profile_is_used(tmp_path: Path) -> None:
    text = (ENGLISH / "profile.toml").read_text(encoding="utf-8")
    profile = parse_profile(text.replace('"utf-8"', '"cp1252"'), "test")
    export = tmp_path / "export"
    header = "ID,Last name,First name,Birthday,Rolle,Form,Form tutor of,Email,School\r\n"
    write(export / "school_91005.csv", header + "S-1,Weiß,Jürgen,2012-05-01,pupil,7B,,,91005\r\n")

    feed = read_sis(tmp_path, profile=profile)

    assert feed.errors == []
    assert by_name(feed)["Jürgen Weiß"].local_key == SourceKey("sis:91005", "S-1")


GOOD = (ENGLISH / "profile.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (('separator = ","', 'separator = ",,"'), "separator must be one character"),
        (('encoding = "utf-8"', 'encoding = "klingon"'), "unknown encoding 'klingon'"),
        (('date_format = "%Y-%m-%d"', 'date_format = "yyyy-mm-dd"'), "no strptime directive"),
        (("export/school_{school}.csv", "export/school.csv"), "must contain {school} once"),
        (('pupil = "student"', 'pupil = "pupil"'), "unknown role 'pupil'"),
        (('teacher = "global"', 'teacher = "city"'), "must be 'school' or 'global'"),
        (('role_column = "Rolle"', 'role = "student"\nrole_column = "Rolle"'), "either role"),
        (('id = "ID"', 'ident = "ID"'), "unknown key 'ident'"),
        (('family_name = "Last name"\n', ""), "columns.family_name is missing"),
        (('list_separator = "|"', 'list_separator = ","'), "list_separator must"),
        (("name = ", "nmae = "), "unknown key 'nmae'"),
        (("[files.people]", "[files.people\n"), "not valid TOML"),
    ],
)
def test_a_bad_profile_is_a_configuration_error(change: tuple[str, str], message: str) -> None:
    old, new = change
    assert old in GOOD

    with pytest.raises(ConfigurationError, match=r"^bad\.toml: ") as caught:
        parse_profile(GOOD.replace(old, new, 1), "bad.toml")

    assert message in str(caught.value)


def test_an_unknown_built_in_profile_is_a_configuration_error() -> None:
    with pytest.raises(ConfigurationError, match="no built-in import profile 'magellan'"):
        load_profile("magellan")


def test_a_profile_file_that_is_not_there_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="cannot read the import profile"):
        load_profile(tmp_path / "none.toml")
