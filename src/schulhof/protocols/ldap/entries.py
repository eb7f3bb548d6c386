"""Directory entries made from domain values: a person, a group, the fixed containers.

Pure functions: the index (`directory.py`) decides when to call them. Values are strings
as sent on the wire; attributes are keyed by the lowercase name of their type.
"""

from __future__ import annotations

import enum
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field

from schulhof.domain.model import GroupKind, LifecycleState, Person, Role
from schulhof.protocols.ldap import dn as dns

SUBSCHEMA_DN = "cn=Subschema"
ROLE_GROUP_NAMES = {
    Role.STUDENT: "students",
    Role.TEACHER: "teachers",
    Role.STAFF: "staff",
    Role.SCHOOL_ADMIN: "admins",
    Role.GUARDIAN: "guardians",
}
# eduPerson 201602 affiliations for each role.
AFFILIATIONS = {
    Role.STUDENT: ("student", "member"),
    Role.TEACHER: ("faculty", "employee", "member"),
    Role.STAFF: ("staff", "employee", "member"),
    Role.SCHOOL_ADMIN: ("staff", "employee", "member"),
    Role.GUARDIAN: ("affiliate",),
}
_ROLE_GROUP_NS = uuid.UUID("6f1c3d52-2b7e-4f0e-9a57-51c1b0a8e0d1")


class EntryKind(enum.Enum):
    ROOT = "root"  # the base entry
    CONTAINER = "container"
    PERSON = "person"
    GROUP = "group"
    DSE = "dse"  # rootDSE and subschema: outside the tree


@dataclass(slots=True, eq=False)
class Entry:
    dn: str
    key: str  # the normalised DN
    kind: EntryKind
    attrs: dict[str, list[str]]
    person: Person | None = None
    school: str | None = None  # a group's school; None for authority-wide groups
    member_ids: tuple[str, ...] = ()  # a group's people, in the order of `member`
    group_keys: tuple[str, ...] = ()  # a person's groups, in the order of `memberOf`
    wire: dict[str, bytes] = field(default_factory=dict)  # encoded attributes, by key


@dataclass(frozen=True, slots=True)
class GroupInfo:
    """A served group: a class/course/workgroup (key: its id) or a role group
    (key: `role:<school>:<role>`, school `*` for the authority-wide one)."""

    key: str
    name: str  # the cn before collision handling
    school: str | None
    kind: str  # class, course, workgroup, role
    description: str
    uuid: str


def slug(text: str) -> str:
    cleaned = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-")
    return cleaned or "group"


def school_group(group_id: str, school: str, kind: GroupKind, name: str) -> GroupInfo:
    return GroupInfo(group_id, f"{school}-{slug(name)}", school, kind.value, name, group_id)


def role_group_key(school: str | None, role: Role) -> str:
    return f"role:{school or '*'}:{role.value}"


def role_group(school: str | None, role: Role) -> GroupInfo:
    key = role_group_key(school, role)
    plural = ROLE_GROUP_NAMES[role]
    name = f"{school}-{plural}" if school else plural
    where = f"school {school}" if school else "all schools"
    return GroupInfo(
        key, name, school, "role", f"{plural} of {where}", str(uuid.uuid5(_ROLE_GROUP_NS, key))
    )


def person_dn(username: str, base: str) -> str:
    return f"uid={dns.escape(username)},ou=people,{base}"


def group_dn(cn: str, base: str) -> str:
    return f"cn={dns.escape(cn)},ou=groups,{base}"


def _operational(
    entry_uuid: str | None, dn: str, structural: str, leaf: bool
) -> dict[str, list[str]]:
    attrs = {
        "entrydn": [dn],
        "subschemasubentry": [SUBSCHEMA_DN],
        "hassubordinates": ["FALSE" if leaf else "TRUE"],
        "structuralobjectclass": [structural],
    }
    if entry_uuid:
        attrs["entryuuid"] = [entry_uuid]
    return attrs


def person_entry(
    person: Person,
    base: str,
    *,
    uid_number: int,
    gid_number: int,
    groups: Sequence[tuple[str, str]],  # (group key, group DN), in memberOf order
) -> Entry:
    p = person
    dn = person_dn(p.username, base)
    full = f"{p.given_name} {p.family_name}".strip()
    affiliations = sorted({a for c in p.contexts for a in AFFILIATIONS[c.role]})
    attrs: dict[str, list[str]] = {
        "objectclass": ["top", "person", "organizationalPerson", "inetOrgPerson",
                        "posixAccount", "eduPerson", "schulhofPerson"],
        "uid": [p.username],
        "cn": [full],
        "sn": [p.family_name],
        "givenname": [p.given_name],
        "displayname": [full],
        "uidnumber": [str(uid_number)],
        "gidnumber": [str(gid_number)],
        "homedirectory": [f"/home/{p.username}"],
        "loginshell": ["/bin/bash"],
        "schulhoflifecyclestate": [p.state.value],
    }  # fmt: skip
    if p.email:
        attrs["mail"] = [p.email]
    if affiliations:
        attrs["edupersonaffiliation"] = affiliations
    if p.contexts:
        attrs["schulhofschoolnumber"] = list(p.school_numbers)
        attrs["schulhofrole"] = sorted({f"{c.school_number}:{c.role.value}" for c in p.contexts})
    if groups:
        attrs["memberof"] = [g_dn for _, g_dn in groups]
    attrs.update(_operational(p.id, dn, "inetOrgPerson", leaf=True))
    return Entry(
        dn, dns.normalize(dn), EntryKind.PERSON, attrs, person=p,
        group_keys=tuple(k for k, _ in groups),
    )  # fmt: skip


def group_entry(
    info: GroupInfo,
    cn: str,
    base: str,
    *,
    gid_number: int,
    members: Sequence[tuple[str, str, str]],  # (person id, DN, username)
) -> Entry:
    dn = group_dn(cn, base)
    attrs: dict[str, list[str]] = {
        "objectclass": ["top", "groupOfNames", "posixGroup", "schulhofGroup"],
        "cn": [cn],
        "gidnumber": [str(gid_number)],
        "description": [info.description],
        "schulhofgroupkind": [info.kind],
    }
    if info.school:
        attrs["schulhofschoolnumber"] = [info.school]
    if members:
        attrs["member"] = [m[1] for m in members]
        attrs["memberuid"] = [m[2] for m in members]
    attrs.update(_operational(info.uuid, dn, "groupOfNames", leaf=True))
    return Entry(
        dn, dns.normalize(dn), EntryKind.GROUP, attrs, school=info.school,
        member_ids=tuple(m[0] for m in members),
    )  # fmt: skip


def container_entries(base: str) -> list[Entry]:
    """The base entry and the three organisational units below it."""
    first = dns.parse(base)[0][0] if dns.parse(base) else ("dc", "schulhof")
    root_attrs: dict[str, list[str]] = {
        "objectclass": ["top", "organization", "dcObject"],
        "o": ["Schulhof"],
        first[0].lower(): [first[1]],
    }
    root_attrs.update(_operational(None, base, "organization", leaf=False))
    out = [Entry(base, dns.normalize(base), EntryKind.ROOT, root_attrs)]
    for ou in ("people", "groups", "services"):
        dn = f"ou={ou},{base}"
        attrs: dict[str, list[str]] = {"objectclass": ["top", "organizationalUnit"], "ou": [ou]}
        attrs.update(_operational(None, dn, "organizationalUnit", leaf=False))
        out.append(Entry(dn, dns.normalize(dn), EntryKind.CONTAINER, attrs))
    return out


def is_active(person: Person) -> bool:
    return person.state is LifecycleState.ACTIVE
