"""Queries and writes for groups (classes, courses, workgroups) and memberships."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from schulhof.domain.model import Group, GroupKind, MemberRole, Membership, SourceLink
from schulhof.store.bulk import insert_rows
from schulhof.store.persons import chunks
from schulhof.store.tables import group_sources, groups, memberships, persons, schools

# The keyset of group listings: school number, kind, name, id (unique, stable).
GroupKey = tuple[str, str, str, str]


@dataclass(frozen=True, slots=True)
class GroupFilter:
    school: str | None = None
    kind: GroupKind | None = None
    search: str | None = None  # substring of the name, any case
    schools: frozenset[str] | None = None  # an actor's scope: groups of these schools only
    taught_by: str | None = None  # an actor's scope: groups this person teaches


def _select() -> sa.Select[Any]:
    return sa.select(groups, schools.c.number.label("school_number")).join(
        schools, schools.c.id == groups.c.school_id
    )


def _to_groups(conn: sa.Connection, rows: list[Any]) -> list[Group]:
    links: dict[str, list[SourceLink]] = defaultdict(list)
    ids = [r.id for r in rows]
    for part in chunks(ids):
        for r in conn.execute(sa.select(group_sources).where(group_sources.c.group_id.in_(part))):
            links[r.group_id].append(SourceLink(r.system, r.source_id))
    return [
        Group(r.id, r.school_number, GroupKind(r.kind), r.name, tuple(links[r.id])) for r in rows
    ]


def load_all(
    conn: sa.Connection, *, school: str | None = None, kind: GroupKind | None = None
) -> list[Group]:
    query = _select()
    if school is not None:
        query = query.where(schools.c.number == school)
    if kind is not None:
        query = query.where(groups.c.kind == kind.value)
    rows = list(conn.execute(query.order_by(schools.c.number, groups.c.kind, groups.c.name)))
    return _to_groups(conn, rows)


def list_page(
    conn: sa.Connection, f: GroupFilter, *, after: GroupKey | None = None, limit: int | None = None
) -> list[Group]:
    """Groups matching `f`, ordered by `GroupKey`."""
    query = _select()
    if f.school is not None:
        query = query.where(schools.c.number == f.school)
    if f.kind is not None:
        query = query.where(groups.c.kind == f.kind.value)
    if f.search:
        query = query.where(sa.func.lower(groups.c.name).like(_contains(f.search), escape="\\"))
    if f.schools is not None:
        query = query.where(schools.c.number.in_(sorted(f.schools)))
    if f.taught_by is not None:
        query = query.where(groups.c.id.in_(taught_groups(f.taught_by)))
    key = sa.tuple_(schools.c.number, groups.c.kind, groups.c.name, groups.c.id)
    if after is not None:
        query = query.where(key > sa.tuple_(*(sa.literal(k) for k in after)))
    query = query.order_by(schools.c.number, groups.c.kind, groups.c.name, groups.c.id)
    if limit is not None:
        query = query.limit(limit)
    return _to_groups(conn, list(conn.execute(query)))


def _contains(text: str) -> str:
    """A LIKE pattern for `text` anywhere, its own wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def taught_groups(teacher_id: str) -> sa.Select[Any]:
    """Ids of the groups where `teacher_id` is a member as teacher."""
    return sa.select(memberships.c.group_id).where(
        memberships.c.person_id == teacher_id, memberships.c.role == MemberRole.TEACHER.value
    )


def teaches(conn: sa.Connection, teacher_id: str, group_id: str) -> bool:
    query = taught_groups(teacher_id).where(memberships.c.group_id == group_id)
    return conn.execute(query).first() is not None


