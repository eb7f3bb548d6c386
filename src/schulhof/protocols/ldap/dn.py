"""Distinguished names as strings (RFC 4514): escaping values and a normal form to compare.

All naming attributes we serve (uid, cn, ou, dc, o) match case-insensitively, so the normal
form lowercases values as well as types; that is what `distinguishedNameMatch` needs here.
"""

from __future__ import annotations

import functools

from schulhof.protocols.ldap.schema import lookup

_SPECIAL = set(',+"\\<>;=')


class InvalidDNError(ValueError):
    pass


def escape(value: str) -> str:
    """An attribute value for use in an RDN (RFC 4514 §2.4)."""
    out = []
    for i, ch in enumerate(value):
        if ch in _SPECIAL or (ch == "#" and i == 0) or (ch == " " and i in (0, len(value) - 1)):
            out.append("\\" + ch)
        elif ch == "\0":
            out.append("\\00")
        else:
            out.append(ch)
    return "".join(out)


def _split(text: str, sep: str) -> list[str]:
    parts, current, i = [], [], 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 1 < len(text):
            current.append(text[i : i + 2])
            i += 2
            continue
        if ch in sep:
            parts.append("".join(current))
            current = []
        else:
            current.append(ch)
        i += 1
    parts.append("".join(current))
    return parts


def _unescape(value: str) -> str:
    out = bytearray()
    i = 0
    while i < len(value):
        ch = value[i]
        if ch == "\\" and i + 1 < len(value):
            nxt = value[i + 1 : i + 3]
            if len(nxt) == 2 and all(c in "0123456789abcdefABCDEF" for c in nxt):
                out.append(int(nxt, 16))
                i += 3
                continue
            out += value[i + 1].encode()
            i += 2
            continue
        out += ch.encode()
        i += 1
    return out.decode(errors="replace")


def parse(dn: str) -> list[list[tuple[str, str]]]:
    """RDNs, each a list of (attribute type, unescaped value); raises InvalidDNError."""
    if not dn.strip():
        return []
    rdns = []
    for rdn in _split(dn, ",;"):
        avas = []
        for ava in _split(rdn, "+"):
            name, eq, value = ava.partition("=")
            if not eq or not name.strip():
                raise InvalidDNError(f"not a DN: {dn!r}")
            avas.append((name.strip(), _unescape(value.strip())))
        rdns.append(avas)
    return rdns


@functools.lru_cache(maxsize=65536)
def normalize(dn: str) -> str:
    """The comparable form: canonical lowercase types, case-folded values, no extra spaces."""
    out = []
    for rdn in parse(dn):
        avas = []
        for name, value in rdn:
            known = lookup(name)
            kind = known.key if known else name.lower()
            avas.append(f"{kind}={escape(' '.join(value.split()).casefold())}")
        out.append("+".join(sorted(avas)))
    return ",".join(out)


def parent(normal: str) -> str:
    """The parent of a normalised DN ('' for a top-level one)."""
    return ",".join(_split(normal, ",")[1:])


def first_value(normal: str, kind: str) -> str | None:
    """The value of the leading RDN if its type is `kind`, e.g. the uid of a person's DN."""
    rdns = parse(normal)
    if not rdns or len(rdns[0]) != 1 or rdns[0][0][0] != kind:
        return None
    return rdns[0][0][1]
