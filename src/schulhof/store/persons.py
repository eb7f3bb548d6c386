"""Queries and writes for persons, their source links and their contexts.

Bulk functions take lists so an import of a city is a handful of `executemany` calls,
not 50,000 round trips.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa

from schulhof.domain.errors import StaleWriteError
from schulhof.domain.model import (
    Context,
    GroupKind,
    LifecycleState,
    Person,
    Role,
    SourceLink,
)
from schulhof.store.bulk import insert_rows
from schulhof.store.tables import (
    contexts,
    groups,
    guardian_links,
    memberships,
    person_sources,
    persons,
    retired_usernames,
    schools,
)
from schulhof.store.timestamps import aware

T = TypeVar("T")
CHUNK = 5000  # stays below SQLite's bound-parameter limit


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


@dataclass(frozen=True, slots=True)
class PersonFilter:
    school: str | None = None
    role: Role | None = None
    state: LifecycleState | None = None
    group_id: str | None = None
    search: str | None = None  # substring of username, given or family name
    changed_since: dt.datetime | None = None
    include_deleted: bool = False
    schools: frozenset[str] | None = None  # an actor's scope: people of these schools only
    taught_by: str | None = None  # an actor's scope: students in this teacher's groups


def _row_to_person(row: Any, sources: list[SourceLink], ctx: list[Context]) -> Person:
    return Person(
        id=row.id,
        username=row.username,
        given_name=row.given_name,
        family_name=row.family_name,
        birth_date=row.birth_date,
        email=row.email,
        state=LifecycleState(row.state),
        disabled_at=aware(row.disabled_at),
        delete_after=row.delete_after,
        sources=tuple(sources),
        contexts=tuple(sorted(ctx, key=lambda c: (not c.primary, c.school_number, c.role))),
        version=row.version,
    )


def load(conn: sa.Connection, ids: Sequence[str]) -> dict[str, Person]:
    """Persons by id with their sources and contexts (missing ids are left out)."""
    result: dict[str, Person] = {}
    for part in chunks(list(ids)):
        # `.all()` fetches in one driver call; iterating a result fetches row by row.
        rows = conn.execute(sa.select(persons).where(persons.c.id.in_(part))).all()
        links: dict[str, list[SourceLink]] = defaultdict(list)
        for r in conn.execute(
            sa.select(person_sources).where(person_sources.c.person_id.in_(part))
        ).all():
            links[r.person_id].append(SourceLink(r.system, r.source_id))
        ctx: dict[str, list[Context]] = defaultdict(list)
        query = (
            sa.select(
                contexts.c.person_id, contexts.c.role, contexts.c.is_primary, schools.c.number
            )
            .join(schools, schools.c.id == contexts.c.school_id)
            .where(contexts.c.person_id.in_(part))
        )
        for r in conn.execute(query).all():
            ctx[r.person_id].append(Context(r.number, Role(r.role), r.is_primary))
        for row in rows:
            result[row.id] = _row_to_person(row, links[row.id], ctx[row.id])
    return result


def load_one(conn: sa.Connection, person_id: str) -> Person | None:
    return load(conn, [person_id]).get(person_id)


def id_by_username(conn: sa.Connection, username: str) -> str | None:
    value: str | None = conn.execute(
        sa.select(persons.c.id).where(persons.c.username == username)
    ).scalar_one_or_none()
    return value


def id_by_source(conn: sa.Connection, system: str, source_id: str) -> str | None:
    value: str | None = conn.execute(
        sa.select(person_sources.c.person_id).where(
            person_sources.c.system == system, person_sources.c.source_id == source_id
        )
    ).scalar_one_or_none()
    return value


def _filtered_ids(f: PersonFilter) -> sa.Select[Any]:
    query = sa.select(persons.c.id, persons.c.username)
    if not f.include_deleted:
        query = query.where(persons.c.state != LifecycleState.DELETED.value)
    if f.state is not None:
        query = query.where(persons.c.state == f.state.value)
    if f.school is not None or f.role is not None:
        sub = sa.select(contexts.c.person_id)
        if f.school is not None:
            sub = sub.join(schools, schools.c.id == contexts.c.school_id).where(
                schools.c.number == f.school
            )
        if f.role is not None:
            sub = sub.where(contexts.c.role == f.role.value)
        query = query.where(persons.c.id.in_(sub))
    if f.schools is not None:
        query = query.where(
            persons.c.id.in_(
                sa.select(contexts.c.person_id)
                .join(schools, schools.c.id == contexts.c.school_id)
                .where(schools.c.number.in_(sorted(f.schools)))
            )
        )
    if f.taught_by is not None:
        query = query.where(persons.c.id.in_(taught_students(f.taught_by)))
    if f.group_id is not None:
        query = query.where(
            persons.c.id.in_(
                sa.select(memberships.c.person_id).where(memberships.c.group_id == f.group_id)
            )
        )
    if f.search:
        pattern = f"%{f.search.lower()}%"
        query = query.where(
            sa.or_(
                persons.c.username.like(pattern),
                sa.func.lower(persons.c.given_name).like(pattern),
                sa.func.lower(persons.c.family_name).like(pattern),
            )
        )
    if f.changed_since is not None:
        query = query.where(persons.c.updated_at >= f.changed_since)
    return query


def taught_students(teacher_id: str) -> sa.Select[Any]:
    """Ids of the students in the groups where `teacher_id` is a teacher."""
    mine = memberships.alias("mine")
    theirs = memberships.alias("theirs")
    return (
        sa.select(theirs.c.person_id)
        .join(mine, mine.c.group_id == theirs.c.group_id)
        .where(mine.c.person_id == teacher_id, mine.c.role == "teacher", theirs.c.role == "student")
    )


def list_ids(
    conn: sa.Connection,
    f: PersonFilter,
    *,
    after_username: str | None = None,
    limit: int | None = None,
) -> list[str]:
    """Ids ordered by username (unique, indexed): a stable keyset for cursor paging."""
    query = _filtered_ids(f)
    if after_username is not None:
        query = query.where(persons.c.username > after_username)
    query = query.order_by(persons.c.username)
    if limit is not None:
        query = query.limit(limit)
    return [row.id for row in conn.execute(query).all()]


def class_names(
    conn: sa.Connection, ids: Sequence[str], *, schools_in: frozenset[str] | None = None
) -> dict[str, list[str]]:
    result: dict[str, list[str]] = defaultdict(list)
    for part in chunks(list(ids)):
        query = (
            sa.select(memberships.c.person_id, groups.c.name)
            .join(groups, groups.c.id == memberships.c.group_id)
            .where(memberships.c.person_id.in_(part), groups.c.kind == GroupKind.CLASS.value)
            .order_by(groups.c.name)
        )
        if schools_in is not None:
            query = query.join(schools, schools.c.id == groups.c.school_id).where(
                schools.c.number.in_(sorted(schools_in))
            )
        for r in conn.execute(query).all():
            result[r.person_id].append(r.name)
    return result


def insert(
    conn: sa.Connection, items: Sequence[Person], school_ids: dict[str, str], now: dt.datetime
) -> None:
    if not items:
        return
    insert_rows(
        conn,
        persons,
        (
            "id",
            "username",
            "given_name",
            "family_name",
            "birth_date",
            "email",
            "state",
            "disabled_at",
            "delete_after",
            "version",
            "created_at",
            "updated_at",
        ),
        [
            (
                p.id,
                p.username,
                p.given_name,
                p.family_name,
                p.birth_date,
                p.email,
                p.state.value,
                p.disabled_at,
                p.delete_after,
                p.version,
                now,
                now,
            )
            for p in items
        ],
    )
    add_sources(conn, [(p.id, s) for p in items for s in p.sources])
    add_contexts(conn, [(p.id, c) for p in items for c in p.contexts], school_ids)


def add_sources(conn: sa.Connection, links: Sequence[tuple[str, SourceLink]]) -> None:
    insert_rows(
        conn,
        person_sources,
        ("system", "source_id", "person_id"),
        [(s.system, s.source_id, pid) for pid, s in links],
    )


def remove_sources(conn: sa.Connection, links: Sequence[tuple[str, SourceLink]]) -> None:
    for pid, s in links:
        conn.execute(
            sa.delete(person_sources).where(
                person_sources.c.system == s.system,
                person_sources.c.source_id == s.source_id,
                person_sources.c.person_id == pid,
            )
        )


def add_contexts(
    conn: sa.Connection,
    items: Sequence[tuple[str, Context]],
    school_ids: dict[str, str],
) -> None:
    insert_rows(
        conn,
        contexts,
        ("person_id", "school_id", "role", "is_primary"),
        [(pid, school_ids[c.school_number], c.role._value_, c.primary) for pid, c in items],
    )


def remove_contexts(
    conn: sa.Connection,
    items: Sequence[tuple[str, Context]],
    school_ids: dict[str, str],
) -> None:
    if items:
        conn.execute(
            sa.delete(contexts).where(
                contexts.c.person_id == sa.bindparam("p"),
                contexts.c.school_id == sa.bindparam("s"),
                contexts.c.role == sa.bindparam("r"),
            ),
            [{"p": pid, "s": school_ids[c.school_number], "r": c.role.value} for pid, c in items],
        )


def set_primary(
    conn: sa.Connection, person_id: str, primary: Context, school_ids: dict[str, str]
) -> None:
    conn.execute(
        sa.update(contexts)
        .where(contexts.c.person_id == person_id)
        .values(
            is_primary=sa.and_(
                contexts.c.school_id == school_ids[primary.school_number],
                contexts.c.role == primary.role.value,
            )
        )
    )


def update(conn: sa.Connection, person: Person, now: dt.datetime, *, expected_version: int) -> None:
    """Write the person's own columns; raises StaleWriteError if someone else wrote first."""
    result = conn.execute(
        sa.update(persons)
        .where(persons.c.id == person.id, persons.c.version == expected_version)
        .values(
            username=person.username,
            given_name=person.given_name,
            family_name=person.family_name,
            birth_date=person.birth_date,
            email=person.email,
            state=person.state.value,
            disabled_at=person.disabled_at,
            delete_after=person.delete_after,
            version=person.version,
            updated_at=now,
        )
    )
    if result.rowcount != 1:
        raise StaleWriteError(f"person {person.id} was changed by someone else; reload and retry")


