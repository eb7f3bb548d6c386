"""Registered OIDC clients and SAML service providers (rows of `service_clients`)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa

from schulhof.store.tables import service_clients
from schulhof.store.timestamps import aware


@dataclass(frozen=True, slots=True)
class ClientRow:
    id: str
    protocol: str
    name: str
    schools: tuple[str, ...]
    release: tuple[str, ...]
    config: dict[str, Any]
    secret_hash: str | None
    created_at: dt.datetime
    created_by: str
    removed_at: dt.datetime | None


def _row(r: Any) -> ClientRow:
    return ClientRow(
        r.id,
        r.protocol,
        r.name,
        tuple(orjson.loads(r.schools)),
        tuple(orjson.loads(r.release)),
        orjson.loads(r.config),
        r.secret_hash,
        aware(r.created_at),
        r.created_by,
        aware(r.removed_at) if r.removed_at is not None else None,
    )


def insert(conn: sa.Connection, row: ClientRow) -> None:
    conn.execute(
        sa.insert(service_clients).values(
            id=row.id,
            protocol=row.protocol,
            name=row.name,
            schools=orjson.dumps(list(row.schools)).decode(),
            release=orjson.dumps(list(row.release)).decode(),
            config=orjson.dumps(row.config).decode(),
            secret_hash=row.secret_hash,
            created_at=row.created_at,
            created_by=row.created_by,
            removed_at=None,
        )
    )


def get(conn: sa.Connection, client_id: str) -> ClientRow | None:
    r = conn.execute(sa.select(service_clients).where(service_clients.c.id == client_id)).first()
    return _row(r) if r else None


def list_all(conn: sa.Connection, *, include_removed: bool = False) -> list[ClientRow]:
    q = sa.select(service_clients).order_by(service_clients.c.protocol, service_clients.c.name)
    if not include_removed:
        q = q.where(service_clients.c.removed_at.is_(None))
    return [_row(r) for r in conn.execute(q)]


def mark_removed(conn: sa.Connection, client_id: str, now: dt.datetime) -> bool:
    res = conn.execute(
        sa.update(service_clients)
        .where(service_clients.c.id == client_id, service_clients.c.removed_at.is_(None))
        .values(removed_at=now, secret_hash=None)
    )
    return res.rowcount == 1


def delete(conn: sa.Connection, client_id: str) -> None:
    conn.execute(sa.delete(service_clients).where(service_clients.c.id == client_id))
