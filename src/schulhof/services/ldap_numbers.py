"""Stable uidNumber/gidNumber for the LDAP view (see docs/design/ldap.md).

The LDAP face is read-only, but a number must exist before an entry is served: the first
time the view meets a person or group key, it asks here, and the number is written once.
"""

from __future__ import annotations

from collections.abc import Iterable

from schulhof.services.runtime import Services
from schulhof.store import ldap_numbers as number_store
from schulhof.store.database import read_connection, write_connection

UID = "uid"
GID = "gid"


def numbers(svc: Services, kind: str) -> dict[str, int]:
    """Every number of `kind` given so far, by key."""
    with read_connection(svc.engine) as conn:
        return number_store.existing(conn, kind)


def assign(svc: Services, kind: str, keys: Iterable[str], known: dict[str, int]) -> dict[str, int]:
    """Numbers for `keys` not in `known` (allocated now, one transaction); `known` is updated
    in place and returned."""
    missing = [k for k in dict.fromkeys(keys) if k not in known]
    if missing:
        with write_connection(svc.engine) as conn:
            known.update(number_store.allocate(conn, kind, missing))
    return known
