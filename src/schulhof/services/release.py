"""What a connected service learns of a person who signs in to it — for OIDC claims and SAML
attributes alike, so both protocols release the same things under the same rules.

Least by default: a subject, and only the fields the service was registered with. A service
limited to some schools refuses people of other schools and sees only its own schools'
numbers, roles and groups of a person who is also at other schools. Only active people are
released. A pairwise subject (HMAC of the person id with a server secret and the service's
sector) keeps services of different vendors from joining their data on it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

from schulhof.domain.errors import NotFoundError
from schulhof.domain.model import GroupKind, LifecycleState, Role
from schulhof.services.clients import ServiceClient
from schulhof.services.runtime import Services
from schulhof.services.secrets import server_secret
from schulhof.store import groups as group_store
from schulhof.store import persons as person_store
from schulhof.store.database import read_connection


@dataclass(frozen=True, slots=True)
class Release:
    """None / empty: not released to this service."""

    subject: str
    username: str | None = None
    given_name: str | None = None
    family_name: str | None = None
    display_name: str | None = None
    email: str | None = None
    roles: tuple[Role, ...] | None = None
    # eduPersonAffiliation values (student, faculty, staff, member), with the roles
    affiliation: tuple[str, ...] | None = None
    school_numbers: tuple[str, ...] | None = None
    # Qualified `<school number>-<name>` (e.g. `91000-5a`), as the LDAP face names groups;
    # workgroups count as courses.
    classes: tuple[str, ...] | None = None
    courses: tuple[str, ...] | None = None


_AFFILIATION = {
    Role.STUDENT: "student",
    Role.TEACHER: "faculty",
    Role.STAFF: "staff",
    Role.SCHOOL_ADMIN: "staff",
    Role.GUARDIAN: "affiliate",
}


def affiliation(roles: tuple[Role, ...]) -> tuple[str, ...]:
    """eduPerson affiliations: every role's, plus `member` for students and staff."""
    found = {_AFFILIATION[r] for r in roles}
    if found & {"student", "faculty", "staff"}:
        found.add("member")
    return tuple(sorted(found))


def pairwise_subject(svc: Services, sector: str, person_id: str) -> str:
    digest = hmac.new(
        server_secret(svc, "pairwise"), f"{sector}\x00{person_id}".encode(), hashlib.sha256
    ).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def subject_for(svc: Services, client: ServiceClient, person_id: str, *, pairwise: bool) -> str:
    if not pairwise:
        return person_id
    return pairwise_subject(svc, str(client.config.get("sector") or client.id), person_id)


def release_for(
    svc: Services, client: ServiceClient, person_id: str, *, pairwise: bool | None = None
) -> Release:
    """The person as `client` may see them; NotFoundError if it may not see them at all.
    `pairwise`: None = as registered (config "pairwise")."""
    with read_connection(svc.engine) as conn:
        person = person_store.load_one(conn, person_id)
        if person is None or person.state is not LifecycleState.ACTIVE:
            raise NotFoundError("no such person for this service")
        if not client.serves_school(person.school_numbers):
            raise NotFoundError("no such person for this service")
        wanted = set(client.release)
        classes: tuple[str, ...] | None = None
        courses: tuple[str, ...] | None = None
        if "groups" in wanted:
            mine = group_store.memberships_of(conn, person.id)
            found = [group_store.load_one(conn, m.group_id) for m in mine]
            seen = sorted(
                (g.kind, f"{g.school_number}-{g.name}")
                for g in found
                if g is not None and (not client.schools or g.school_number in client.schools)
            )
            classes = tuple(n for k, n in seen if k is GroupKind.CLASS)
            courses = tuple(n for k, n in seen if k is not GroupKind.CLASS)
    contexts = [
        c for c in person.contexts if not client.schools or c.school_number in client.schools
    ]
    roles = tuple(sorted({c.role for c in contexts}))
    use_pairwise = bool(client.config.get("pairwise")) if pairwise is None else pairwise
    named = "name" in wanted
    return Release(
        subject=subject_for(svc, client, person.id, pairwise=use_pairwise),
        username=person.username if "username" in wanted else None,
        given_name=person.given_name if named else None,
        family_name=person.family_name if named else None,
        display_name=f"{person.given_name} {person.family_name}".strip() if named else None,
        email=person.email if "email" in wanted else None,
        roles=roles if "roles" in wanted else None,
        affiliation=affiliation(roles) if "roles" in wanted else None,
        school_numbers=tuple(dict.fromkeys(c.school_number for c in contexts))
        if "schools" in wanted
        else None,
        classes=classes,
        courses=courses,
    )
