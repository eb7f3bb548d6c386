"""Queries and writes for schools."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence

import sqlalchemy as sa

from schulhof.domain.model import School, SchoolType, SourceLink
from schulhof.store.tables import school_sources, schools


def school_type(raw: str) -> SchoolType:
    try:
        return SchoolType(raw)
    except ValueError:
        return SchoolType.OTHER


def load_all(conn: sa.Connection) -> list[School]:
    links: dict[str, list[SourceLink]] = defaultdict(list)
    for row in conn.execute(sa.select(school_sources)):
        links[row.school_id].append(SourceLink(row.system, row.source_id))
    return [
        School(row.id, row.number, row.name, school_type(row.type), tuple(links[row.id]))
        for row in conn.execute(sa.select(schools).order_by(schools.c.number))
    ]


def load_page(
    conn: sa.Connection,
    *,
    numbers: frozenset[str] | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[School]:
    """Schools by number (a keyset for paging); `numbers`: only these (None: all)."""
    query = sa.select(schools)
    if numbers is not None:
        query = query.where(schools.c.number.in_(sorted(numbers)))
    if after is not None:
        query = query.where(schools.c.number > after)
    query = query.order_by(schools.c.number)
    if limit is not None:
        query = query.limit(limit)
    rows = list(conn.execute(query))
    links: dict[str, list[SourceLink]] = defaultdict(list)
    if rows:
        ids = [r.id for r in rows]
        for r in conn.execute(sa.select(school_sources).where(school_sources.c.school_id.in_(ids))):
            links[r.school_id].append(SourceLink(r.system, r.source_id))
    return [School(r.id, r.number, r.name, school_type(r.type), tuple(links[r.id])) for r in rows]


def by_number(conn: sa.Connection, number: str) -> School | None:
    row = conn.execute(sa.select(schools).where(schools.c.number == number)).first()
    if row is None:
        return None
    links = tuple(
        SourceLink(r.system, r.source_id)
        for r in conn.execute(sa.select(school_sources).where(school_sources.c.school_id == row.id))
    )
    return School(row.id, row.number, row.name, school_type(row.type), links)


def ids_by_number(conn: sa.Connection) -> dict[str, str]:
    return {row.number: row.id for row in conn.execute(sa.select(schools.c.number, schools.c.id))}


def insert(conn: sa.Connection, items: list[School], now: dt.datetime) -> None:
    if not items:
        return
    conn.execute(
        sa.insert(schools),
        [
            {
                "id": s.id,
                "number": s.number,
                "name": s.name,
                "type": s.type.value,
                "created_at": now,
                "updated_at": now,
            }
            for s in items
        ],
    )
    links = [
        {"system": link.system, "source_id": link.source_id, "school_id": s.id}
        for s in items
        for link in s.sources
    ]
    if links:
        conn.execute(sa.insert(school_sources), links)


def update(conn: sa.Connection, school: School, now: dt.datetime) -> None:
    conn.execute(
        sa.update(schools)
        .where(schools.c.id == school.id)
        .values(name=school.name, type=school.type.value, updated_at=now)
    )


def add_sources(conn: sa.Connection, school_id: str, links: list[SourceLink]) -> None:
    if links:
        conn.execute(
            sa.insert(school_sources),
            [{"system": k.system, "source_id": k.source_id, "school_id": school_id} for k in links],
        )


def types_by_number(conn: sa.Connection, numbers: Sequence[str]) -> dict[str, SchoolType]:
    rows = conn.execute(
        sa.select(schools.c.number, schools.c.type).where(schools.c.number.in_(list(numbers)))
    )
    return {r.number: school_type(r.type) for r in rows}
