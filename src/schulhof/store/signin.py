"""Rows of sign-in: server secrets, failure counters, SSO sessions and which services a
session signed in to. Only hashes of cookies are stored."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite

from schulhof.store.tables import (
    persons,
    server_secrets,
    session_clients,
    signin_failures,
    sso_sessions,
)
from schulhof.store.timestamps import aware


def _upsert(conn: sa.Connection, table: sa.Table) -> Any:
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table)


# ---- secrets -------------------------------------------------------------------------------


def get_secret(conn: sa.Connection, name: str) -> str | None:
    row = conn.execute(
        sa.select(server_secrets.c.value).where(server_secrets.c.name == name)
    ).first()
    return str(row.value) if row else None


def put_secret_once(conn: sa.Connection, name: str, value: str, now: dt.datetime) -> None:
    """Insert unless another worker was first (then its value stands)."""
    stmt = _upsert(conn, server_secrets).values(name=name, value=value, created_at=now)
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["name"]))


# ---- failure counters ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Failures:
    key: str
    failures: int
    first_at: dt.datetime
    last_at: dt.datetime


def failures(conn: sa.Connection, keys: Sequence[str]) -> dict[str, Failures]:
    rows = conn.execute(sa.select(signin_failures).where(signin_failures.c.key.in_(keys)))
    return {
        r.key: Failures(r.key, int(r.failures), aware(r.first_at), aware(r.last_at)) for r in rows
    }


def add_failure(conn: sa.Connection, key: str, now: dt.datetime, *, quiet: dt.timedelta) -> None:
    """Count one failure; a key quiet for longer than `quiet` starts again at one."""
    t = signin_failures
    stmt = _upsert(conn, t).values(key=key, failures=1, first_at=now, last_at=now)
    stale = t.c.last_at < now - quiet
    stmt = stmt.on_conflict_do_update(
        index_elements=["key"],
        set_={
            "failures": sa.case((stale, 1), else_=t.c.failures + 1),
            "first_at": sa.case((stale, now), else_=t.c.first_at),
            "last_at": now,
        },
    )
    conn.execute(stmt)


def clear_failures(conn: sa.Connection, key: str) -> None:
    conn.execute(sa.delete(signin_failures).where(signin_failures.c.key == key))


def forget_failures_before(conn: sa.Connection, before: dt.datetime) -> int:
    return conn.execute(
        sa.delete(signin_failures).where(signin_failures.c.last_at < before)
    ).rowcount


# ---- sessions ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: str
    sid: str
    person_id: str
    created_at: dt.datetime
    auth_time: dt.datetime
    last_seen_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None
    must_change: bool
    person_active: bool


def _session(r: Any) -> SessionRow:
    return SessionRow(
        r.id,
        r.sid,
        r.person_id,
        aware(r.created_at),
        aware(r.auth_time),
        aware(r.last_seen_at),
        aware(r.expires_at),
        aware(r.revoked_at) if r.revoked_at is not None else None,
        bool(r.must_change),
        r.state == "active",
    )


def insert_session(conn: sa.Connection, row: SessionRow, address: str | None) -> None:
    conn.execute(
        sa.insert(sso_sessions).values(
            id=row.id,
            sid=row.sid,
            person_id=row.person_id,
            created_at=row.created_at,
            auth_time=row.auth_time,
            last_seen_at=row.last_seen_at,
            expires_at=row.expires_at,
            revoked_at=None,
            address=address,
            must_change=row.must_change,
        )
    )


def _select_sessions() -> sa.Select[Any]:
    return sa.select(sso_sessions, persons.c.state).join(
        persons, persons.c.id == sso_sessions.c.person_id, isouter=True
    )


def session_by_id(conn: sa.Connection, session_id: str) -> SessionRow | None:
    r = conn.execute(_select_sessions().where(sso_sessions.c.id == session_id)).first()
    return _session(r) if r else None


def session_by_sid(conn: sa.Connection, sid: str) -> SessionRow | None:
    r = conn.execute(_select_sessions().where(sso_sessions.c.sid == sid)).first()
    return _session(r) if r else None


def touch_session(conn: sa.Connection, session_id: str, now: dt.datetime) -> None:
    conn.execute(
        sa.update(sso_sessions).where(sso_sessions.c.id == session_id).values(last_seen_at=now)
    )


def clear_must_change(conn: sa.Connection, person_id: str) -> None:
    conn.execute(
        sa.update(sso_sessions)
        .where(sso_sessions.c.person_id == person_id, sso_sessions.c.revoked_at.is_(None))
        .values(must_change=False)
    )


def revoke_sessions(
    conn: sa.Connection,
    now: dt.datetime,
    *,
    session_id: str | None = None,
    person_id: str | None = None,
    except_sid: str | None = None,
) -> list[str]:
    """Revoke matching live sessions; returns their sids."""
    cond: list[sa.ColumnElement[bool]] = [sso_sessions.c.revoked_at.is_(None)]
    if session_id is not None:
        cond.append(sso_sessions.c.id == session_id)
    if person_id is not None:
        cond.append(sso_sessions.c.person_id == person_id)
    if except_sid is not None:
        cond.append(sso_sessions.c.sid != except_sid)
    sids = [r.sid for r in conn.execute(sa.select(sso_sessions.c.sid).where(*cond))]
    if sids:
        conn.execute(
            sa.update(sso_sessions).where(sso_sessions.c.sid.in_(sids)).values(revoked_at=now)
        )
    return sids


def delete_sessions_before(conn: sa.Connection, before: dt.datetime) -> int:
    """Expired or revoked sessions older than `before` (housekeeping)."""
    sids = [
        r.sid
        for r in conn.execute(
            sa.select(sso_sessions.c.sid).where(sso_sessions.c.expires_at < before)
        )
    ]
    if not sids:
        return 0
    conn.execute(sa.delete(session_clients).where(session_clients.c.sid.in_(sids)))
    return conn.execute(sa.delete(sso_sessions).where(sso_sessions.c.sid.in_(sids))).rowcount


# ---- services a session signed in to -------------------------------------------------------


def note_client(
    conn: sa.Connection,
    sid: str,
    protocol: str,
    client_id: str,
    detail: dict[str, Any],
    now: dt.datetime,
) -> None:
    stmt = _upsert(conn, session_clients).values(
        sid=sid,
        client_id=client_id,
        protocol=protocol,
        detail=orjson.dumps(detail).decode(),
        at=now,
    )
    conn.execute(
        stmt.on_conflict_do_update(
            index_elements=["sid", "client_id"],
            set_={"detail": stmt.excluded.detail, "at": now, "protocol": protocol},
        )
    )


def clients_of(conn: sa.Connection, sid: str) -> list[tuple[str, str, dict[str, Any]]]:
    rows = conn.execute(
        sa.select(session_clients)
        .where(session_clients.c.sid == sid)
        .order_by(session_clients.c.at)
    )
    return [(r.protocol, r.client_id, orjson.loads(r.detail)) for r in rows]
