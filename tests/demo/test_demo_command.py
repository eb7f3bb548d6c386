"""`schulhof demo` through the installed console script: a small city, imported twice."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx

SCHULHOF = str(Path(sys.executable).parent / "schulhof")


def schulhof(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SCHULHOF_DB"}
    return subprocess.run(
        [SCHULHOF, *args], env={**env, "COLUMNS": "200"}, capture_output=True, text=True,
        timeout=300, check=False,
    )  # fmt: skip


def test_demo_fills_an_empty_directory_and_is_idempotent(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    small = ("demo", "--no-serve", "--schools", "3", "--students", "200", "--teachers", "20")
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
    done = schulhof(
        "--db", db, "demo", "--no-serve", "--schools", "5", "--students", "50", "--teachers", "2"
    )
    assert done.returncode == 2
    assert "teacher" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def test_demo_serves_the_api_with_the_tokens_it_prints(tmp_path: Path) -> None:
    db = f"sqlite:///{tmp_path / 'demo.sqlite'}"
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "SCHULHOF_DB"}
    proc = subprocess.Popen(
        [SCHULHOF, "--db", db, "demo", "--schools", "2", "--students", "60", "--teachers", "8",
         "--port", str(port), "--no-ldap"],
        env={**env, "COLUMNS": "300"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not any("Ctrl-C" in line for line in lines):
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        text = "".join(lines)
        tokens = re.findall(r"admin of (\d+) token: (shf_\S+)", text)
        assert tokens, text
        school, token = tokens[0]
        body = None
        while time.monotonic() < deadline:
            try:
                reply = httpx.get(
                    f"http://127.0.0.1:{port}/api/v1/users",
                    params={"school": school, "limit": 5},
                    headers={"Authorization": f"Bearer {token}"},
                )
                body = reply.json()
                break
            except httpx.TransportError:
                time.sleep(0.2)
        assert body is not None
        assert len(body["items"]) == 5
        assert all(school in item["schools"] for item in body["items"])
    finally:
        proc.terminate()
        proc.wait(timeout=30)
