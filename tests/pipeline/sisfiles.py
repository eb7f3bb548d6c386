"""Writing small school-office exports for tests, in the built-in format."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

S_HEADER = [
    "Schülernummer",
    "Nachname",
    "Vorname",
    "Geburtsdatum",
    "Geschlecht",
    "Klasse",
    "Schulnummer",
]
L_HEADER = [
    "Personalnummer",
    "Nachname",
    "Vorname",
    "Geburtsdatum",
    "Kürzel",
    "Fächer",
    "Klassenleitung",
    "Funktion",
]


@dataclass(frozen=True)
class Student:
    number: str
    family: str
    given: str
    born: str  # dd.mm.yyyy
    klass: str


@dataclass(frozen=True)
class Staff:
    number: str
    family: str
    given: str
    born: str
    homeroom: str = ""
    function: str = "Lehrkraft"


@dataclass
class School:
    nr: str
    students: list[Student] = field(default_factory=list)
    staff: list[Staff] = field(default_factory=list)
    encoding: str = "cp1252"


def _lines(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    return "".join(";".join(r) + "\r\n" for r in [header, *rows])


def write_school(folder: Path, school: School, *, staff_file: bool = True) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    students = _lines(
        S_HEADER,
        [(s.number, s.family, s.given, s.born, "w", s.klass, school.nr) for s in school.students],
    )
    (folder / f"schueler_{school.nr}.csv").write_bytes(students.encode(school.encoding))
    if staff_file:
        staff = _lines(
            L_HEADER,
            [
                (t.number, t.family, t.given, t.born, "XYZ", "DE,MA", t.homeroom, t.function)
                for t in school.staff
            ],
        )
        (folder / f"lehrer_{school.nr}.csv").write_bytes(staff.encode(school.encoding))


def write_city(folder: Path, schools: Sequence[School]) -> Path:
    for f in folder.glob("*.csv") if folder.exists() else []:
        f.unlink()
    for school in schools:
        write_school(folder, school)
    return folder


def pupils(prefix: str, n: int, klass: str, start: int = 1000) -> list[Student]:
    """n ordinary students with distinct names, born 2015."""
    given = ["Anna", "Ben", "Clara", "David", "Elif", "Finn", "Greta", "Hamza", "Ida", "Jakub"]
    return [
        Student(
            str(start + i),
            f"{prefix}{i:03d}",
            given[i % len(given)],
            f"{1 + i % 28:02d}.{1 + i % 12:02d}.2015",
            klass,
        )
        for i in range(n)
    ]
