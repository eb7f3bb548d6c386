"""`schulhof import …`, `review …` and `lifecycle run` as an operator or cron runs them:
the JSON summary, exit codes, the new-accounts report."""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from pathlib import Path

from tests.cli.runner import run, run_json
from tests.pipeline.sisfiles import School, Staff, Student, pupils, write_city

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
SUMMARY_INTS = ("created", "updated", "moved", "disabled", "deleted", "unchanged")


def _city() -> list[School]:
    a = School(
        "91000", pupils("Lang", 30, "3a"), [Staff("77001", "Groß", "Petra", "05.06.1980", "3a")]
    )
    b = School(
        "91007",
        [Student("5001", "Nguyễn", "Minh", "12.03.2012", "7a")],
        [Staff("77002", "Trần", "Đức", "21.12.1985", "7a")],
        encoding="utf-8-sig",
    )
    return [a, b]


def test_sis_import_json_summary_exit_codes_and_report(db_url: str, tmp_path: Path) -> None:
    city = _city()
    folder = write_city(tmp_path / "day1", city)
    report_csv = tmp_path / "neu.csv"
    done = run(db_url, "import", "sis", str(folder), "--json", "--report", str(report_csv))
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout)
    assert all(isinstance(summary[k], int) for k in SUMMARY_INTS)
    assert (summary["created"], summary["held"], summary["errors"]) == (33, False, [])
    with report_csv.open(encoding="utf-8-sig") as f:
        rows = list(csv.reader(f, delimiter=";"))
    assert rows[0] == ["Schulnummer", "Klasse", "Benutzername", "Vorname", "Nachname", "Rolle"]
    assert ["91007", "7a", "minh.nguyen", "Minh", "Nguyễn", "student"] in rows

    again = run_json(db_url, "import", "sis", str(folder))
    assert (again["created"], again["unchanged"], again["applied"]) == (0, 33, False)

    # A truncated export: held, exit 1, nothing written.
    city[0].students = city[0].students[:10]
    write_city(folder, city)
    held = run(db_url, "import", "sis", str(folder), "--json")
    assert held.returncode == 1
    assert json.loads(held.stdout)["held"] is True
    assert len(run_json(db_url, "users", "list", "--school", "91000", "--state", "active")) == 31
    readable = run(db_url, "import", "sis", str(folder))
    assert readable.returncode == 1
    assert "Held" in readable.stderr
    assert "--approve" in readable.stderr
    dry = run(db_url, "import", "sis", str(folder), "--dry-run", "--approve")
    assert dry.returncode == 0
    assert "Dry run" in dry.stdout
    approved = run_json(db_url, "import", "sis", str(folder), "--approve")
    assert approved["disabled"] == 20
    assert len(run_json(db_url, "users", "list", "--school", "91000")) == 11


def test_invalid_file_lists_every_error_and_writes_nothing(db_url: str, tmp_path: Path) -> None:
    folder = write_city(tmp_path / "day1", _city())
    f = folder / "schueler_91000.csv"
    text = f.read_bytes().decode("cp1252").replace("01.01.2015", "1.13.2015")
    text = text.replace("02.02.2015", "")
    f.write_bytes(text.encode("cp1252"))
    done = run(db_url, "import", "sis", str(folder), "--json")
    assert done.returncode != 0
    errors = json.loads(done.stdout)["errors"]
    assert {(e["file"], e["line"], e["field"]) for e in errors} == {
        ("schueler_91000.csv", 2, "Geburtsdatum"),
        ("schueler_91000.csv", 3, "Geburtsdatum"),
    }
    assert all(e["message"] for e in errors)
    assert run_json(db_url, "users", "list") == []
    readable = run(db_url, "import", "sis", str(folder))
    assert "schueler_91000.csv:2: Geburtsdatum:" in readable.stderr
    assert "nothing was written" in readable.stderr


def test_oneroster_zip_and_a_declarative_profile(db_url: str, tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for f in (FIXTURES / "oneroster" / "bulk").glob("*.csv"):
            z.write(f, f.name)
    summary = run_json(db_url, "import", "oneroster", str(archive))
    assert summary["created"] > 0
    assert summary["errors"] == []
    english = tmp_path / "english"
    shutil.copytree(FIXTURES / "sis" / "english", english)
    done = run(
        db_url, "import", "sis", str(english), "--config", str(english / "profile.toml"), "--json"
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(done.stdout)["created"] > 0
    bad = run(db_url, "import", "sis", str(english), "--profile", "nonesuch")
    assert bad.returncode == 6
    assert "no built-in import profile" in bad.stderr


def test_review_and_lifecycle_commands(db_url: str, tmp_path: Path) -> None:
    city = _city()
    write_city(tmp_path / "d1", city)
    run_json(db_url, "import", "sis", str(tmp_path / "d1"))
    minh = city[1].students[0]
    city[1].students = []
    city[0].students.append(Student("1099", "Nguyen", "Minh", minh.born, "3a"))  # cp1252 office
    held = run_json(db_url, "import", "sis", str(write_city(tmp_path / "d2", city)))
    assert held["review"] == 1
    items = run_json(db_url, "review", "list")
    assert [c["username"] for c in items[0]["candidates"]] == ["minh.nguyen"]
    assert items[0]["record"]["family_name"] == "Nguyen"
    table = run(db_url, "review", "list")
    assert "minh.nguyen" in table.stdout
    accepted = run_json(db_url, "review", "accept", items[0]["id"])
    assert accepted["username"] == "minh.nguyen"
    assert sorted(accepted["schools"]) == ["91000", "91007"]
    twice = run(db_url, "review", "accept", items[0]["id"])
    assert twice.returncode == 4
    # Accepting added the new school; the next run takes the old one away.
    after = run_json(db_url, "import", "sis", str(tmp_path / "d2"))
    assert (after["updated"], after["review"], after["created"]) == (1, 0, 0)
    minh_now = run_json(db_url, "users", "show", "minh.nguyen")
    assert (minh_now["schools"], minh_now["family_name"]) == (["91000"], "Nguyễn")
    nothing = run_json(db_url, "lifecycle", "run")
    assert nothing == {"deleted": 0, "usernames": []}
