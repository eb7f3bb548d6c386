"""What an OIDC sign-in leaves behind: authorization codes and refresh tokens.

- A code lives 60 s and is good once. Presenting it again revokes the refresh tokens
  issued for it (RFC 6749 §4.1.2: "SHOULD revoke … all tokens previously issued based on
  that authorization code") — the family of a code is named after the code's hash.
- A refresh token lives 30 days and is rotated on every use. Presenting a used one revokes
  its whole family and is audited as `oidc.refresh_reuse` (OAuth 2.0 Security BCP §4.14).
- Ending an SSO session revokes every refresh token issued under its `sid` (and a refresh
  token whose session was ended by any other path is refused and revoked when presented;
  a session that merely expired leaves its refresh tokens good for their 30 days).

Only SHA-256 hashes of codes and tokens are stored; the values are handed out once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass

import sqlalchemy as sa

from schulhof.services import audit
from schulhof.services.runtime import Services
from schulhof.store import oidc as store
from schulhof.store import signin as signin_store
from schulhof.store.audit import AuditEntry
from schulhof.store.database import read_connection, write_connection
from schulhof.store.oidc import CodeRow, RefreshRow, Use

CODE_LIFETIME = dt.timedelta(seconds=60)
REFRESH_LIFETIME = dt.timedelta(days=30)
ACTOR = "system:oidc"

__all__ = ["CodeRow", "RefreshRow", "Use"]


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def family_of_code(code_hash: str) -> str:
    """The refresh-token family issued for a code (128 bits of the code's hash)."""
    return code_hash[:32]


@dataclass(frozen=True, slots=True)
class CodeRequest:
    client_id: str
    person_id: str
    sid: str
    redirect_uri: str
    scope: str
    nonce: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    auth_time: dt.datetime


def save_code(svc: Services, code: str, request: CodeRequest) -> None:
    """Keep a code just handed out (its hash) for 60 s."""
    row = CodeRow(
        digest(code), request.client_id, request.person_id, request.sid, request.redirect_uri,
        request.scope, request.nonce, request.code_challenge, request.code_challenge_method,
        request.auth_time, svc.clock() + CODE_LIFETIME,
    )  # fmt: skip
    with write_connection(svc.engine) as conn:
        store.insert_code(conn, row)


def redeem_code(svc: Services, code: str, client_id: str) -> CodeRow | None:
    """The code's grant if it is fresh and was issued to `client_id`; it is used up
    either way. A replayed code revokes what it was exchanged for."""
    now = svc.clock()
    with write_connection(svc.engine) as conn:
        outcome, row = store.use_code(conn, digest(code), now)
        if row is None or outcome is Use.UNKNOWN:
            return None
        if outcome is Use.REUSED:
            revoked = store.revoke_family(conn, family_of_code(row.code_hash), now)
            _audit(conn, now, "oidc.code_reuse", row.person_id, row.client_id, revoked)
            return None
    if outcome is not Use.OK or not secrets.compare_digest(row.client_id, client_id):
        return None
    return row


def issue_refresh(
    svc: Services,
    *,
    family_id: str,
    client_id: str,
    person_id: str,
    sid: str,
    scope: str,
    auth_time: dt.datetime,
) -> str:
    token = secrets.token_urlsafe(32)
    now = svc.clock()
    row = RefreshRow(
        digest(token), family_id, client_id, person_id, sid, scope, auth_time, now,
        now + REFRESH_LIFETIME,
    )  # fmt: skip
    with write_connection(svc.engine) as conn:
        store.insert_refresh(conn, row)
    return token


def use_refresh(svc: Services, token: str, client_id: str) -> RefreshRow | None:
    """The token's grant if it is fresh and belongs to `client_id` (it is used up now:
    the caller issues its successor in the same family). A used token revokes its family."""
    now = svc.clock()
    with write_connection(svc.engine) as conn:
        outcome, row = store.use_refresh(conn, digest(token), now)
        if row is None:
            return None
        if outcome is Use.REUSED:
            revoked = store.revoke_family(conn, row.family_id, now)
            _audit(conn, now, "oidc.refresh_reuse", row.person_id, row.client_id, revoked)
            return None
        if outcome is Use.OK and _session_ended(conn, row.sid):
            # Ended by any path (sign-out, password changed elsewhere, person disabled),
            # not merely expired: the tokens of that sign-in end with it.
            store.revoke_family(conn, row.family_id, now)
            return None
    if outcome is not Use.OK or not secrets.compare_digest(row.client_id, client_id):
        return None
    return row


def _session_ended(conn: sa.Connection, sid: str) -> bool:
    found = signin_store.session_by_sid(conn, sid)
    return found is not None and found.revoked_at is not None


def active_family(svc: Services, family_id: str) -> RefreshRow | None:
    """The newest token of a family that is neither revoked nor expired (an access
    token's grant is alive while its family is)."""
    with read_connection(svc.engine) as conn:
        return store.family_active(conn, family_id, svc.clock())


def revoke_session(svc: Services, sid: str) -> int:
    """Revoke the refresh tokens of SSO session `sid` (it ended); returns how many."""
    now = svc.clock()
    with write_connection(svc.engine) as conn:
        return store.revoke_sid(conn, sid, now)


def purge(svc: Services) -> int:
    with write_connection(svc.engine) as conn:
        return store.purge(conn, svc.clock())


def _audit(
    conn: sa.Connection,
    now: dt.datetime,
    action: str,
    person_id: str,
    client_id: str,
    revoked: int,
) -> None:
    audit.record(
        conn,
        [
            AuditEntry(
                now, ACTOR, action, "person", person_id, None,
                {"client_id": client_id, "revoked_tokens": revoked},
            )
        ],
    )  # fmt: skip
