"""Who is acting. Every service call names an actor; the change log records its label."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ActorKind(enum.StrEnum):
    OPERATOR = "operator"  # the command line on the server: may do everything
    CITY_ADMIN = "city_admin"  # the authority's IT: every school
    SCHOOL_ADMIN = "school_admin"  # one or more schools' IT
    TEACHER = "teacher"  # the students of the groups they teach
    SERVICE = "service"  # a connected service: read-only, its schools and attributes
    SYSTEM = "system"  # scheduled jobs such as the lifecycle run and imports
    PERSON = "person"  # a person signed in as themselves (LDAP bind): reads only themselves


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    name: str
    schools: frozenset[str] = frozenset()
    person_id: str | None = None  # the person behind a teacher's (or admin's) token
    attributes: frozenset[str] | None = None  # what a service may see; None: its defaults
    token_id: str | None = None

    @property
    def label(self) -> str:
        """How the change log and audit trail name this actor."""
        return f"{self.kind}:{self.name}"


def operator(name: str = "cli") -> Actor:
    return Actor(ActorKind.OPERATOR, name)


def system(name: str) -> Actor:
    return Actor(ActorKind.SYSTEM, name)


OPERATOR = operator()  # the command line's actor
