"""Search filters (RFC 4511 §4.5.1.7): the tree, and its evaluation with three-valued logic.

A filter is evaluated against a *getter* that yields an attribute's values as the reader
may see them: a hidden attribute reads as absent, so a filter cannot tell "hidden" from
"not there" and never reveals a value. Comparison follows the attribute's matching rules
(schema.py): caseIgnore for names, caseExact for memberUid and paths, integers for
uidNumber, DN match for member. An item whose type is unknown, whose rule is missing
(e.g. ordering on cn) or whose assertion value is invalid is Undefined (None); `not`
keeps Undefined, and only True selects an entry (§4.5.1.7).
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from schulhof.protocols.ldap import dn as dns
from schulhof.protocols.ldap.schema import EXTENSIBLE_RULES, OBJECT_CLASSES, AttributeType, Match

Getter = Callable[[AttributeType], Sequence[str]]
_CLASS_OIDS = {c.oid: c.name.lower() for c in OBJECT_CLASSES}


@dataclass(frozen=True, slots=True)
class And:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Or:
    items: tuple[Filter, ...]


@dataclass(frozen=True, slots=True)
class Not:
    item: Filter


@dataclass(frozen=True, slots=True)
class Compare:
    """equality (=), greaterOrEqual (>=), lessOrEqual (<=), approxMatch (~=)."""

    op: str  # "=", ">=", "<=", "~="
    attr: AttributeType | None
    value: str


@dataclass(frozen=True, slots=True)
class Substrings:
    attr: AttributeType | None
    initial: str | None
    any: tuple[str, ...]
    final: str | None


@dataclass(frozen=True, slots=True)
class Present:
    attr: AttributeType | None
    name: str


@dataclass(frozen=True, slots=True)
class Extensible:
    rule: str | None
    attr: AttributeType | None
    value: str
    dn_attributes: bool


Filter = And | Or | Not | Compare | Substrings | Present | Extensible


def normalize(match: Match, value: str) -> str | int | None:
    """The comparable form of `value` under `match`; None if it is not a valid value."""
    if match is Match.CASE_IGNORE:
        return _case_ignore(value)
    if match is Match.CASE_EXACT:
        return " ".join(value.split())
    if match is Match.INTEGER:
        try:
            return int(value.strip())
        except ValueError:
            return None
    if match is Match.DN:
        try:
            return dns.normalize(value)
        except dns.InvalidDNError:
            return None
    if match is Match.OID:
        low = value.strip().lower()
        return _CLASS_OIDS.get(low, low)
    return value.strip().lower()  # UUID


@functools.lru_cache(maxsize=65536)
def _case_ignore(value: str) -> str:
    return " ".join(value.split()).casefold()


def _fold(value: str) -> str:
    """Approximate form: case, spaces and accents folded."""
    decomposed = unicodedata.normalize("NFKD", " ".join(value.split()).casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def evaluate(f: Filter, get: Getter, entry_dn: str = "") -> bool | None:
    """True, False or None (Undefined)."""
    if isinstance(f, And):
        result: bool | None = True
        for item in f.items:
            r = evaluate(item, get, entry_dn)
            if r is False:
                return False
            if r is None:
                result = None
        return result
    if isinstance(f, Or):
        result = False
        for item in f.items:
            r = evaluate(item, get, entry_dn)
            if r is True:
                return True
            if r is None:
                result = None
        return result
    if isinstance(f, Not):
        r = evaluate(f.item, get, entry_dn)
        return None if r is None else not r
    if isinstance(f, Present):
        if f.attr is None:
            return None  # an unrecognised type is Undefined everywhere, as in slapd
        return bool(get(f.attr))
    if isinstance(f, Compare):
        return _compare(f, get)
    if isinstance(f, Substrings):
        return _substrings(f, get)
    return _extensible(f, get, entry_dn)


def _compare(f: Compare, get: Getter) -> bool | None:
    at = f.attr
    if at is None:
        return None
    if f.op == "~=":
        if at.match in (Match.CASE_IGNORE, Match.CASE_EXACT):
            wanted = _fold(f.value)
            return any(_fold(v) == wanted for v in get(at))
        return _compare(Compare("=", at, f.value), get)
    assertion = normalize(at.match, f.value)
    if assertion is None:
        return None
    if f.op == "=":
        return any(normalize(at.match, v) == assertion for v in get(at))
    if at.ordering is None:
        return None  # no ORDERING rule in the schema: Undefined, as in slapd
    values = [normalize(at.match, v) for v in get(at)]
    if isinstance(assertion, int):
        ints = [v for v in values if isinstance(v, int)]
        return (
            any(v >= assertion for v in ints) if f.op == ">=" else any(v <= assertion for v in ints)
        )
    strs = [v for v in values if isinstance(v, str)]
    return any(v >= assertion for v in strs) if f.op == ">=" else any(v <= assertion for v in strs)


def _substrings(f: Substrings, get: Getter) -> bool | None:
    at = f.attr
    if at is None or at.substr is None:
        return None
    match = at.match

    def norm(s: str) -> str:
        n = normalize(match, s)
        return n if isinstance(n, str) else s

    initial = norm(f.initial) if f.initial is not None else None
    final = norm(f.final) if f.final is not None else None
    middle = [norm(a) for a in f.any]
    for raw in get(at):
        v = norm(raw)
        pos = 0
        if initial is not None:
            if not v.startswith(initial):
                continue
            pos = len(initial)
        end = len(v)
        if final is not None:
            if len(v) - pos < len(final) or not v.endswith(final):
                continue
            end = len(v) - len(final)
        ok = True
        for piece in middle:
            found = v.find(piece, pos, end)
            if found < 0:
                ok = False
                break
            pos = found + len(piece)
        if ok:
            return True
    return False


def _extensible(f: Extensible, get: Getter, entry_dn: str) -> bool | None:
    match: Match | None
    if f.rule is not None:
        match = EXTENSIBLE_RULES.get(f.rule.lower())
        if match is None:
            return None  # inappropriate/unknown matching rule: Undefined
    elif f.attr is not None:
        match = f.attr.match
    else:
        return None
    if f.attr is None:
        return None
    assertion = normalize(match, f.value)
    if assertion is None:
        return None
    if any(normalize(match, v) == assertion for v in get(f.attr)):
        return True
    if f.dn_attributes and entry_dn:
        for rdn in dns.parse(entry_dn):
            for name, value in rdn:
                if name.lower() == f.attr.key and normalize(match, value) == assertion:
                    return True
    return False
