"""Telling OIDC clients that SSO sessions ended, without knowing HTTP.

Whatever ends a session — the sign-out page, RP-initiated logout, a password changed in
another browser (`sessions.end_all_for`), a person disabled — calls `sessions_ended`: the
refresh tokens of those sessions are revoked and each OIDC client the session signed in
to that registered a `backchannel_logout_uri` gets a queued job of kind `KIND`. The job
carries what the logout token needs: the client, the `sub` and `sid` the client was told,
and the issuer it signed in with (all kept with the session when the code was issued).
Signing and POSTing the token is the worker's part (protocols/oidc/logout.py).
"""

from __future__ import annotations

from collections.abc import Iterable

from schulhof.services import clients, jobs, oidc_grants
from schulhof.services.runtime import Services
from schulhof.store import signin as signin_store
from schulhof.store.database import read_connection

KIND = "oidc.backchannel_logout"
BY = "system:oidc"


def session_ended(svc: Services, sid: str, *, issuer: str | None = None) -> int:
    """Revoke session `sid`'s refresh tokens and queue a back-channel logout for each client
    that asked for one; returns the number of jobs queued. `issuer`: only a fallback for a
    client noted without the issuer it signed in with (none are, since the issuer is kept)."""
    oidc_grants.revoke_session(svc, sid)
    with read_connection(svc.engine) as conn:
        signed_in = signin_store.clients_of(conn, sid)
    queued = 0
    for protocol, client_id, detail in signed_in:
        if protocol != "oidc":
            continue
        client = clients.get(svc, client_id)
        if client is None or not client.config.get("backchannel_logout_uri"):
            continue
        params = {"issuer": detail.get("iss") or issuer, "client_id": client_id,
                  "sid": str(detail.get("sid") or sid),  # as the client knows it
                  "sub": str(detail.get("sub", "")), "attempt": 1}  # fmt: skip
        jobs.enqueue(svc, KIND, params, by=BY)
        queued += 1
    return queued


def sessions_ended(svc: Services, sids: Iterable[str]) -> int:
    """`session_ended` for each of `sids` (e.g. what `sessions.end_all_for` ended)."""
    return sum(session_ended(svc, sid) for sid in sids)
