"""The commands an operator runs: `clients add ldap`, `serve --ldap-port --ldaps-port`."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from schulhof.services import nt_hashes
from schulhof.services.runtime import Services
from tests.cli.runner import SCHULHOF, run, run_json
from tests.protocols.ldap.slapd import free_port
from tests.protocols.ldap.support import BASE, City, Tls, ldapsearch, parse_ldif


def _wait_for_port(port: int, proc: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            assert proc.poll() is None, "schulhof serve exited"
            assert time.monotonic() < deadline, f"nothing listens on {port}"
            time.sleep(0.2)


def test_serve_runs_ldap_beside_the_api(
    svc: Services, city: City, tls: Tls, db_url: str, tmp_path: Path
) -> None:
    made = run_json(db_url, "clients", "add", "ldap", "--name", "printer", "--schools", "91007")
    assert made["bind_dn"] == f"cn=printer,ou=services,{BASE}"
    api, plain, secure = free_port(), free_port(), free_port()
    proc = subprocess.Popen(
        [
            SCHULHOF, "serve", "--port", str(api), "--ldap-port", str(plain),
            "--ldaps-port", str(secure), "--tls-cert", str(tls.cert), "--tls-key", str(tls.key),
        ],
        env={**os.environ, "SCHULHOF_DB": db_url},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        _wait_for_port(plain, proc)
        _wait_for_port(api, proc)
        bind = (made["bind_dn"], made["password"])
        for url, extra in (
            (f"ldap://localhost:{plain}", ["-ZZ"]),
            (f"ldaps://localhost:{secure}", []),
        ):
            done = ldapsearch(tls, url, *extra, "-b", BASE, "(uid=*)", "uid", bind=bind)
            assert [e["uid"] for e in parse_ldif(done.stdout).values()] == [[city.teacher]]
    finally:
        proc.terminate()
        proc.wait(30)


def test_the_nt_hash_through_the_commands_an_operator_runs(
    svc: Services, city: City, tls: Tls, db_url: str, tmp_path: Path
) -> None:
    """schulhof.toml switches it on; set-password stores it; only the account registered
    with sambaNTPassword reads it over LDAP; switched off, the next command drops it."""
    config = tmp_path / "schulhof.toml"
    config.write_text("[ldap]\nnt_hash = true\n")
    on = ("--config", str(config))
    done = run(db_url, *on, "users", "set-password", city.student, "--password-stdin",
               input="Fluss-Bruecke-31\n")  # fmt: skip
    assert done.returncode == 0, done.stderr
    made = run_json(db_url, *on, "clients", "add", "ldap", "--name", "radius", "--schools",
                    "91000", "--attributes", "username,sambaNTPassword")  # fmt: skip
    assert made["attributes"] == ["sambaNTPassword", "username"]
    plain = free_port()
    proc = subprocess.Popen(
        [SCHULHOF, *on, "serve", "--port", str(free_port()), "--ldap-port", str(plain),
         "--tls-cert", str(tls.cert), "--tls-key", str(tls.key)],
        env={**os.environ, "SCHULHOF_DB": db_url},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    me = f"uid={city.student},ou=people,{BASE}"
    try:
        _wait_for_port(plain, proc)
        done = ldapsearch(tls, f"ldap://localhost:{plain}", "-ZZ", "-b", me, "-s", "base",
                          "sambaNTPassword", bind=(made["bind_dn"], made["password"]))  # fmt: skip
        want = nt_hashes.nt_hash("Fluss-Bruecke-31")
        assert parse_ldif(done.stdout)[me]["sambantpassword"] == [want]
    finally:
        proc.terminate()
        proc.wait(30)
    config.write_text("[ldap]\nnt_hash = false\n")
    assert run(db_url, *on, "db", "upgrade").returncode == 0
    trail = run_json(db_url, "audit", "--action", "ldap.nt_hashes_dropped")
    assert [e["detail"] for e in trail] == [{"count": 1}]
