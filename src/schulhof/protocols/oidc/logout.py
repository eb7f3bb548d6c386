"""Logout: what ends with an SSO session, and telling the relying parties.

When a session ends (sign-out page, RP-initiated logout, password changed elsewhere,
person disabled) its refresh tokens are revoked and every OIDC client it signed in to that
registered a `backchannel_logout_uri` gets a job of kind `oidc.backchannel_logout` (queued
by services/backchannel.py, so the service layer can do it without HTTP). The worker POSTs
a logout token (OIDC Back-Channel Logout 1.0 §2.4: `iss`, `aud`, `iat`, `exp`, `jti`,
`sub`, `sid`, the `events` claim, no `nonce`; header `typ: logout+jwt`) and, if the RP does
not answer 200/204, queues a retry after a growing pause (2, 4, 8 … s, at most 5 min; 8
attempts in all). A fresh token is signed for every attempt, so a retry never carries an
expired one.
"""

from __future__ import annotations

import datetime as dt
import logging
import secrets
from typing import Any

import httpx

from schulhof.protocols.oidc import jwt
from schulhof.services import backchannel, clients, jobs, keys
from schulhof.services.jobs import Job, JobOutcome
from schulhof.services.runtime import Services
from schulhof.services.sessions import Session

log = logging.getLogger(__name__)

KIND = backchannel.KIND
EVENT = "http://schemas.openid.net/event/backchannel-logout"
TOKEN_SECONDS = 120
ATTEMPTS = 8
TIMEOUT = 5.0
MAX_PAUSE = 300


def logout_token(svc: Services, issuer: str, client_id: str, subject: str, sid: str) -> str:
    now = int(svc.clock().timestamp())
    claims = {
        "iss": issuer,
        "aud": client_id,
        "iat": now,
        "exp": now + TOKEN_SECONDS,
        "jti": secrets.token_urlsafe(16),
        "sub": subject,
        "sid": sid,
        "events": {EVENT: {}},
    }
    return jwt.sign(keys.signing_key(svc, "oidc"), claims, typ="logout+jwt")


def session_ended(svc: Services, issuer: str, session: Session) -> int:
    """Revoke the session's refresh tokens and queue a back-channel logout for each
    client that asked for one; returns the number of jobs queued. `issuer` is a fallback:
    each client is told the issuer it signed in with (kept with the session)."""
    return backchannel.session_ended(svc, session.sid, issuer=issuer)


def pause(attempt: int) -> dt.timedelta:
    return dt.timedelta(seconds=min(2**attempt, MAX_PAUSE))


def deliver(svc: Services, job: Job, *, transport: httpx.BaseTransport | None = None) -> JobOutcome:
    """Run one attempt of a back-channel logout job (the worker's runner for KIND)."""
    p: dict[str, Any] = job.params
    client = clients.get(svc, str(p["client_id"]))
    uri = client.config.get("backchannel_logout_uri") if client is not None else None
    if not uri:
        return JobOutcome(True, result={"skipped": "the client or its logout URI is gone"})
    if not p.get("issuer"):
        # Only for a session noted before the issuer was kept with it: no token can name
        # the right `iss`, and a wrong one would be refused anyway. Not retried.
        return JobOutcome(False, error="the issuer the client signed in with is unknown")
    token = logout_token(svc, str(p["issuer"]), str(p["client_id"]), str(p["sub"]),
                         str(p["sid"]))  # fmt: skip
    attempt = int(p.get("attempt", 1))
    try:
        with httpx.Client(timeout=TIMEOUT, transport=transport, follow_redirects=False) as http:
            answer = http.post(str(uri), data={"logout_token": token})
        problem = None if answer.status_code in (200, 204) else f"HTTP {answer.status_code}"
    except httpx.HTTPError as exc:
        problem = type(exc).__name__
    if problem is None:
        return JobOutcome(True, result={"delivered": True, "attempt": attempt})
    if attempt >= ATTEMPTS:
        log.warning("back-channel logout to %s failed for good: %s", p["client_id"], problem)
        return JobOutcome(False, error=f"attempt {attempt}: {problem}; giving up")
    due = svc.clock() + pause(attempt)
    jobs.enqueue(svc, KIND, {**p, "attempt": attempt + 1}, by="system:oidc", due=due)
    return JobOutcome(False, error=f"attempt {attempt}: {problem}; retry at {due.isoformat()}")


RUNNERS: dict[str, jobs.JobRunner] = {KIND: deliver}
