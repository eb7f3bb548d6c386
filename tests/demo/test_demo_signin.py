"""`schulhof demo` prints a ready OIDC client and test logins: signing in at the demo's
relying party with the printed student login shows the claims the service received; the
printed teacher login is an initial password that must be changed first."""

from __future__ import annotations

import html
import os
import re
import subprocess
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.demo.test_demo_command import SCHULHOF, _free_port

CSRF = re.compile(r'name="csrf"\s+value="([^"]+)"')


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    tmp = tmp_path_factory.mktemp("demo-signin")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k != "SCHULHOF_DB"}
    proc = subprocess.Popen(
        [SCHULHOF, "--db", f"sqlite:///{tmp / 'demo.sqlite'}", "demo", "--schools", "2",
         "--students", "60", "--teachers", "8", "--port", str(port), "--no-ldap"],
        env={**env, "COLUMNS": "300"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not any("Ctrl-C stops" in x for x in lines):
            line = proc.stdout.readline()
            assert line, "".join(lines)
            lines.append(line)
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                if httpx.get(f"{base}/healthz").status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield base, "".join(lines)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _login(output: str, who: str) -> tuple[str, str]:
    line = next(x for x in output.splitlines() if x.strip().startswith(f"{who}:"))
    username, password = line.split(":", 1)[1].split("(")[0].split(" / ")
    return username.strip(), password.strip()


def _sign_in(http: httpx.Client, base: str, username: str, password: str) -> httpx.Response:
    page = http.get(f"{base}/demo/login", follow_redirects=True)
    assert page.status_code == 200
    assert "/signin" in str(page.url)
    token = CSRF.search(page.text)
    assert token is not None
    nxt = httpx.URL(str(page.url)).params["next"]
    return http.post(
        f"{base}/signin",
        data={"username": username, "password": password, "csrf": token.group(1), "next": nxt},
        follow_redirects=True,
    )


def test_the_printed_student_login_signs_in_at_the_demo_service(demo: tuple[str, str]) -> None:
    base, output = demo
    assert "client_secret:" in output
    username, password = _login(output, "student")
    with httpx.Client() as http:
        done = _sign_in(http, base, username, password)
    assert done.status_code == 200, done.text
    assert str(done.url).startswith(f"{base}/demo/callback")
    shown = html.unescape(done.text)
    assert f'"preferred_username": "{username}"' in shown
    assert '"roles": [' in shown


def test_the_printed_teacher_login_must_change_the_password_first(demo: tuple[str, str]) -> None:
    base, output = demo
    username, password = _login(output, "teacher")
    with httpx.Client() as http:
        done = _sign_in(http, base, username, password)
    assert "/password/change" in str(done.url)
    assert "/demo/callback" not in str(done.url)
