"""Who is acting. Every service call names an actor; the change log records its label."""

from __future__ import annotations

import enum
from dataclasses import dataclass


class ActorKind(enum.StrEnum):
    OPERATOR = "operator"  # the command line on the server: may do everything
    CITY_ADMIN = "city_admin"
    SCHOOL_ADMIN = "school_admin"
    TEACHER = "teacher"
    SERVICE = "service"
    SYSTEM = "system"  # scheduled jobs such as the lifecycle run and imports


@dataclass(frozen=True, slots=True)
class Actor:
    kind: ActorKind
    name: str
    schools: frozenset[str] = frozenset()
    person_id: str | None = None

    @property
    def label(self) -> str:
        """How the change log and audit trail name this actor."""
        return f"{self.kind}:{self.name}"


def operator(name: str = "cli") -> Actor:
    return Actor(ActorKind.OPERATOR, name)


def system(name: str) -> Actor:
    return Actor(ActorKind.SYSTEM, name)
