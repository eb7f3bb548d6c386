"""`schulhof demo` serves LDAP: the printed `ldapsearch` lines work when pasted into a shell,
with StartTLS (-ZZ) and over ldaps://, against the machine's name checked by OpenLDAP."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from schulhof.cli.certs import host_names, self_signed
from tests.demo.test_demo_command import SCHULHOF, _free_port


@pytest.fixture(scope="module")
def demo_output(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The demo's output up to the moment its LDAP listener is up."""
    if shutil.which("ldapsearch") is None:
        pytest.fail("ldapsearch is missing: scripts/install-system-deps installs ldap-utils")
    tmp = tmp_path_factory.mktemp("demo-ldap")
    db = f"sqlite:///{tmp / 'demo.sqlite'}"
    env = {k: v for k, v in os.environ.items() if k != "SCHULHOF_DB"}
    proc = subprocess.Popen(
        [SCHULHOF, "--db", db, "demo", "--schools", "2", "--students", "60", "--teachers", "8",
         "--port", str(_free_port()), "--ldap-port", str(_free_port()),
         "--ldaps-port", str(_free_port()), "--tls-dir", str(tmp / "tls")],
        env={**env, "COLUMNS": "300"}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and sum("Schulhof LDAP on" in x for x in lines) < 2:
            line = proc.stdout.readline()
            if not line:
                break
            lines.append(line)
        text = "".join(lines)
        assert sum("Schulhof LDAP on" in x for x in lines) >= 2, text
        yield text
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def _pasted(output: str, marker: str) -> subprocess.CompletedProcess[str]:
    line = next(x.strip() for x in output.splitlines() if "ldapsearch" in x and marker in x)
    assert line.startswith("LDAPTLS_CACERT=")
    # Only the printed CA: no LDAPTLS_* or ldaprc of this machine helps the command along.
    env = {k: v for k, v in os.environ.items() if not k.startswith("LDAP")}
    return subprocess.run(
        ["bash", "-c", line], env={**env, "LDAPRC": "/dev/null"}, capture_output=True,
        text=True, timeout=60, check=False,
    )  # fmt: skip


def test_the_printed_starttls_command_works_against_the_host_name(demo_output: str) -> None:
    name = host_names()[0]
    assert f"ldap://{name}:" in demo_output  # the machine's name, not only localhost
    done = _pasted(demo_output, " -ZZ ")
    assert done.returncode == 0, done.stderr
    assert re.search(r"^dn: uid=\S+,ou=people,dc=schulhof,dc=local$", done.stdout, re.M)
    assert "memberOf: cn=" in done.stdout


def test_the_printed_ldaps_command_pages_through_the_school_s_groups(demo_output: str) -> None:
    name = host_names()[0]
    assert f"ldaps://{name}:" in demo_output
    done = _pasted(demo_output, "ldaps://")
    assert done.returncode == 0, done.stderr
    assert "memberUid: " in done.stdout
    school = re.search(r"service bind DN \(school (\d+)\)", demo_output)
    assert school is not None
    groups = re.findall(r"^cn: (\S+)$", done.stdout, re.M)
    assert groups
    assert all(g.startswith(f"{school.group(1)}-") for g in groups)  # its school only


def test_a_wrong_password_is_refused_with_the_printed_setup(demo_output: str) -> None:
    line = next(x.strip() for x in demo_output.splitlines() if " -ZZ " in x)
    wrong = re.sub(r" -w \S+ ", " -w wrong-password ", line)
    env = {k: v for k, v in os.environ.items() if not k.startswith("LDAP")}
    done = subprocess.run(
        ["bash", "-c", wrong], env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 49, done.stderr  # invalidCredentials


def test_the_certificate_names_the_host_localhost_and_the_loopback_address(
    tmp_path: Path,
) -> None:
    cert, key = self_signed(tmp_path)
    text = subprocess.run(
        ["openssl", "x509", "-in", str(cert), "-noout", "-ext", "subjectAltName"],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    for name in {socket.gethostname(), socket.getfqdn(), "localhost"}:
        assert f"DNS:{name}" in text
    assert "IP Address:127.0.0.1" in text
    assert key.stat().st_mode & 0o077 == 0