def member_counts(conn: sa.Connection, group_ids: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for part in chunks(list(group_ids)):
        query = (
            sa.select(memberships.c.group_id, sa.func.count())
            .where(memberships.c.group_id.in_(part))
            .group_by(memberships.c.group_id)
        )
        counts.update({r[0]: r[1] for r in conn.execute(query)})
    return counts


def members_page(
    conn: sa.Connection, group_id: str, *, after_username: str | None, limit: int | None
) -> list[tuple[Membership, str]]:
    """A group's memberships with the member's username, ordered by username."""
    query = (
        sa.select(memberships, persons.c.username)
        .join(persons, persons.c.id == memberships.c.person_id)
        .where(memberships.c.group_id == group_id)
    )
    if after_username is not None:
        query = query.where(persons.c.username > after_username)
    query = query.order_by(persons.c.username)
    if limit is not None:
        query = query.limit(limit)
    return [
        (Membership(r.group_id, r.person_id, MemberRole(r.role), r.homeroom_teacher), r.username)
        for r in conn.execute(query)
    ]


def load_one(conn: sa.Connection, group_id: str) -> Group | None:
    rows = list(conn.execute(_select().where(groups.c.id == group_id)))
    found = _to_groups(conn, rows)
    return found[0] if found else None


def insert(
    conn: sa.Connection, items: Sequence[Group], school_ids: dict[str, str], now: dt.datetime
) -> None:
    insert_rows(
        conn,
        groups,
        ("id", "school_id", "kind", "name", "created_at"),
        [(g.id, school_ids[g.school_number], g.kind.value, g.name, now) for g in items],
    )
    add_sources(conn, [(g.id, s) for g in items for s in g.sources])


def rename(conn: sa.Connection, group_id: str, name: str) -> None:
    conn.execute(sa.update(groups).where(groups.c.id == group_id).values(name=name))


def delete(conn: sa.Connection, ids: Sequence[str]) -> None:
    for part in chunks(list(ids)):
        conn.execute(sa.delete(memberships).where(memberships.c.group_id.in_(part)))
        conn.execute(sa.delete(group_sources).where(group_sources.c.group_id.in_(part)))
        conn.execute(sa.delete(groups).where(groups.c.id.in_(part)))


def members(conn: sa.Connection, group_ids: Sequence[str] | None = None) -> list[Membership]:
    query = sa.select(memberships)
    result: list[Membership] = []
    if group_ids is None:
        parts: list[Sequence[str] | None] = [None]
    else:
        parts = list(chunks(list(group_ids)))
    for part in parts:
        q = query if part is None else query.where(memberships.c.group_id.in_(part))
        result.extend(
            Membership(r.group_id, r.person_id, MemberRole(r.role), r.homeroom_teacher)
            for r in conn.execute(q)
        )
    return result


def memberships_of(conn: sa.Connection, person_id: str) -> list[Membership]:
    return [
        Membership(r.group_id, r.person_id, MemberRole(r.role), r.homeroom_teacher)
        for r in conn.execute(sa.select(memberships).where(memberships.c.person_id == person_id))
    ]


def add_members(conn: sa.Connection, items: Sequence[Membership]) -> None:
    insert_rows(
        conn,
        memberships,
        ("group_id", "person_id", "role", "homeroom_teacher"),
        [(m.group_id, m.person_id, m.role._value_, m.homeroom_teacher) for m in items],
    )


def update_members(conn: sa.Connection, items: Sequence[Membership]) -> None:
    if items:
        conn.execute(
            sa.update(memberships)
            .where(
                memberships.c.group_id == sa.bindparam("g"),
                memberships.c.person_id == sa.bindparam("p"),
            )
            .values(role=sa.bindparam("r"), homeroom_teacher=sa.bindparam("h")),
            [
                {"g": m.group_id, "p": m.person_id, "r": m.role.value, "h": m.homeroom_teacher}
                for m in items
            ],
        )


def remove_members(conn: sa.Connection, items: Sequence[tuple[str, str]]) -> None:
    if items:
        conn.execute(
            sa.delete(memberships).where(
                memberships.c.group_id == sa.bindparam("g"),
                memberships.c.person_id == sa.bindparam("p"),
            ),
            [{"g": g, "p": p} for g, p in items],
        )


def add_sources(conn: sa.Connection, links: Sequence[tuple[str, SourceLink]]) -> None:
    insert_rows(
        conn,
        group_sources,
        ("system", "source_id", "group_id"),
        [(s.system, s.source_id, gid) for gid, s in links],
    )


def memberships_of_many(
    conn: sa.Connection, person_ids: Sequence[str]
) -> list[tuple[Membership, str]]:
    """The memberships of these persons, each with its group's school number."""
    result: list[tuple[Membership, str]] = []
    for part in chunks(list(person_ids)):
        query = (
            sa.select(memberships, schools.c.number)
            .join(groups, groups.c.id == memberships.c.group_id)
            .join(schools, schools.c.id == groups.c.school_id)
            .where(memberships.c.person_id.in_(part))
        )
        result.extend(
            (Membership(r.group_id, r.person_id, MemberRole(r.role), r.homeroom_teacher), r.number)
            for r in conn.execute(query)
        )
    return result
