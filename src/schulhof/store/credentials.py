"""Password hashes, kept apart from the person: never in a view, never in the change log."""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

import sqlalchemy as sa

from schulhof.store.tables import credentials


class Keep(enum.Enum):
    NT_HASH = "keep"  # `put` of a re-hash: the password, and so its NT hash, is the same


@dataclass(frozen=True, slots=True)
class Credential:
    person_id: str
    password_hash: str
    must_change: bool
    has_nt_hash: bool = False


def get(conn: sa.Connection, person_id: str) -> Credential | None:
    r = conn.execute(sa.select(credentials).where(credentials.c.person_id == person_id)).first()
    if r is None:
        return None
    return Credential(r.person_id, r.password_hash, bool(r.must_change), r.nt_hash is not None)


def set_nt_hash(conn: sa.Connection, person_id: str, password_hash: str, nt_hash: str) -> None:
    """Add the NT hash of the password stored as `password_hash` (made at a sign-in with
    it); nothing if the password was changed meanwhile."""
    c = credentials.c
    conn.execute(
        sa.update(credentials)
        .where(c.person_id == person_id, c.password_hash == password_hash)
        .values(nt_hash=nt_hash)
    )


def put(
    conn: sa.Connection,
    person_id: str,
    password_hash: str,
    *,
    must_change: bool,
    now: dt.datetime,
    by: str,
    nt_hash: str | Keep | None = Keep.NT_HASH,
) -> None:
    """Replace the person's credential. `nt_hash`: the new password's, None for none, or
    kept as it is (the default, for a re-hash of the same password)."""
    if nt_hash is Keep.NT_HASH:
        nt_hash = conn.execute(
            sa.select(credentials.c.nt_hash).where(credentials.c.person_id == person_id)
        ).scalar()
    conn.execute(sa.delete(credentials).where(credentials.c.person_id == person_id))
    conn.execute(
        sa.insert(credentials).values(
            person_id=person_id,
            password_hash=password_hash,
            must_change=must_change,
            updated_at=now,
            updated_by=by,
            nt_hash=nt_hash,
        )
    )


def nt_hashes(conn: sa.Connection, person_ids: Sequence[str]) -> dict[str, str]:
    """Stored NT hashes of these people (of passwords that are not temporary)."""
    if not person_ids:
        return {}
    c = credentials.c
    rows = conn.execute(
        sa.select(c.person_id, c.nt_hash).where(
            c.person_id.in_(person_ids), c.nt_hash.is_not(None), c.must_change.is_(False)
        )
    )
    return {r.person_id: r.nt_hash for r in rows}


def drop_nt_hashes(conn: sa.Connection) -> int:
    """Forget every stored NT hash; returns how many there were."""
    done = conn.execute(
        sa.update(credentials).where(credentials.c.nt_hash.is_not(None)).values(nt_hash=None)
    )
    return int(done.rowcount or 0)


def delete(conn: sa.Connection, person_ids: list[str]) -> None:
    if person_ids:
        conn.execute(sa.delete(credentials).where(credentials.c.person_id.in_(person_ids)))
