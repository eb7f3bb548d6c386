"""NT hashes for FreeRADIUS (PEAP/MSCHAPv2 in a school's WLAN): off unless an authority
switches `[ldap] nt_hash = true` on in schulhof.toml.

An NT hash is MD4 of the UTF-16LE password: unsalted, fast to compute, and for MSCHAP as
good as the password itself (whoever holds it can sign in). So: it is made only when a
password is written while the setting is on (services/passwords.py `_store`), never for a
temporary password, served only to LDAP accounts granted `sambaNTPassword` by name, and
every stored one is dropped when the setting is off (`drop_if_disabled`, run at the start
of every `schulhof` command, `db upgrade` and `serve` included).
"""

from __future__ import annotations

from collections.abc import Sequence

from Crypto.Hash import MD4  # hashlib's md4 is gone under OpenSSL 3

from schulhof.services import audit
from schulhof.services.runtime import Services
from schulhof.store import credentials as credential_store
from schulhof.store.audit import AuditEntry
from schulhof.store.database import read_connection, write_connection

_CHUNK = 1000  # ids per query (SQLite's limit of bound parameters)


def nt_hash(password: str) -> str:
    """Upper-case hex, as Samba writes sambaNTPassword."""
    return MD4.new(password.encode("utf-16-le")).hexdigest().upper()  # noqa: S303 - the protocol's


def for_password(svc: Services, password: str, *, must_change: bool) -> str | None:
    """What `_store` keeps beside a new password: its NT hash when the setting is on and
    the password is the person's own (a temporary one must not open the WLAN)."""
    if not svc.settings.ldap_nt_hash or must_change:
        return None
    return nt_hash(password)


def for_people(svc: Services, person_ids: Sequence[str]) -> dict[str, str]:
    """Stored NT hashes by person id; none at all while the setting is off. Callers decide
    who may see them (an LDAP account granted sambaNTPassword, active people only)."""
    if not svc.settings.ldap_nt_hash or not person_ids:
        return {}
    found: dict[str, str] = {}
    with read_connection(svc.engine) as conn:
        for i in range(0, len(person_ids), _CHUNK):
            found.update(credential_store.nt_hashes(conn, person_ids[i : i + _CHUNK]))
    return found


def drop_if_disabled(svc: Services) -> int:
    """With the setting off, forget every stored NT hash (audited with the count)."""
    if svc.settings.ldap_nt_hash:
        return 0
    with write_connection(svc.engine) as conn:
        dropped = credential_store.drop_nt_hashes(conn)
        if dropped:
            audit.record(
                conn,
                [AuditEntry(svc.clock(), "system:settings", "ldap.nt_hashes_dropped",
                            "credentials", None, None, {"count": dropped})],
            )  # fmt: skip
    return dropped
