"""The tree as LDIF (RFC 2849), for loading into another LDAP server such as slapd.

User attributes and entryUUID only: the other operational attributes are the loading
server's to compute. Values that are not plain ASCII (or start with a space, ':' or '<')
are base64-encoded, as §3 requires.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from typing import TextIO

from schulhof.protocols.ldap.directory import Directory
from schulhof.protocols.ldap.entries import Entry
from schulhof.protocols.ldap.schema import BY_NAME

_SAFE_START = set(":< ")


def _line(name: str, value: str) -> str:
    safe = (
        value.isascii()
        and value.isprintable()
        and not (value and (value[0] in _SAFE_START or value[-1] == " "))
    )
    if safe:
        return f"{name}: {value}\n"
    return f"{name}:: {base64.b64encode(value.encode()).decode()}\n"


def entry_ldif(entry: Entry) -> str:
    out = [_line("dn", entry.dn)]
    for key, values in entry.attrs.items():
        at = BY_NAME.get(key)
        if at is None or (at.operational and key != "entryuuid"):
            continue
        out += [_line(at.name, v) for v in values]
    return "".join(out) + "\n"


def write_ldif(d: Directory, out: TextIO) -> int:
    """Every entry, parents first; returns how many were written."""
    n = 0
    for entry in _ordered(d):
        out.write(entry_ldif(entry))
        n += 1
    return n


def _ordered(d: Directory) -> Iterable[Entry]:
    return d.subtree(d.base_key)
