"""Password hashes, kept apart from the person: never in a view, never in the change log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import sqlalchemy as sa

from schulhof.store.tables import credentials


@dataclass(frozen=True, slots=True)
class Credential:
    person_id: str
    password_hash: str
    must_change: bool


def get(conn: sa.Connection, person_id: str) -> Credential | None:
    r = conn.execute(sa.select(credentials).where(credentials.c.person_id == person_id)).first()
    return Credential(r.person_id, r.password_hash, bool(r.must_change)) if r else None


def put(
    conn: sa.Connection,
    person_id: str,
    password_hash: str,
    *,
    must_change: bool,
    now: dt.datetime,
    by: str,
) -> None:
    conn.execute(sa.delete(credentials).where(credentials.c.person_id == person_id))
    conn.execute(
        sa.insert(credentials).values(
            person_id=person_id,
            password_hash=password_hash,
            must_change=must_change,
            updated_at=now,
            updated_by=by,
        )
    )


def delete(conn: sa.Connection, person_ids: list[str]) -> None:
    if person_ids:
        conn.execute(sa.delete(credentials).where(credentials.c.person_id.in_(person_ids)))
