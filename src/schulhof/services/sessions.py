"""SSO sessions: who is signed in at this browser, and to which services.

The cookie holds 256 random bits; only its SHA-256 is stored, so a leaked table does not
give sessions away. A session lives at most `LIFETIME` and ends after `IDLE` without use —
a school day, and a shared classroom computer does not stay signed in for the next class.
A session of a person who must change the initial password is restricted: the faces give
it nothing but the password change. A disabled (or deleted) person's session ends at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any

from schulhof.services import backchannel
from schulhof.services.runtime import Services
from schulhof.store import signin as signin_store
from schulhof.store.database import read_connection, write_connection

LIFETIME = dt.timedelta(hours=8)
IDLE = dt.timedelta(hours=1)
TOUCH_EVERY = dt.timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Session:
    sid: str  # public: OIDC `sid`, logout
    person_id: str
    auth_time: dt.datetime
    expires_at: dt.datetime
    must_change: bool


def _hash(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def _public(row: signin_store.SessionRow) -> Session:
    return Session(row.sid, row.person_id, row.auth_time, row.expires_at, row.must_change)


def start(
    svc: Services, person_id: str, *, address: str | None, must_change: bool
) -> tuple[str, Session]:
    """A new session; returns (cookie value, session)."""
    cookie = secrets.token_urlsafe(32)
    now = svc.clock()
    row = signin_store.SessionRow(
        id=_hash(cookie),
        sid=secrets.token_urlsafe(16),
        person_id=person_id,
        created_at=now,
        auth_time=now,
        last_seen_at=now,
        expires_at=now + LIFETIME,
        revoked_at=None,
        must_change=must_change,
        person_active=True,
    )
    with write_connection(svc.engine) as conn:
        signin_store.insert_session(conn, row, address)
    return cookie, _public(row)


def _live(row: signin_store.SessionRow | None, now: dt.datetime) -> bool:
    return (
        row is not None
        and row.revoked_at is None
        and row.person_active
        and now < row.expires_at
        and now < row.last_seen_at + IDLE
    )


def current(svc: Services, cookie: str | None) -> Session | None:
    """The live session behind `cookie`, or None (unknown, expired, idle, ended, disabled)."""
    if not cookie or len(cookie) > 100:
        return None
    now = svc.clock()
    with read_connection(svc.engine) as conn:
        row = signin_store.session_by_id(conn, _hash(cookie))
    if row is None or not _live(row, now):
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        with write_connection(svc.engine) as conn:
            signin_store.touch_session(conn, row.id, now)
    return _public(row)


def by_sid(svc: Services, sid: str) -> Session | None:
    """A live session by its public id (e.g. from an ID token hint)."""
    with read_connection(svc.engine) as conn:
        row = signin_store.session_by_sid(conn, sid)
    return _public(row) if row is not None and _live(row, svc.clock()) else None


def end(svc: Services, cookie_or_sid: str) -> Session | None:
    """End the session named by its cookie or its sid; returns it if it was live."""
    now = svc.clock()
    with write_connection(svc.engine) as conn:
        row = signin_store.session_by_id(conn, _hash(cookie_or_sid))
        if row is None:
            row = signin_store.session_by_sid(conn, cookie_or_sid)
        if row is None or row.revoked_at is not None:
            return None
        signin_store.revoke_sessions(conn, now, session_id=row.id)
    return _public(row)


def end_all_for(svc: Services, person_id: str, *, except_sid: str | None = None) -> list[str]:
    """End a person's sessions (password changed, person disabled); returns their sids.
    Their refresh tokens are revoked and the OIDC clients told (back-channel logout jobs)."""
    with write_connection(svc.engine) as conn:
        ended = signin_store.revoke_sessions(
            conn, svc.clock(), person_id=person_id, except_sid=except_sid
        )
    backchannel.sessions_ended(svc, ended)
    return ended


def password_changed(svc: Services, person_id: str) -> None:
    """The initial password is replaced: the person's sessions are no longer restricted."""
    with write_connection(svc.engine) as conn:
        signin_store.clear_must_change(conn, person_id)


def note_client(
    svc: Services, sid: str, protocol: str, client_id: str, detail: dict[str, Any]
) -> None:
    """Remember that session `sid` signed in to a service (for logout)."""
    with write_connection(svc.engine) as conn:
        signin_store.note_client(conn, sid, protocol, client_id, detail, svc.clock())


def clients_of(svc: Services, sid: str) -> list[tuple[str, str, dict[str, Any]]]:
    """(protocol, client id, detail) of each service the session signed in to."""
    with read_connection(svc.engine) as conn:
        return signin_store.clients_of(conn, sid)


def housekeeping(svc: Services) -> int:
    """Delete sessions that expired a day ago and stale failure counters."""
    now = svc.clock()
    with write_connection(svc.engine) as conn:
        gone = signin_store.delete_sessions_before(conn, now - dt.timedelta(days=1))
        signin_store.forget_failures_before(conn, now - dt.timedelta(days=1))
    return gone
