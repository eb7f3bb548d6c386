"""A throwaway slapd: temp config and database, loaded with `slapadd`, on a free port."""

from __future__ import annotations

import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from schulhof.protocols.ldap.schema import slapd_schema
from tests.protocols.ldap.support import BASE, require

ROOT_DN = f"cn=admin,{BASE}"
ROOT_PASSWORD = "slapd-test-secret"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def _config(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    schema = folder / "schulhof.schema"
    schema.write_text(slapd_schema())
    (folder / "db").mkdir()
    conf = folder / "slapd.conf"
    conf.write_text(
        "\n".join(
            [
                "include /etc/ldap/schema/core.schema",
                "include /etc/ldap/schema/cosine.schema",
                "include /etc/ldap/schema/inetorgperson.schema",
                f"include {schema}",
                f"pidfile {folder / 'slapd.pid'}",
                "modulepath /usr/lib/ldap",
                "moduleload back_mdb",
                "sizelimit unlimited",
                "database mdb",
                f'suffix "{BASE}"',
                f'rootdn "{ROOT_DN}"',
                f"rootpw {ROOT_PASSWORD}",
                f"directory {folder / 'db'}",
                "maxsize 1073741824",
                # The usual indexes of a directory like this (slapadd builds them).
                "index objectClass,uidNumber,gidNumber,member,memberUid eq",
                "index uid,cn,sn,givenName,mail eq,sub",
                "index eduPersonAffiliation,schulhofSchoolNumber,schulhofRole eq",
                "",
            ]
        )
    )
    return conf


@contextmanager
def running_slapd(folder: Path, ldif: Path) -> Iterator[str]:
    """Load `ldif` into a new slapd and run it; yields its URL."""
    slapd = require("slapd", "slapd")
    slapadd = require("slapadd", "slapd")
    conf = _config(folder)
    loaded = subprocess.run(
        [slapadd, "-f", str(conf), "-q", "-l", str(ldif)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert loaded.returncode == 0, loaded.stderr
    port = free_port()
    url = f"ldap://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [slapd, "-f", str(conf), "-h", url, "-d", "0"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    err = proc.stderr.read().decode() if proc.stderr else ""
                    raise AssertionError(f"slapd did not start: {err}") from None
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
