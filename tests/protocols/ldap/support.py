"""Running Schulhof's LDAP server in a thread, a directory to serve, and the real clients.

A missing client binary fails the test with the script that installs it: nothing is
skipped silently.
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import os
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from schulhof.access.actors import operator
from schulhof.access.rules import PERSON_ATTRIBUTES
from schulhof.domain.model import (
    Context,
    GroupKind,
    MemberRole,
    PersonDraft,
    Role,
    SchoolType,
)
from schulhof.protocols.ldap.server import LdapConfig, LdapServer
from schulhof.services import groups, ldap_accounts, passwords, persons, schools
from schulhof.services.runtime import Services

BASE = "dc=schulhof,dc=local"
PEOPLE = f"ou=people,{BASE}"
OP = operator("ldap-test")
INSTALL = "scripts/install-system-deps"


def require(binary: str, package: str) -> str:
    found = shutil.which(binary) or shutil.which(binary, path="/usr/sbin:/usr/bin")
    if found is None:
        pytest.fail(f"{binary} is missing: {INSTALL} installs it (Debian package {package})")
    return found


@dataclass
class City:
    """A small directory: two schools, a class, people with and without passwords."""

    student: str  # 91000, class 5a, has a password and an e-mail address
    password: str
    other_student: str  # 91000
    teacher: str  # 91007 only
    disabled: str  # 91000, disabled, had a password
    class_id: str
    client_dn: str  # service account of 91000, default attributes
    client_password: str
    mail_client_dn: str  # service account of 91000 that may see e-mail
    mail_client_password: str
    all_dn: str  # every school, every attribute
    all_password: str


def make_city(svc: Services) -> City:
    schools.add_school(svc, OP, "91000", "Grundschule Am Markt", SchoolType.GS)
    schools.add_school(svc, OP, "91007", "Gymnasium Goetheplatz", SchoolType.GY)

    def add(given: str, family: str, school: str, role: Role, email: str | None = None) -> str:
        draft = PersonDraft(
            given, family, dt.date(2014, 5, 1), email=email, contexts=(Context(school, role),)
        )
        return persons.add_person(svc, OP, draft).username

    student = add("Max", "Müller", "91000", Role.STUDENT, "max.mueller@schule.example")
    other = add("Lena", "Özdemir", "91000", Role.STUDENT)
    teacher = add("Erika", "Schmidt", "91007", Role.TEACHER, "e.schmidt@schule.example")
    disabled = add("Tom", "Weiß", "91000", Role.STUDENT)
    klass = groups.add_group(svc, OP, "91000", GroupKind.CLASS, "5a")
    for username in (student, other):
        pid = persons.get_person(svc, OP, username).person.id
        groups.add_member(svc, OP, klass.id, pid, MemberRole.STUDENT)
    password = "Sommer-Wiese-42"
    passwords.set_password(svc, OP, student, password, temporary=False)
    passwords.set_password(svc, OP, disabled, password, temporary=False)
    persons.disable_person(svc, OP, disabled)
    client = ldap_accounts.add_client(svc, OP, name="wlan", schools=("91000",))
    mail = ldap_accounts.add_client(
        svc, OP, name="mail-gw", schools=("91000",),
        attributes=("id", "username", "given_name", "family_name", "email"),
    )  # fmt: skip
    everything = ldap_accounts.add_client(
        svc, OP, name="all", attributes=tuple(sorted(PERSON_ATTRIBUTES))
    )
    services = f"ou=services,{BASE}"
    return City(
        student, password, other, teacher, disabled, klass.id,
        f"cn=wlan,{services}", client.password, f"cn=mail-gw,{services}", mail.password,
        f"cn=all,{services}", everything.password,
    )  # fmt: skip


class RunningServer:
    """Schulhof's LDAP server on its own event loop in a thread, on free ports."""

    def __init__(self, svc: Services, tls: ssl.SSLContext, *, anonymous: bool = False) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        config = LdapConfig(base=BASE, tls=tls, anonymous=anonymous, follow_interval=0.1)
        self.server = LdapServer(svc, config)
        addresses = asyncio.run_coroutine_threadsafe(
            self.server.start("127.0.0.1", 0, 0), self.loop
        ).result(120)
        self.port = addresses[0][1]
        self.ldaps_port = addresses[1][1]

    @property
    def url(self) -> str:
        return f"ldap://localhost:{self.port}"

    @property
    def ldaps_url(self) -> str:
        return f"ldaps://localhost:{self.ldaps_port}"

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.server.close(), self.loop).result(30)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(30)
        self.loop.close()


@dataclass
class Tls:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx


def serve(svc: Services, tls: Tls, *, anonymous: bool = False) -> Iterator[RunningServer]:
    running = RunningServer(svc, tls.server_context(), anonymous=anonymous)
    try:
        yield running
    finally:
        running.stop()


def client_env(tls: Tls) -> dict[str, str]:
    """OpenLDAP client settings: our CA and a checked certificate (they override ldap.conf)."""
    return {
        **os.environ,
        "LDAPTLS_CACERT": str(tls.cert),
        "LDAPTLS_REQCERT": "demand",
    }


Entries = dict[str, dict[str, list[str]]]


def parse_ldif(text: str) -> Entries:
    """`ldapsearch -LLL -o ldif-wrap=no` output: DN → attribute (lowercase) → values."""
    out: Entries = {}
    current: dict[str, list[str]] | None = None
    for line in text.splitlines():
        if not line.strip():
            current = None
            continue
        if line.startswith("#"):
            continue
        name, _, value = line.partition(":")
        if value.startswith(":"):
            value = base64.b64decode(value[1:].strip()).decode()
        else:
            value = value.strip()
        if name == "dn":
            current = out.setdefault(value, {})
            continue
        if current is not None:
            current.setdefault(name.lower(), []).append(value)
    return out


def ldapsearch(
    tls: Tls, url: str, *args: str, bind: tuple[str, str] | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    binary = require("ldapsearch", "ldap-utils")
    auth = ["-D", bind[0], "-w", bind[1]] if bind else []
    done = subprocess.run(
        [binary, "-x", "-H", url, "-LLL", "-o", "ldif-wrap=no", *auth, *args],
        env=client_env(tls),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if check:
        assert done.returncode == 0, done.stderr
    return done
