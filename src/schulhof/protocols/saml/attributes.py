"""The attributes an SP may be given: standard names with their `urn:oid` names, and the
Schulhof ones under the project's UUID arc (X.667, the same arc as the LDAP schema).

Each attribute needs one field of `services.release.Release` — a registration for `mail`
also asks the release for `email`; what the release withholds is never sent.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from saml2.attribute_converter import AttributeConverter
from saml2.saml import NAME_FORMAT_URI

from schulhof.protocols.ldap.schema import SCHULHOF_ARC
from schulhof.services.release import Release

EDUPERSON = "urn:oid:1.3.6.1.4.1.5923.1.1.1."


@dataclass(frozen=True, slots=True)
class SamlAttribute:
    friendly: str  # FriendlyName, and the name used on the command line
    oid: str  # Name, NameFormat uri (SAML V2.0 Attribute Profile, urn:oid)
    needs: str  # the release field (services.clients.RELEASABLE) it comes from
    description: str


ATTRIBUTES: tuple[SamlAttribute, ...] = (
    SamlAttribute("uid", "urn:oid:0.9.2342.19200300.100.1.1", "username", "the username"),
    SamlAttribute("mail", "urn:oid:0.9.2342.19200300.100.1.3", "email", "e-mail address"),
    SamlAttribute("displayName", "urn:oid:2.16.840.1.113730.3.1.241", "name", "full name"),
    SamlAttribute("givenName", "urn:oid:2.5.4.42", "name", "given name"),
    SamlAttribute("sn", "urn:oid:2.5.4.4", "name", "family name"),
    SamlAttribute(
        "eduPersonAffiliation",
        f"{EDUPERSON}1",
        "roles",
        "student, faculty, staff, employee, member, affiliate",
    ),
    SamlAttribute("eduPersonPrincipalName", f"{EDUPERSON}6", "username", "username@scope"),
    SamlAttribute("eduPersonScopedAffiliation", f"{EDUPERSON}9", "roles", "affiliation@scope"),
    SamlAttribute(
        "schulhofSchoolNumber",
        f"urn:oid:{SCHULHOF_ARC}.1.1",
        "schools",
        "number of each school the person belongs to (of the SP's schools)",
    ),
    SamlAttribute(
        "schulhofClass",
        f"urn:oid:{SCHULHOF_ARC}.3.1",
        "groups",
        "classes as <school number>-<class>, e.g. 91000-4a",
    ),
    SamlAttribute(
        "schulhofCourse",
        f"urn:oid:{SCHULHOF_ARC}.3.2",
        "groups",
        "courses and workgroups as <school number>-<name>",
    ),
)
BY_NAME = {a.friendly.lower(): a for a in ATTRIBUTES}
BY_OID = {a.oid: a for a in ATTRIBUTES}


def canonical(names: Iterable[str]) -> tuple[str, ...]:
    """Attribute names as given (friendly names in any case, or urn:oid names) in their
    canonical spelling, in table order; raises KeyError naming the first unknown one."""
    wanted = set()
    for raw in names:
        found = BY_NAME.get(raw.strip().lower()) or BY_OID.get(raw.strip())
        if found is None:
            raise KeyError(raw)
        wanted.add(found.friendly)
    return tuple(a.friendly for a in ATTRIBUTES if a.friendly in wanted)


def release_fields(names: Iterable[str]) -> tuple[str, ...]:
    """The release fields these attributes need (the registration's `release`)."""
    return tuple(sorted({BY_NAME[n.lower()].needs for n in names}))


def values(release: Release, names: Iterable[str], scope: str) -> dict[str, list[str]]:
    """The registered attributes that have values for this person, by friendly name.

    `release` is already trimmed to what the SP may learn; a field it withholds (None)
    yields no attribute at all rather than an empty one."""
    out: dict[str, list[str]] = {}
    for name in names:
        got = _value(release, name, scope)
        if got:
            out[name] = got
    return out


def _value(r: Release, name: str, scope: str) -> list[str] | None:
    match name:
        case "uid":
            return [r.username] if r.username else None
        case "mail":
            return [r.email] if r.email else None
        case "displayName":
            return [r.display_name] if r.display_name else None
        case "givenName":
            return [r.given_name] if r.given_name else None
        case "sn":
            return [r.family_name] if r.family_name else None
        case "eduPersonAffiliation":
            return list(r.affiliation) if r.affiliation else None
        case "eduPersonPrincipalName":
            return [f"{r.username}@{scope}"] if r.username else None
        case "eduPersonScopedAffiliation":
            return [f"{a}@{scope}" for a in r.affiliation] if r.affiliation else None
        case "schulhofSchoolNumber":
            return list(r.school_numbers) if r.school_numbers else None
        case "schulhofClass":
            return list(r.classes) if r.classes else None
        case "schulhofCourse":
            return list(r.courses) if r.courses else None
    return None


def converter() -> AttributeConverter:
    """pysaml2's map from friendly names to urn:oid names (replacing its own maps, which
    know nothing of Schulhof's attributes)."""
    conv = AttributeConverter(NAME_FORMAT_URI)
    conv.from_dict(
        {
            "identifier": NAME_FORMAT_URI,
            "fro": {a.oid: a.friendly for a in ATTRIBUTES},
            "to": {a.friendly: a.oid for a in ATTRIBUTES},
        }
    )
    return conv