def update_many(conn: sa.Connection, items: Sequence[Person], now: dt.datetime) -> None:
    """Bulk variant for imports, which hold the write lock and read the versions themselves."""
    if not items:
        return
    conn.execute(
        sa.update(persons).where(persons.c.id == sa.bindparam("pid")),
        [
            {
                "pid": p.id,
                "username": p.username,
                "given_name": p.given_name,
                "family_name": p.family_name,
                "birth_date": p.birth_date,
                "email": p.email,
                "state": p.state.value,
                "disabled_at": p.disabled_at,
                "delete_after": p.delete_after,
                "version": p.version,
                "updated_at": now,
            }
            for p in items
        ],
    )


def delete(conn: sa.Connection, ids: Sequence[str]) -> None:
    """Remove persons and everything that hangs off them (the change log keeps the history)."""
    for part in chunks(list(ids)):
        conn.execute(sa.delete(memberships).where(memberships.c.person_id.in_(part)))
        conn.execute(sa.delete(contexts).where(contexts.c.person_id.in_(part)))
        conn.execute(sa.delete(person_sources).where(person_sources.c.person_id.in_(part)))
        conn.execute(
            sa.delete(guardian_links).where(
                sa.or_(
                    guardian_links.c.guardian_id.in_(part), guardian_links.c.student_id.in_(part)
                )
            )
        )
        conn.execute(sa.delete(persons).where(persons.c.id.in_(part)))


