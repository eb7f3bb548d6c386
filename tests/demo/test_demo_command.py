"""`schulhof demo` through the installed console script: a small city, imported twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("schulhof.importers.pipeline")

SCHULHOF = str(Path(sys.executable).parent / "schulhof")


def schulhof(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SCHULHOF_DB"}
    return subprocess.run(
        [SCHULHOF, *args], env={**env, "COLUMNS": "200"}, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def test_demo_fills_an_empty_directory_and_is_idempotent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    small = ("demo", "--schools", "3", "--students", "200", "--teachers", "20")
    first = schulhof("--db", db, *small)
    assert first.returncode == 0, first.stderr
    assert "What to try next" in first.stdout
    assert "users list --school 91000 --role teacher" in first.stdout

    people = json.loads(schulhof("--db", db, "users", "list", "--json").stdout)
    assert len(people) == 220
    roles = sorted(r for p in people for r in p["roles"])
    assert roles.count("student") == 200
    assert roles.count("teacher") == 20
    assert all(p["username"].isascii() for p in people)

    shown = next(line.split()[-1] for line in first.stdout.splitlines() if " users show " in line)
    assert (
        json.loads(schulhof("--db", db, "users", "show", shown, "--json").stdout)["username"]
        == shown
    )

    again = schulhof("--db", db, *small)
    assert again.returncode == 0, again.stderr
    assert "already holds 3 of the demo city's 3 schools" in again.stdout
    assert "nothing to do" in again.stdout
    assert len(json.loads(schulhof("--db", db, "users", "list", "--json").stdout)) == 220


def test_demo_refuses_a_city_without_enough_teachers(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    done = schulhof("--db", db, "demo", "--schools", "5", "--students", "50", "--teachers", "2")
    assert done.returncode == 2
    assert "teacher" in done.stderr
