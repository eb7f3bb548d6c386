"""The demo's LDAP face: a self-signed certificate, a service account of one school, and
command lines that work when pasted (development only: never for real data).

The listener binds to 127.0.0.1 and to the addresses the machine's own names resolve to,
because the printed commands use the host name — the name the certificate is checked
against — and nothing wider.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import socket
from dataclasses import dataclass
from pathlib import Path

from schulhof.access.actors import OPERATOR, ActorKind
from schulhof.cli.certs import host_names, self_signed
from schulhof.cli.serve import tls_context
from schulhof.domain.model import Role
from schulhof.protocols.ldap.server import DEFAULT_BASE, LdapConfig
from schulhof.services import ldap_accounts
from schulhof.services import persons as person_service
from schulhof.services import tokens as token_service
from schulhof.services.runtime import Services
from schulhof.store.persons import PersonFilter

ACCOUNT = "demo-ldap"  # the demo's service account; a new demo run replaces it


@dataclass(frozen=True, slots=True)
class DemoLdap:
    config: LdapConfig
    hosts: tuple[str, ...]  # addresses to listen on
    port: int
    ldaps_port: int
    lines: tuple[str, ...]  # what the demo prints


def default_tls_dir() -> Path:
    cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "schulhof" / "demo-tls"


def prepare(svc: Services, school: str, *, port: int, ldaps_port: int, tls_dir: Path) -> DemoLdap:
    """A certificate made now (the host name may have changed since the last run), a
    service account of `school` with the default attributes, and the lines to print."""
    tls_dir.mkdir(parents=True, exist_ok=True)
    tls_dir.chmod(0o700)
    cert, key = self_signed(tls_dir)
    config = LdapConfig(base=DEFAULT_BASE, tls=tls_context(cert, key))
    bind_dn, password = _account(svc, school)
    name = _reachable_name()
    uid = _a_student(svc, school)
    ca = f"LDAPTLS_CACERT={shlex.quote(str(cert))}"
    auth = ["-x", "-D", bind_dn, "-w", password, "-b", DEFAULT_BASE]
    starttls = shlex.join(
        ["ldapsearch", "-H", f"ldap://{name}:{port}", "-ZZ", *auth, f"(uid={uid})" if uid else
         "(objectClass=inetOrgPerson)", "cn", "memberOf"]
    )  # fmt: skip
    ldaps = shlex.join(
        ["ldapsearch", "-H", f"ldaps://{name}:{ldaps_port}", *auth, "-E", "pr=100/noprompt",
         f"(&(objectClass=posixGroup)(schulhofSchoolNumber={school}))", "cn", "memberUid"]
    )  # fmt: skip
    lines = (
        f"  ldap://{name}:{port}  (plain, StartTLS with -ZZ)",
        f"  ldaps://{name}:{ldaps_port}",
        f"  base DN:  {DEFAULT_BASE}",
        f"  CA (the self-signed certificate): {cert}",
        f"  service bind DN (school {school}): {bind_dn}",
        f"  password: {password}",
        f"  {ca} {starttls}",
        f"  {ca} {ldaps}",
    )
    return DemoLdap(config, _listen_addresses(), port, ldaps_port, lines)


def _account(svc: Services, school: str) -> tuple[str, str]:
    for t in token_service.list_tokens(svc, OPERATOR):
        if t.role == ActorKind.SERVICE and t.name == ACCOUNT and t.revoked_at is None:
            token_service.revoke_token(svc, OPERATOR, t.id)  # one demo account at a time
    made = ldap_accounts.add_client(
        svc,
        OPERATOR,
        name=ACCOUNT,
        schools=(school,),
        expires_days=7,  # as the API tokens
    )
    return f"cn={made.name},ou=services,{DEFAULT_BASE}", made.password


def _a_student(svc: Services, school: str) -> str | None:
    found = person_service.list_persons(
        svc, OPERATOR, PersonFilter(school=school, role=Role.STUDENT), limit=1
    )
    return found[0].person.username if found else None


def _reachable_name() -> str:
    """The machine's name if it resolves (OpenLDAP then checks it against the certificate);
    else localhost."""
    for name in host_names():
        with contextlib.suppress(OSError):
            socket.getaddrinfo(name, None, type=socket.SOCK_STREAM)
            return name
    return "localhost"


def _listen_addresses() -> tuple[str, ...]:
    """127.0.0.1 and the local addresses the machine's names resolve to."""
    found = ["127.0.0.1"]
    for name in host_names():
        with contextlib.suppress(OSError):
            for family, _, _, _, sockaddr in socket.getaddrinfo(
                name, None, type=socket.SOCK_STREAM
            ):
                address = str(sockaddr[0])
                if address not in found and _is_local(family, address):
                    found.append(address)
    return tuple(found)


def _is_local(family: int, address: str) -> bool:
    try:
        with socket.socket(family, socket.SOCK_STREAM) as s:
            s.bind((address, 0))
    except OSError:
        return False
    return True
