"""Both readers on a small generated city: no errors, and the counts the generator wrote."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from schulhof.domain.model import GroupKind, MemberRole, Role
from schulhof.importers.oneroster import read_oneroster
from schulhof.importers.records import FeedMode
from schulhof.importers.sis import read_sis

CITYGEN = Path(
    os.environ.get(
        "SCHULHOF_CITYGEN",
        Path(__file__).resolve().parents[3] / "shared" / "bench" / "citygen.py",
    )
)


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    if not CITYGEN.is_file():
        pytest.skip(f"the city generator is not at {CITYGEN}")
    out = tmp_path_factory.mktemp("city")
    subprocess.run(
        [sys.executable, str(CITYGEN), "--out", str(out), "--schools", "3", "--students", "150",
         "--teachers", "20"],
        check=True, capture_output=True,
    )  # fmt: skip
    summary: dict[str, Any] = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    return out, summary


def test_the_oneroster_export_reads_without_errors(city: tuple[Path, dict[str, Any]]) -> None:
    out, summary = city

    feed = read_oneroster(out / "oneroster")

    assert feed.errors == []
    assert feed.mode is FeedMode.FULL
    counts = summary["oneroster"]
    assert len(feed.schools) == summary["schools"] == counts["orgs"] - 1  # less the district
    assert len(feed.scope) == summary["schools"]
    assert len(feed.persons) == counts["users"] == sum(summary["people"].values())
    assert len(feed.groups) == counts["classes"]
    assert len(feed.memberships) == counts["enrollments"]
    kinds = Counter(g.kind for g in feed.groups)
    assert kinds[GroupKind.CLASS] == summary["homerooms"]
    roles = Counter(role for p in feed.persons for _, role in p.roles[:1])
    assert roles[Role.STUDENT] == summary["people"]["student"]
    assert roles[Role.STAFF] == summary["people"]["administrator"]
    assert all(p.birth_date is not None for p in feed.persons)


def test_the_school_office_export_reads_without_errors(city: tuple[Path, dict[str, Any]]) -> None:
    out, summary = city

    feed = read_sis(out / "sis")

    assert feed.errors == []
    assert len(feed.scope) == summary["schools"]
    people = summary["people"]
    # teachers in two schools' files are one person each
    assert len(feed.persons) == sum(people.values())
    rows = summary["sis"]
    assert (
        sum(len(p.roles) for p in feed.persons) == rows["sis_student_rows"] + rows["sis_staff_rows"]
    )
    assert len(feed.groups) == summary["homerooms"]
    students = [m for m in feed.memberships if m.role is MemberRole.STUDENT]
    assert len(students) == people["student"]


def test_both_exports_describe_the_same_people(city: tuple[Path, dict[str, Any]]) -> None:
    out, _ = city

    oneroster = read_oneroster(out / "oneroster").persons
    sis = read_sis(out / "sis").persons

    # Names may be spelt differently (Windows-1252 loses letters); birth dates agree.
    assert Counter(p.birth_date for p in oneroster) == Counter(p.birth_date for p in sis)
    assert Counter(len(p.roles) for p in oneroster) == Counter(len(p.roles) for p in sis)
