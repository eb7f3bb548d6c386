"""Who may do what. Pure functions over an actor and a target; deny wins.

Every face — CLI, REST, LDAP, SCIM, OIDC claims — asks these functions, through the
services layer. A rule returns False whenever any of its conditions fails; there is no
rule that grants what another denies.

The actors:

- operator (CLI on the server), city admin, system jobs: everything;
- school admin: reads people with a role at one of their schools; changes people whose
  every role is at their schools and who are not school admins themselves (a teacher who
  also works at another school is that school's person too: only the city changes them);
- teacher: reads themselves and the students of the groups they teach; resets the
  passwords of those students (students only: never another teacher's);
- service: reads people and groups of its schools, only its attributes; writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable

from schulhof.access.actors import Actor, ActorKind
from schulhof.domain.model import Person, Role

_ALL_SCHOOLS = frozenset({ActorKind.OPERATOR, ActorKind.CITY_ADMIN, ActorKind.SYSTEM})

# What a service sees unless its registration names attributes: enough to sign someone
# in and put them in the right groups, nothing else (no birth date, no e-mail).
SERVICE_DEFAULT_ATTRIBUTES = frozenset(
    {"id", "username", "given_name", "family_name", "state", "schools", "roles", "classes"}
)
# Every attribute of a person view; a service can be granted any of these.
PERSON_ATTRIBUTES = frozenset(
    {"id", "username", "given_name", "family_name", "birth_date", "email", "state",
     "disabled_at", "delete_after", "schools", "roles", "contexts", "classes", "sources",
     "version"}
)  # fmt: skip
# Granted only by name, never by default and never to a person reading themselves: the NT
# hash of a person's password (sambaNTPassword, for FreeRADIUS MSCHAPv2), a secret as good
# as the password (services/nt_hashes.py).
NT_HASH_GRANT = "sambaNTPassword"
GRANTABLE_ATTRIBUTES = PERSON_ATTRIBUTES | {NT_HASH_GRANT}


def sees_every_school(actor: Actor) -> bool:
    return actor.kind in _ALL_SCHOOLS


def readable_schools(actor: Actor) -> frozenset[str] | None:
    """Schools whose data the actor may read at all; None means every school."""
    if sees_every_school(actor):
        return None
    return actor.schools


def may_read_school(actor: Actor, number: str) -> bool:
    schools = readable_schools(actor)
    return schools is None or number in schools


def may_manage_schools(actor: Actor, school_numbers: Iterable[str]) -> bool:
    """May `actor` change data of every one of these schools?"""
    if sees_every_school(actor):
        return True
    if actor.kind is ActorKind.SCHOOL_ADMIN:
        wanted = set(school_numbers)
        return bool(wanted) and wanted <= actor.schools
    return False


def may_create_schools(actor: Actor) -> bool:
    return sees_every_school(actor)


def may_read_person(actor: Actor, person: Person, *, taught: frozenset[str] = frozenset()) -> bool:
    """`taught`: ids of the students in the groups the acting teacher teaches."""
    if sees_every_school(actor):
        return True
    if actor.person_id is not None and actor.person_id == person.id:
        return True  # everyone may read themselves
    if actor.kind in (ActorKind.SCHOOL_ADMIN, ActorKind.SERVICE):
        return any(c.school_number in actor.schools for c in person.contexts)
    if actor.kind is ActorKind.TEACHER:
        return person.id in taught and _at_actor_schools(actor, person)
    return False


def may_write_person(actor: Actor, person: Person) -> bool:
    """Change names, state, roles; delete."""
    if sees_every_school(actor):
        return True
    if actor.kind is not ActorKind.SCHOOL_ADMIN:
        return False
    if not person.contexts:
        return False  # a person of no school is the authority's
    if any(c.role is Role.SCHOOL_ADMIN for c in person.contexts):
        return False  # admins are made and changed by the city
    return all(c.school_number in actor.schools for c in person.contexts)


def may_reset_password(
    actor: Actor, person: Person, *, taught: frozenset[str] = frozenset()
) -> bool:
    if may_write_person(actor, person):
        return True
    if actor.kind is not ActorKind.TEACHER:
        return False
    return (
        person.id in taught
        and bool(person.contexts)
        and all(c.role is Role.STUDENT for c in person.contexts)
        and _at_actor_schools(actor, person)
    )


def _at_actor_schools(actor: Actor, person: Person) -> bool:
    # A teacher token may be limited to schools; unlimited teacher tokens span the
    # teacher's own schools (the services pass them in `actor.schools`).
    return not actor.schools or any(c.school_number in actor.schools for c in person.contexts)


def visible_attributes(actor: Actor) -> frozenset[str] | None:
    """The person attributes the actor may see; None means all."""
    if actor.kind is ActorKind.SERVICE:
        granted = actor.attributes if actor.attributes is not None else SERVICE_DEFAULT_ATTRIBUTES
        return granted & GRANTABLE_ATTRIBUTES
    return None


def may_read_nt_hashes(actor: Actor) -> bool:
    """Only a service whose registration names sambaNTPassword."""
    return (
        actor.kind is ActorKind.SERVICE
        and actor.attributes is not None
        and NT_HASH_GRANT in actor.attributes
    )


def may_read_audit(actor: Actor) -> bool:
    return sees_every_school(actor) or actor.kind is ActorKind.SCHOOL_ADMIN


def may_manage_tokens(actor: Actor) -> bool:
    return actor.kind in (ActorKind.OPERATOR, ActorKind.CITY_ADMIN)


def may_import(actor: Actor) -> bool:
    return sees_every_school(actor) or actor.kind is ActorKind.SCHOOL_ADMIN
