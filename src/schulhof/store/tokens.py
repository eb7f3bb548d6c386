"""API tokens: rows with a hash of the secret, never the secret."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from schulhof.store.tables import api_tokens
from schulhof.store.timestamps import aware


@dataclass(frozen=True, slots=True)
class TokenRow:
    id: str
    name: str
    role: str
    schools: tuple[str, ...]
    person_id: str | None
    attributes: tuple[str, ...] | None
    secret_hash: str
    created_at: dt.datetime
    created_by: str
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_used_at: dt.datetime | None


def _row(r: Any) -> TokenRow:
    attrs = json.loads(r.attributes) if r.attributes else None
    return TokenRow(
        id=r.id,
        name=r.name,
        role=r.role,
        schools=tuple(json.loads(r.schools)),
        person_id=r.person_id,
        attributes=tuple(attrs) if attrs is not None else None,
        secret_hash=r.secret_hash,
        created_at=aware(r.created_at),
        created_by=r.created_by,
        expires_at=aware(r.expires_at),
        revoked_at=aware(r.revoked_at),
        last_used_at=aware(r.last_used_at),
    )


def insert(conn: sa.Connection, t: TokenRow) -> None:
    conn.execute(
        sa.insert(api_tokens).values(
            id=t.id,
            name=t.name,
            role=t.role,
            schools=json.dumps(list(t.schools)),
            person_id=t.person_id,
            attributes=json.dumps(list(t.attributes)) if t.attributes is not None else None,
            secret_hash=t.secret_hash,
            created_at=t.created_at,
            created_by=t.created_by,
            expires_at=t.expires_at,
        )
    )


def get(conn: sa.Connection, token_id: str) -> TokenRow | None:
    r = conn.execute(sa.select(api_tokens).where(api_tokens.c.id == token_id)).first()
    return _row(r) if r else None


def list_all(conn: sa.Connection) -> list[TokenRow]:
    return [_row(r) for r in conn.execute(sa.select(api_tokens).order_by(api_tokens.c.created_at))]


def revoke(conn: sa.Connection, token_id: str, now: dt.datetime) -> bool:
    done = conn.execute(
        sa.update(api_tokens)
        .where(api_tokens.c.id == token_id, api_tokens.c.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return done.rowcount == 1


def touch(conn: sa.Connection, token_id: str, now: dt.datetime) -> None:
    conn.execute(sa.update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=now))
