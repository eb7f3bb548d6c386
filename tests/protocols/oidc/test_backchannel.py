"""Back-channel logout jobs: what is queued when a session ends, the logout token, and the
retries with growing pauses (the RP here is an httpx transport answering as told; the
real listener and worker run in test_openid_client.py)."""

from __future__ import annotations

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet

from schulhof.protocols.oidc import logout
from schulhof.services import backchannel, jobs, keys, sessions
from schulhof.services.runtime import Services
from schulhof.store import jobs as job_store
from schulhof.store.database import read_connection, write_connection
from tests.conftest import FixedClock
from tests.web.oidc_support import BACKCHANNEL, build_bench, register

ISSUER = "https://idm.example"


def _queued(svc: Services) -> list[job_store.JobRow]:
    with read_connection(svc.engine) as conn:
        return [j for j in job_store.list_page(conn) if j.status == "queued"]


def _run_next(svc: Services, transport: httpx.MockTransport) -> bool:
    runners: dict[str, jobs.JobRunner] = {
        logout.KIND: lambda s, job: logout.deliver(s, job, transport=transport)
    }
    return jobs.run_next_job(svc, runners)


def test_a_session_end_queues_one_job_per_client_that_asked(svc: Services) -> None:
    bench = build_bench(svc)
    quiet, _ = register(svc, "Ohne Logout")  # no back-channel URI
    _, session = sessions.start(svc, bench.people.lina_id, address="x", must_change=False)
    sessions.note_client(svc, session.sid, "oidc", bench.client_id, {"sub": "s-1"})
    sessions.note_client(svc, session.sid, "oidc", quiet, {"sub": "s-2"})
    sessions.note_client(svc, session.sid, "saml", "https://sp.example", {})
    assert logout.session_ended(svc, ISSUER, session) == 1
    [job] = _queued(svc)
    assert job.params == {"issuer": ISSUER, "client_id": bench.client_id,
                          "sid": session.sid, "sub": "s-1", "attempt": 1}  # fmt: skip


def test_delivery_retries_with_growing_pauses_then_gives_up(
    svc: Services, clock: FixedClock
) -> None:
    keys.forget_cache(svc)
    bench = build_bench(svc)
    _, session = sessions.start(svc, bench.people.lina_id, address="x", must_change=False)
    sessions.note_client(svc, session.sid, "oidc", bench.client_id, {"sub": "s-1"})
    logout.session_ended(svc, ISSUER, session)
    seen: list[httpx.Request] = []

    def down(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(503)

    transport = httpx.MockTransport(down)
    pauses = []
    for attempt in range(1, logout.ATTEMPTS + 1):
        assert _run_next(svc, transport), attempt
        if attempt < logout.ATTEMPTS:
            assert not _run_next(svc, transport)  # the retry is not due yet
            [retry] = _queued(svc)
            pauses.append((retry.created_at - clock.now).total_seconds())
            clock.now = retry.created_at
    assert pauses == [2, 4, 8, 16, 32, 64, 128]
    assert len(seen) == logout.ATTEMPTS
    assert not _queued(svc)  # given up
    assert str(seen[0].url) == BACKCHANNEL
    token = seen[0].content.decode().removeprefix("logout_token=")
    public = KeySet.import_key_set(
        {"keys": [k.public_jwk() for k in keys.published_keys(svc, "oidc")]}
    )
    decoded = jwt.decode(token, public, algorithms=["RS256"])
    assert decoded.header["typ"] == "logout+jwt"
    assert decoded.claims["sid"] == session.sid
    assert decoded.claims["aud"] == bench.client_id
    assert set(decoded.claims) == {"iss", "aud", "iat", "exp", "jti", "sub", "sid", "events"}


def test_a_delivered_logout_is_done(svc: Services) -> None:
    bench = build_bench(svc)
    _, session = sessions.start(svc, bench.people.lina_id, address="x", must_change=False)
    sessions.note_client(svc, session.sid, "oidc", bench.client_id, {"sub": "s-1"})
    logout.session_ended(svc, ISSUER, session)
    assert _run_next(svc, httpx.MockTransport(lambda _: httpx.Response(200)))
    with write_connection(svc.engine) as conn:
        [job] = job_store.list_page(conn)
    assert job.status == "done"
    assert not _queued(svc)


def test_a_job_without_an_issuer_fails_at_once_and_is_not_retried(svc: Services) -> None:
    keys.forget_cache(svc)
    bench = build_bench(svc)
    _, session = sessions.start(svc, bench.people.lina_id, address="x", must_change=False)
    sessions.note_client(svc, session.sid, "oidc", bench.client_id, {"sub": "s-1"})
    assert backchannel.session_ended(svc, session.sid) == 1  # no issuer noted, none given
    seen: list[httpx.Request] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200)

    assert _run_next(svc, httpx.MockTransport(answer))
    assert seen == []
    assert _queued(svc) == []
