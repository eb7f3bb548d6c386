"""OIDC authorization codes and refresh tokens, kept as SHA-256 hashes only.

Using a code or a refresh token is one conditional UPDATE (`used_at IS NULL AND …`): its
row count decides who won, so two requests racing with the same value cannot both win,
on SQLite or PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from schulhof.store.tables import oidc_codes, oidc_refresh_tokens
from schulhof.store.timestamps import aware


@dataclass(frozen=True, slots=True)
class CodeRow:
    code_hash: str
    client_id: str
    person_id: str
    sid: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class RefreshRow:
    token_hash: str
    family_id: str
    client_id: str
    person_id: str
    sid: str
    scope: str
    auth_time: dt.datetime
    issued_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None = None
    revoked_at: dt.datetime | None = None


class Use(enum.Enum):
    """What happened when a code or refresh token was presented."""

    OK = "ok"  # it was fresh: now marked used
    UNKNOWN = "unknown"  # never issued (or purged)
    EXPIRED = "expired"
    REUSED = "reused"  # used before: a replay (or a stolen copy)
    REVOKED = "revoked"  # its family was revoked (logout, reuse)


def _code(r: Any) -> CodeRow:
    return CodeRow(
        r.code_hash, r.client_id, r.person_id, r.sid, r.redirect_uri, r.scope, r.nonce,
        r.code_challenge, r.code_challenge_method, aware(r.auth_time), aware(r.expires_at),
        aware(r.used_at),
    )  # fmt: skip


def _refresh(r: Any) -> RefreshRow:
    return RefreshRow(
        r.token_hash, r.family_id, r.client_id, r.person_id, r.sid, r.scope,
        aware(r.auth_time), aware(r.issued_at), aware(r.expires_at), aware(r.used_at),
        aware(r.revoked_at),
    )  # fmt: skip


def insert_code(conn: sa.Connection, row: CodeRow) -> None:
    conn.execute(
        sa.insert(oidc_codes).values(
            code_hash=row.code_hash, client_id=row.client_id, person_id=row.person_id,
            sid=row.sid, redirect_uri=row.redirect_uri, scope=row.scope, nonce=row.nonce,
            code_challenge=row.code_challenge, code_challenge_method=row.code_challenge_method,
            auth_time=row.auth_time, expires_at=row.expires_at, used_at=None,
        )
    )  # fmt: skip


def use_code(conn: sa.Connection, code_hash: str, now: dt.datetime) -> tuple[Use, CodeRow | None]:
    """Mark the code used if it is fresh. The row comes back for every outcome but
    UNKNOWN (a reused code names the grant to revoke)."""
    won = conn.execute(
        sa.update(oidc_codes)
        .where(
            oidc_codes.c.code_hash == code_hash,
            oidc_codes.c.used_at.is_(None),
            oidc_codes.c.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    r = conn.execute(sa.select(oidc_codes).where(oidc_codes.c.code_hash == code_hash)).first()
    if r is None:
        return Use.UNKNOWN, None
    row = _code(r)
    if won == 1:
        return Use.OK, row
    if row.used_at is not None and row.used_at < row.expires_at:
        return Use.REUSED, row
    return Use.EXPIRED, row


def insert_refresh(conn: sa.Connection, row: RefreshRow) -> None:
    conn.execute(
        sa.insert(oidc_refresh_tokens).values(
            token_hash=row.token_hash, family_id=row.family_id, client_id=row.client_id,
            person_id=row.person_id, sid=row.sid, scope=row.scope, auth_time=row.auth_time,
            issued_at=row.issued_at, expires_at=row.expires_at, used_at=None, revoked_at=None,
        )
    )  # fmt: skip


def use_refresh(
    conn: sa.Connection, token_hash: str, now: dt.datetime
) -> tuple[Use, RefreshRow | None]:
    """Mark the refresh token used if it is fresh (not used, revoked or expired)."""
    t = oidc_refresh_tokens
    won = conn.execute(
        sa.update(t)
        .where(
            t.c.token_hash == token_hash,
            t.c.used_at.is_(None),
            t.c.revoked_at.is_(None),
            t.c.expires_at > now,
        )
        .values(used_at=now)
    ).rowcount
    r = conn.execute(sa.select(t).where(t.c.token_hash == token_hash)).first()
    if r is None:
        return Use.UNKNOWN, None
    row = _refresh(r)
    if won == 1:
        return Use.OK, row
    if row.used_at is not None:
        return Use.REUSED, row  # checked first: a replay after revocation is still a replay
    if row.revoked_at is not None:
        return Use.REVOKED, row
    return Use.EXPIRED, row


def family_active(conn: sa.Connection, family_id: str, now: dt.datetime) -> RefreshRow | None:
    """The family's newest token if the family is neither revoked nor expired."""
    t = oidc_refresh_tokens
    r = conn.execute(
        sa.select(t)
        .where(t.c.family_id == family_id)
        .order_by(t.c.issued_at.desc(), t.c.token_hash)
        .limit(1)
    ).first()
    if r is None:
        return None
    row = _refresh(r)
    if row.revoked_at is not None or row.expires_at <= now:
        return None
    return row


def revoke_family(conn: sa.Connection, family_id: str, now: dt.datetime) -> int:
    t = oidc_refresh_tokens
    return conn.execute(
        sa.update(t)
        .where(t.c.family_id == family_id, t.c.revoked_at.is_(None))
        .values(revoked_at=now)
    ).rowcount


def revoke_sid(conn: sa.Connection, sid: str, now: dt.datetime) -> int:
    """Revoke every refresh token issued under the SSO session `sid` (logout)."""
    t = oidc_refresh_tokens
    return conn.execute(
        sa.update(t).where(t.c.sid == sid, t.c.revoked_at.is_(None)).values(revoked_at=now)
    ).rowcount


def purge(conn: sa.Connection, now: dt.datetime) -> int:
    """Delete expired codes and refresh tokens (a reused code or token past its expiry
    is refused anyway)."""
    n = conn.execute(sa.delete(oidc_codes).where(oidc_codes.c.expires_at <= now)).rowcount
    t = oidc_refresh_tokens
    return n + conn.execute(sa.delete(t).where(t.c.expires_at <= now)).rowcount
