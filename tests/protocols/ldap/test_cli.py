"""The commands an operator runs: `clients add ldap`, `serve --ldap-port --ldaps-port`."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from pathlib import Path

from schulhof.services.runtime import Services
from tests.cli.runner import SCHULHOF, run_json
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
