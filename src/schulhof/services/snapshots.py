"""The JSON state the change log carries for each entity (no secrets, ever)."""

from __future__ import annotations

from typing import Any

from schulhof.domain.model import Context, Group, Membership, Person, School


def school_state(s: School) -> dict[str, Any]:
    return {"id": str(s.id), "number": s.number, "name": s.name, "type": s.type.value}


def person_state(p: Person) -> dict[str, Any]:
    return {
        "id": str(p.id),
        "username": p.username,
        "given_name": p.given_name,
        "family_name": p.family_name,
        "birth_date": p.birth_date.isoformat() if p.birth_date else None,
        "email": p.email,
        "state": p.state._value_,
        "disabled_at": p.disabled_at.isoformat() if p.disabled_at else None,
        "delete_after": p.delete_after.isoformat() if p.delete_after else None,
        "sources": [{"system": s.system, "id": s.source_id} for s in p.sources],
        "contexts": [context_state(p.id, c) for c in p.contexts],
        "version": p.version,
    }


def context_state(person_id: str, c: Context) -> dict[str, Any]:
    return {
        "person_id": str(person_id),
        "school": c.school_number,
        "role": c.role._value_,
        "primary": c.primary,
    }


def context_entity_id(person_id: str, c: Context) -> str:
    """Contexts have no id of their own: person, school and role name one."""
    return f"{person_id}:{c.school_number}:{c.role.value}"


def group_state(g: Group) -> dict[str, Any]:
    return {
        "id": str(g.id),
        "school": g.school_number,
        "kind": g.kind.value,
        "name": g.name,
        "sources": [{"system": s.system, "id": s.source_id} for s in g.sources],
    }


def membership_state(m: Membership, school: str) -> dict[str, Any]:
    return {
        "group_id": str(m.group_id),
        "person_id": str(m.person_id),
        "role": m.role._value_,
        "homeroom_teacher": m.homeroom_teacher,
        "school": school,
    }


def membership_entity_id(group_id: str, person_id: str) -> str:
    return f"{group_id}:{person_id}"
