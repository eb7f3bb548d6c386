"""Queries and writes for guardian links (guardian person ↔ student person)."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from schulhof.domain.model import GuardianLink
from schulhof.store.persons import chunks
from schulhof.store.tables import guardian_links


def guardians_of(conn: sa.Connection, student_id: str) -> list[str]:
    query = sa.select(guardian_links.c.guardian_id).where(guardian_links.c.student_id == student_id)
    return list(conn.execute(query.order_by(guardian_links.c.guardian_id)).scalars())


def add(conn: sa.Connection, link: GuardianLink) -> bool:
    """Insert the link; False if it was there already (two writers at once included)."""
    values = {"guardian_id": link.guardian_id, "student_id": link.student_id}
    insert = postgresql.insert if conn.dialect.name == "postgresql" else sqlite.insert
    statement = insert(guardian_links).values(values).on_conflict_do_nothing()
    # RETURNING, not rowcount: psycopg reports -1 for INSERT … ON CONFLICT through SQLAlchemy.
    return conn.execute(statement.returning(guardian_links.c.guardian_id)).first() is not None


def remove(conn: sa.Connection, link: GuardianLink) -> bool:
    """Delete the link; False if there was none."""
    result = conn.execute(
        sa.delete(guardian_links).where(
            guardian_links.c.guardian_id == link.guardian_id,
            guardian_links.c.student_id == link.student_id,
        )
    )
    return result.rowcount == 1


def links_of(conn: sa.Connection, person_ids: Sequence[str]) -> list[GuardianLink]:
    """Every link in which one of these persons is guardian or student."""
    found: dict[tuple[str, str], GuardianLink] = {}
    for part in chunks(list(person_ids)):
        query = sa.select(guardian_links).where(
            sa.or_(guardian_links.c.guardian_id.in_(part), guardian_links.c.student_id.in_(part))
        )
        for r in conn.execute(query):
            found[(r.guardian_id, r.student_id)] = GuardianLink(r.guardian_id, r.student_id)
    return list(found.values())