def retire_usernames(conn: sa.Connection, names: Iterable[str], free_after: dt.datetime) -> None:
    rows = [{"username": n, "free_after": free_after} for n in names]
    if rows:
        names_list = [r["username"] for r in rows]
        conn.execute(
            sa.delete(retired_usernames).where(retired_usernames.c.username.in_(names_list))
        )
        conn.execute(sa.insert(retired_usernames), rows)


def taken_usernames(conn: sa.Connection, now: dt.datetime) -> set[str]:
    """Every username in use or still in quarantine after a deletion."""
    taken = set(conn.execute(sa.select(persons.c.username)).scalars())
    taken.update(
        conn.execute(
            sa.select(retired_usernames.c.username).where(retired_usernames.c.free_after > now)
        ).scalars()
    )
    return taken


def is_username_taken(conn: sa.Connection, name: str, now: dt.datetime) -> bool:
    if conn.execute(sa.select(persons.c.id).where(persons.c.username == name)).first():
        return True
    return (
        conn.execute(
            sa.select(retired_usernames.c.username).where(
                retired_usernames.c.username == name, retired_usernames.c.free_after > now
            )
        ).first()
        is not None
    )


def due_for_deletion(conn: sa.Connection, today: dt.date) -> list[str]:
    return list(
        conn.execute(
            sa.select(persons.c.id).where(
                persons.c.state == LifecycleState.DISABLED.value, persons.c.delete_after <= today
            )
        ).scalars()
    )
