"""Every attribute type and object class served, with its matching rules and access grant.

One source for three things: how filters compare values (`Match`), what the subschema
entry publishes (RFC 4512 §4.1), and the schema file a test slapd loads. Standard
definitions are copied from their RFCs (4519 core, 4524 cosine, 2798 inetOrgPerson,
2307bis posix, eduPerson 201602); ours live under the UUID arc `2.25.…` (X.667).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

SCHULHOF_ARC = "2.25.263349120443567158437236745009834119174"

DIRECTORY_STRING = "1.3.6.1.4.1.1466.115.121.1.15"
IA5_STRING = "1.3.6.1.4.1.1466.115.121.1.26"
INTEGER_SYNTAX = "1.3.6.1.4.1.1466.115.121.1.27"
DN_SYNTAX = "1.3.6.1.4.1.1466.115.121.1.12"
OID_SYNTAX = "1.3.6.1.4.1.1466.115.121.1.38"
UUID_SYNTAX = "1.3.6.1.1.16.1"
BOOLEAN_SYNTAX = "1.3.6.1.4.1.1466.115.121.1.7"
TIME_SYNTAX = "1.3.6.1.4.1.1466.115.121.1.24"
SYNTAX_NAMES = {
    DIRECTORY_STRING: "Directory String",
    IA5_STRING: "IA5 String",
    INTEGER_SYNTAX: "INTEGER",
    DN_SYNTAX: "DN",
    OID_SYNTAX: "OID",
    UUID_SYNTAX: "UUID",
    BOOLEAN_SYNTAX: "Boolean",
    TIME_SYNTAX: "Generalized Time",
}


class Match(enum.Enum):
    """How two values of an attribute compare (the equality rule's family)."""

    CASE_IGNORE = "caseIgnore"
    CASE_EXACT = "caseExact"
    INTEGER = "integer"
    DN = "distinguishedName"
    OID = "objectIdentifier"
    UUID = "UUID"


@dataclass(frozen=True, slots=True)
class AttributeType:
    name: str
    oid: str
    syntax: str
    match: Match
    equality: str
    substr: str | None = None
    ordering: str | None = None
    single: bool = False
    operational: bool = False
    grant: frozenset[str] = frozenset()  # person attributes (access/rules) a reader needs
    sup: str | None = None
    desc: str | None = None
    # Never in the entry index and never sent for '*': read from the services for the
    # entries of a search that names it (sambaNTPassword).
    secret: bool = False

    @property
    def key(self) -> str:
        return self.name.lower()

    def definition(self) -> str:
        parts = [f"( {self.oid} NAME '{self.name}'"]
        if self.desc:
            parts.append(f"DESC '{self.desc}'")
        if self.sup:
            parts.append(f"SUP {self.sup}")
        parts.append(f"EQUALITY {self.equality}")
        if self.ordering:
            parts.append(f"ORDERING {self.ordering}")
        if self.substr:
            parts.append(f"SUBSTR {self.substr}")
        parts.append(f"SYNTAX {self.syntax}")
        if self.single:
            parts.append("SINGLE-VALUE")
        if self.operational:
            parts.append("NO-USER-MODIFICATION USAGE directoryOperation")
        return " ".join(parts) + " )"


def _ci(name: str, oid: str, **kw: object) -> AttributeType:
    return AttributeType(
        name, oid, DIRECTORY_STRING, Match.CASE_IGNORE, "caseIgnoreMatch",
        substr="caseIgnoreSubstringsMatch", **kw,  # type: ignore[arg-type]
    )  # fmt: skip


_NAME = frozenset({"given_name", "family_name"})
_USERNAME = frozenset({"username"})

ATTRIBUTES: tuple[AttributeType, ...] = (
    AttributeType("objectClass", "2.5.4.0", OID_SYNTAX, Match.OID, "objectIdentifierMatch"),
    _ci("cn", "2.5.4.3", grant=_NAME),
    _ci("sn", "2.5.4.4", grant=_NAME),
    _ci("givenName", "2.5.4.42", grant=_NAME),
    _ci("displayName", "2.16.840.1.113730.3.1.241", single=True, grant=_NAME),
    _ci("uid", "0.9.2342.19200300.100.1.1", grant=_USERNAME),
    _ci("ou", "2.5.4.11"),
    _ci("o", "2.5.4.10"),
    _ci("description", "2.5.4.13"),
    AttributeType(
        "dc", "0.9.2342.19200300.100.1.25", IA5_STRING, Match.CASE_IGNORE, "caseIgnoreIA5Match",
        substr="caseIgnoreIA5SubstringsMatch", single=True,
    ),
    AttributeType(
        "mail", "0.9.2342.19200300.100.1.3", IA5_STRING, Match.CASE_IGNORE, "caseIgnoreIA5Match",
        substr="caseIgnoreIA5SubstringsMatch", grant=frozenset({"email"}),
    ),
    AttributeType(
        "uidNumber", "1.3.6.1.1.1.1.0", INTEGER_SYNTAX, Match.INTEGER, "integerMatch",
        ordering="integerOrderingMatch", single=True, grant=_USERNAME,
    ),
    AttributeType(
        "gidNumber", "1.3.6.1.1.1.1.1", INTEGER_SYNTAX, Match.INTEGER, "integerMatch",
        ordering="integerOrderingMatch", single=True, grant=_USERNAME,
    ),
    AttributeType(
        "homeDirectory", "1.3.6.1.1.1.1.3", IA5_STRING, Match.CASE_EXACT, "caseExactIA5Match",
        single=True, grant=_USERNAME,
    ),
    AttributeType(
        "loginShell", "1.3.6.1.1.1.1.4", IA5_STRING, Match.CASE_EXACT, "caseExactIA5Match",
        single=True, grant=_USERNAME,
    ),
    AttributeType(
        "memberUid", "1.3.6.1.1.1.1.12", IA5_STRING, Match.CASE_EXACT, "caseExactIA5Match",
        substr="caseExactIA5SubstringsMatch",
    ),
    AttributeType("member", "2.5.4.31", DN_SYNTAX, Match.DN, "distinguishedNameMatch"),
    AttributeType(
        "memberOf", "1.2.840.113556.1.2.102", DN_SYNTAX, Match.DN, "distinguishedNameMatch",
        grant=frozenset({"classes"}), desc="Groups this entry is a member of",
    ),
    _ci("eduPersonAffiliation", "1.3.6.1.4.1.5923.1.1.1.1", grant=frozenset({"roles"})),
    AttributeType(
        "schulhofSchoolNumber", f"{SCHULHOF_ARC}.1.1", DIRECTORY_STRING, Match.CASE_IGNORE,
        "caseIgnoreMatch", substr="caseIgnoreSubstringsMatch", ordering="caseIgnoreOrderingMatch",
        grant=frozenset({"schools"}), desc="Schulhof: number of a school the entry belongs to",
    ),
    _ci("schulhofRole", f"{SCHULHOF_ARC}.1.2", grant=frozenset({"roles"}),
        desc="Schulhof: school number and role, e.g. 91000:student"),
    _ci("schulhofLifecycleState", f"{SCHULHOF_ARC}.1.3", single=True,
        grant=frozenset({"state"}), desc="Schulhof: active or disabled"),
    _ci("schulhofGroupKind", f"{SCHULHOF_ARC}.1.4", single=True,
        desc="Schulhof: class, course, workgroup or role"),
    # Samba's definition (samba.schema); served as FreeRADIUS reads it for MSCHAPv2.
    AttributeType(
        "sambaNTPassword", "1.3.6.1.4.1.7165.2.1.25", f"{IA5_STRING}{{32}}", Match.CASE_IGNORE,
        "caseIgnoreIA5Match", single=True, grant=frozenset({"sambaNTPassword"}), secret=True,
        desc="MD4 hash of the unicode password",
    ),
    # Operational (RFC 4530, 4512, 5020): returned for '+' or by name.
    AttributeType(
        "entryUUID", "1.3.6.1.1.16.4", UUID_SYNTAX, Match.UUID, "UUIDMatch",
        ordering="UUIDOrderingMatch", single=True, operational=True, grant=frozenset({"id"}),
    ),
    AttributeType(
        "entryDN", "1.3.6.1.1.20", DN_SYNTAX, Match.DN, "distinguishedNameMatch",
        single=True, operational=True,
    ),
    AttributeType(
        "subschemaSubentry", "2.5.18.10", DN_SYNTAX, Match.DN, "distinguishedNameMatch",
        single=True, operational=True,
    ),
    AttributeType(
        "hasSubordinates", "2.5.18.9", BOOLEAN_SYNTAX, Match.CASE_IGNORE, "booleanMatch",
        single=True, operational=True,
    ),
    # Defined (ldap3 asks for them when it reads the schema), not served: the change log,
    # not the LDAP view, knows when an entry changed.
    AttributeType(
        "createTimestamp", "2.5.18.1", TIME_SYNTAX, Match.CASE_EXACT, "generalizedTimeMatch",
        ordering="generalizedTimeOrderingMatch", single=True, operational=True,
    ),
    AttributeType(
        "modifyTimestamp", "2.5.18.2", TIME_SYNTAX, Match.CASE_EXACT, "generalizedTimeMatch",
        ordering="generalizedTimeOrderingMatch", single=True, operational=True,
    ),
    AttributeType(
        "structuralObjectClass", "2.5.21.9", OID_SYNTAX, Match.OID, "objectIdentifierMatch",
        single=True, operational=True,
    ),
)  # fmt: skip

# The rootDSE's and subschema's own attributes (RFC 4512 §5.1, §4.2): operational.
_DSE = (
    ("namingContexts", "1.3.6.1.4.1.1466.101.120.5", DN_SYNTAX, Match.DN),
    ("supportedLDAPVersion", "1.3.6.1.4.1.1466.101.120.15", INTEGER_SYNTAX, Match.INTEGER),
    ("supportedControl", "1.3.6.1.4.1.1466.101.120.13", OID_SYNTAX, Match.OID),
    ("supportedExtension", "1.3.6.1.4.1.1466.101.120.7", OID_SYNTAX, Match.OID),
    ("supportedFeatures", "1.3.6.1.4.1.4203.1.3.5", OID_SYNTAX, Match.OID),
    ("supportedSASLMechanisms", "1.3.6.1.4.1.1466.101.120.14", DIRECTORY_STRING, Match.CASE_IGNORE),
    ("vendorName", "1.3.6.1.1.4", DIRECTORY_STRING, Match.CASE_EXACT),
    ("vendorVersion", "1.3.6.1.1.5", DIRECTORY_STRING, Match.CASE_EXACT),
    ("attributeTypes", "2.5.21.5", DIRECTORY_STRING, Match.OID),
    ("objectClasses", "2.5.21.6", DIRECTORY_STRING, Match.OID),
    ("ldapSyntaxes", "1.3.6.1.4.1.1466.101.120.16", DIRECTORY_STRING, Match.OID),
    ("matchingRules", "2.5.21.4", DIRECTORY_STRING, Match.OID),
)
OPERATIONAL_DSE = tuple(
    AttributeType(n, o, s, m, "objectIdentifierFirstComponentMatch", operational=True)
    for n, o, s, m in _DSE
)

BY_NAME: dict[str, AttributeType] = {}
for _a in (*ATTRIBUTES, *OPERATIONAL_DSE):
    BY_NAME[_a.key] = _a
    BY_NAME[_a.oid] = _a
BY_NAME["commonname"] = BY_NAME["cn"]
BY_NAME["surname"] = BY_NAME["sn"]
BY_NAME["userid"] = BY_NAME["uid"]
BY_NAME["gn"] = BY_NAME["givenname"]
BY_NAME["rfc822mailbox"] = BY_NAME["mail"]
BY_NAME["organizationalunitname"] = BY_NAME["ou"]
BY_NAME["organizationname"] = BY_NAME["o"]
BY_NAME["domaincomponent"] = BY_NAME["dc"]


def lookup(description: str) -> AttributeType | None:
    """The type an attribute description names (options like `;binary` ignored), or None."""
    return BY_NAME.get(description.split(";", 1)[0].strip().lower())


@dataclass(frozen=True, slots=True)
class ObjectClass:
    name: str
    oid: str
    kind: str  # STRUCTURAL, AUXILIARY, ABSTRACT
    sup: str = "top"
    must: tuple[str, ...] = ()
    may: tuple[str, ...] = ()
    desc: str | None = None

    def definition(self) -> str:
        parts = [f"( {self.oid} NAME '{self.name}'"]
        if self.desc:
            parts.append(f"DESC '{self.desc}'")
        if self.name != "top":
            parts.append(f"SUP {self.sup}")
        parts.append(self.kind)
        for word, names in (("MUST", self.must), ("MAY", self.may)):
            if names:
                inner = " $ ".join(names)
                parts.append(f"{word} ( {inner} )" if len(names) > 1 else f"{word} {inner}")
        return " ".join(parts) + " )"


OBJECT_CLASSES: tuple[ObjectClass, ...] = (
    ObjectClass("top", "2.5.6.0", "ABSTRACT", must=("objectClass",)),
    ObjectClass("dcObject", "1.3.6.1.4.1.1466.344", "AUXILIARY", must=("dc",)),
    ObjectClass("organization", "2.5.6.4", "STRUCTURAL", must=("o",), may=("description",)),
    ObjectClass("organizationalUnit", "2.5.6.5", "STRUCTURAL", must=("ou",),
                may=("description",)),
    ObjectClass("person", "2.5.6.6", "STRUCTURAL", must=("sn", "cn"), may=("description",)),
    ObjectClass("organizationalPerson", "2.5.6.7", "STRUCTURAL", sup="person"),
    ObjectClass("inetOrgPerson", "2.16.840.1.113730.3.2.2", "STRUCTURAL",
                sup="organizationalPerson", may=("displayName", "givenName", "mail", "uid")),
    ObjectClass("posixAccount", "1.3.6.1.1.1.2.0", "AUXILIARY",
                must=("cn", "uid", "uidNumber", "gidNumber", "homeDirectory"),
                may=("loginShell", "description")),
    ObjectClass("eduPerson", "1.3.6.1.4.1.5923.1.1.2", "AUXILIARY",
                may=("eduPersonAffiliation",)),
    ObjectClass("groupOfNames", "2.5.6.9", "STRUCTURAL", must=("cn",),
                may=("member", "description")),
    ObjectClass("posixGroup", "1.3.6.1.1.1.2.2", "AUXILIARY", must=("gidNumber",),
                may=("memberUid", "description")),
    ObjectClass("schulhofPerson", f"{SCHULHOF_ARC}.2.1", "AUXILIARY",
                may=("schulhofSchoolNumber", "schulhofRole", "schulhofLifecycleState",
                     "memberOf", "sambaNTPassword"),
                desc="Schulhof: schools, roles and lifecycle of a person"),
    ObjectClass("schulhofGroup", f"{SCHULHOF_ARC}.2.2", "AUXILIARY",
                may=("schulhofSchoolNumber", "schulhofGroupKind"),
                desc="Schulhof: school and kind of a group"),
    ObjectClass("subschema", "2.5.20.1", "AUXILIARY",
                may=("attributeTypes", "objectClasses", "ldapSyntaxes", "matchingRules")),
)  # fmt: skip

MATCHING_RULES = (
    ("2.5.13.0", "objectIdentifierMatch", OID_SYNTAX),
    ("2.5.13.1", "distinguishedNameMatch", DN_SYNTAX),
    ("2.5.13.2", "caseIgnoreMatch", DIRECTORY_STRING),
    ("2.5.13.3", "caseIgnoreOrderingMatch", DIRECTORY_STRING),
    ("2.5.13.4", "caseIgnoreSubstringsMatch", "1.3.6.1.4.1.1466.115.121.1.58"),
    ("2.5.13.5", "caseExactMatch", DIRECTORY_STRING),
    ("2.5.13.14", "integerMatch", INTEGER_SYNTAX),
    ("2.5.13.15", "integerOrderingMatch", INTEGER_SYNTAX),
    ("1.3.6.1.4.1.1466.109.114.1", "caseExactIA5Match", IA5_STRING),
    ("1.3.6.1.4.1.1466.109.114.2", "caseIgnoreIA5Match", IA5_STRING),
    ("1.3.6.1.4.1.1466.109.114.3", "caseIgnoreIA5SubstringsMatch", IA5_STRING),
    ("1.3.6.1.1.16.2", "UUIDMatch", UUID_SYNTAX),
    ("1.3.6.1.1.16.3", "UUIDOrderingMatch", UUID_SYNTAX),
)

# Extensible-match rules (RFC 4511 §4.5.1.7.7) we evaluate, by name and OID.
EXTENSIBLE_RULES: dict[str, Match] = {}
for _oid, _name, _ in MATCHING_RULES:
    _m = (
        Match.CASE_IGNORE if "caseIgnore" in _name
        else Match.CASE_EXACT if "caseExact" in _name
        else Match.INTEGER if "integer" in _name
        else Match.DN if "distinguishedName" in _name
        else Match.UUID if "UUID" in _name
        else Match.OID
    )  # fmt: skip
    if "Substrings" not in _name and "Ordering" not in _name:
        EXTENSIBLE_RULES[_name.lower()] = _m
        EXTENSIBLE_RULES[_oid] = _m


def subschema_values() -> dict[str, list[str]]:
    """The subschema entry's attribute values (RFC 4512 §4.2)."""
    return {
        "attributeTypes": [a.definition() for a in (*ATTRIBUTES, *OPERATIONAL_DSE)],
        "objectClasses": [c.definition() for c in OBJECT_CLASSES],
        "ldapSyntaxes": [f"( {oid} DESC '{name}' )" for oid, name in SYNTAX_NAMES.items()],
        "matchingRules": [f"( {oid} NAME '{n}' SYNTAX {s} )" for oid, n, s in MATCHING_RULES],
    }


# What slapd does not ship in core/cosine/inetorgperson: RFC 2307bis posix types (posixGroup
# auxiliary, so it sits beside groupOfNames), eduPerson, memberOf and ours. uidNumber and
# gidNumber are built into slapd 2.5.
_SLAPD_ATTRIBUTES = (
    "homeDirectory", "loginShell", "memberUid", "memberOf",
    "eduPersonAffiliation", "schulhofSchoolNumber", "schulhofRole", "schulhofLifecycleState",
    "schulhofGroupKind", "sambaNTPassword",
)  # fmt: skip
_SLAPD_CLASSES = ("posixAccount", "eduPerson", "posixGroup", "schulhofPerson", "schulhofGroup")


def slapd_schema() -> str:
    """Our additions in slapd.conf schema syntax (include after core, cosine, inetorgperson)."""
    lines = [f"attributetype {BY_NAME[n.lower()].definition()}" for n in _SLAPD_ATTRIBUTES]
    classes = {c.name: c for c in OBJECT_CLASSES}
    lines += [f"objectclass {classes[n].definition()}" for n in _SLAPD_CLASSES]
    return "\n\n".join(lines) + "\n"
