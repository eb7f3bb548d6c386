"""Read models the faces show: a person with their classes, a group with its size.

`as_dict` is the one JSON shape of a person, shared by `users list --json` and the API.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from schulhof.domain.changes import ChangeRecord
from schulhof.domain.model import Group, Membership, Person


@dataclass(frozen=True, slots=True)
class PersonView:
    person: Person
    classes: tuple[str, ...]
    fields: frozenset[str] | None = None  # what the reader may see; None: everything

    def as_dict(self) -> dict[str, Any]:
        full = self._full()
        if self.fields is None:
            return full
        return {k: v for k, v in full.items() if k in self.fields}

    def _full(self) -> dict[str, Any]:
        p = self.person
        return {
            "id": str(p.id),
            "username": p.username,
            "given_name": p.given_name,
            "family_name": p.family_name,
            "birth_date": p.birth_date.isoformat() if p.birth_date else None,
            "email": p.email,
            "state": p.state.value,
            "disabled_at": p.disabled_at.isoformat() if p.disabled_at else None,
            "delete_after": p.delete_after.isoformat() if p.delete_after else None,
            "schools": list(p.school_numbers),
            "roles": [r.value for r in p.roles],
            "contexts": [
                {"school": c.school_number, "role": c.role.value, "primary": c.primary}
                for c in p.contexts
            ],
            "classes": list(self.classes),
            "sources": [{"system": s.system, "id": s.source_id} for s in p.sources],
            "version": p.version,
        }


@dataclass(frozen=True, slots=True)
class GroupView:
    group: Group
    members: int

    def as_dict(self) -> dict[str, Any]:
        g = self.group
        return {
            "id": str(g.id),
            "school": g.school_number,
            "kind": g.kind.value,
            "name": g.name,
            "members": self.members,
            "sources": [{"system": s.system, "id": s.source_id} for s in g.sources],
        }


@dataclass(frozen=True, slots=True)
class MemberView:
    """A membership with the member as the reader may see them (the person's attributes
    are filtered; the membership itself names no one beyond that)."""

    membership: Membership
    person: PersonView

    def as_dict(self) -> dict[str, Any]:
        m = self.membership
        return {
            "role": m.role.value,
            "homeroom_teacher": m.homeroom_teacher,
            "person": self.person.as_dict(),
        }


def parse_id(raw: str) -> str | None:
    """The canonical text of a UUID, or None if `raw` is not one."""
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        return None


def change_dict(c: ChangeRecord) -> dict[str, Any]:
    """The one JSON shape of a change-log record (CLI and API)."""
    return {
        "seq": c.seq,
        "at": c.at.isoformat(),
        "actor": c.actor,
        "kind": c.kind,
        "entity": c.entity.value,
        "op": c.op.value,
        "entity_id": c.entity_id,
        "schools": list(c.schools),
        "state": c.state,
    }
