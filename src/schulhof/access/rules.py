"""Write permissions over schools. Pure functions; deny wins.

The API issue extends this with per-person and per-attribute rules; every face asks here.
"""

from __future__ import annotations

from collections.abc import Iterable

from schulhof.access.actors import Actor, ActorKind

_ALL_SCHOOLS = {ActorKind.OPERATOR, ActorKind.CITY_ADMIN, ActorKind.SYSTEM}


def may_manage_schools(actor: Actor, school_numbers: Iterable[str]) -> bool:
    """May `actor` change data of every one of these schools?"""
    if actor.kind in _ALL_SCHOOLS:
        return True
    if actor.kind is ActorKind.SCHOOL_ADMIN:
        wanted = set(school_numbers)
        return bool(wanted) and wanted <= actor.schools
    return False


def may_create_schools(actor: Actor) -> bool:
    return actor.kind in _ALL_SCHOOLS
