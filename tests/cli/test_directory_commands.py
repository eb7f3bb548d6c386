"""The directory commands through the installed `schulhof` script, on both backends."""

from __future__ import annotations

from tests.cli.runner import run, run_json


def test_schools_users_groups_and_changes(db_url: str) -> None:
    assert (
        run(
            db_url, "schools", "add", "91000", "Grundschule Kastanienhof", "--type", "GS"
        ).returncode
        == 0
    )
    assert run(db_url, "schools", "add", "91007", "IGS Mühlenberg", "--type", "IGS").returncode == 0
    made = run_json(
        db_url,
        "users",
        "add",
        "--given-name",
        "Anna-Lena",
        "--family-name",
        "von der Heide",
        "--school",
        "91000",
        "--birth-date",
        "03.04.2016",
    )
    assert made["username"].startswith("anna-lena.")
    teacher = run_json(
        db_url,
        "users",
        "add",
        "--given-name",
        "Đức",
        "--family-name",
        "Trần",
        "--school",
        "91000",
        "--school",
        "91007",
        "--role",
        "teacher",
    )
    assert teacher["username"] == "duc.tran"
    assert teacher["schools"] == ["91000", "91007"]

    everyone = run_json(db_url, "users", "list")
    assert [p["username"] for p in everyone] == sorted([made["username"], "duc.tran"])
    keys = {
        "id",
        "username",
        "given_name",
        "family_name",
        "birth_date",
        "state",
        "schools",
        "roles",
        "classes",
        "sources",
    }
    assert all(keys <= p.keys() for p in everyone)
    student = next(p for p in everyone if p["roles"] == ["student"])
    assert student["birth_date"] == "2016-04-03"
    assert [p["username"] for p in run_json(db_url, "users", "list", "--school", "91007")] == [
        "duc.tran"
    ]
    assert run_json(db_url, "users", "list", "--role", "teacher")[0]["username"] == "duc.tran"

    shown = run_json(db_url, "users", "show", "duc.tran")
    assert shown["id"] == teacher["id"]
    assert shown["given_name"] == "Đức"

    disabled = run_json(db_url, "users", "disable", "duc.tran")
    assert disabled["state"] == "disabled"
    assert disabled["delete_after"] is not None

    log = run_json(db_url, "changes", "list", "--after", "0")
    assert [r["seq"] for r in log] == list(range(1, len(log) + 1))
    assert log[-1]["kind"] == "person.update"
    after = run_json(db_url, "changes", "list", "--after", str(log[-2]["seq"]))
    assert [r["seq"] for r in after] == [log[-1]["seq"]]
    for_91007 = run_json(db_url, "changes", "list", "--after", "0", "--school", "91007")
    assert all("91007" in r["schools"] for r in for_91007)
    assert {r["kind"] for r in for_91007} == {
        "school.create",
        "person.create",
        "context.create",
        "person.update",
    }

    table = run(db_url, "users", "list")
    assert "duc.tran" in table.stdout
    assert "Trần" in table.stdout


def test_errors_have_exit_codes_and_no_traceback(db_url: str) -> None:
    missing = run(db_url, "users", "show", "nobody")
    assert missing.returncode == 3
    assert "no person nobody" in missing.stderr
    assert "Traceback" not in missing.stderr
    bad = run(db_url, "schools", "add", "12ab", "X")
    assert bad.returncode == 2
    assert "field: number" in bad.stderr
    bad_role = run(db_url, "users", "list", "--role", "pupil")
    assert bad_role.returncode == 2


def test_db_upgrade_on_an_empty_database(db_url: str) -> None:
    first = run_json(db_url, "db", "upgrade")
    assert first["after"] is not None
    again = run_json(db_url, "db", "upgrade")
    assert again == {"before": first["after"], "after": first["after"]}
