"""Queries and writes for guardian links (guardian person ↔ student person)."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from schulhof.domain.model import GuardianLink
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
