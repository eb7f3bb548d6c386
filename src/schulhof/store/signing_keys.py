"""Signing keys (OIDC, SAML): private keys in PEM, one active per use."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from schulhof.store.tables import signing_keys
from schulhof.store.timestamps import aware


@dataclass(frozen=True, slots=True)
class KeyRow:
    kid: str
    use: str
    alg: str
    private_pem: str
    certificate_pem: str | None
    created_at: dt.datetime
    active: bool
    retire_at: dt.datetime | None


def _row(r: Any) -> KeyRow:
    return KeyRow(
        r.kid,
        r.use,
        r.alg,
        r.private_pem,
        r.certificate_pem,
        aware(r.created_at),
        bool(r.active),
        aware(r.retire_at) if r.retire_at is not None else None,
    )


def for_use(conn: sa.Connection, use: str) -> list[KeyRow]:
    """Newest first."""
    q = (
        sa.select(signing_keys)
        .where(signing_keys.c.use == use)
        .order_by(signing_keys.c.created_at.desc())
    )
    return [_row(r) for r in conn.execute(q)]


def lock_use(conn: sa.Connection, use: str) -> None:
    """Serialise key creation per use on PostgreSQL (SQLite has one writer anyway)."""
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_advisory_xact_lock(hashtext(:k))"), {"k": f"keys:{use}"})


def insert(conn: sa.Connection, row: KeyRow) -> None:
    conn.execute(
        sa.insert(signing_keys).values(
            kid=row.kid,
            use=row.use,
            alg=row.alg,
            private_pem=row.private_pem,
            certificate_pem=row.certificate_pem,
            created_at=row.created_at,
            active=row.active,
            retire_at=row.retire_at,
        )
    )


def retire_active(conn: sa.Connection, use: str, retire_at: dt.datetime) -> None:
    conn.execute(
        sa.update(signing_keys)
        .where(signing_keys.c.use == use, signing_keys.c.active.is_(True))
        .values(active=False, retire_at=retire_at)
    )


def delete_retired(conn: sa.Connection, use: str, now: dt.datetime) -> int:
    return conn.execute(
        sa.delete(signing_keys).where(
            signing_keys.c.use == use,
            signing_keys.c.active.is_(False),
            signing_keys.c.retire_at < now,
        )
    ).rowcount
