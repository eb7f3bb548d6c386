"""Codes and refresh tokens: single use under concurrency, lifetimes, family revocation,
revocation by session, and nothing but hashes in the database."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from schulhof.access.actors import OPERATOR
from schulhof.services import audit, oidc_grants, sessions
from schulhof.services.oidc_grants import CodeRequest
from schulhof.services.runtime import Services
from schulhof.store.database import read_connection
from schulhof.store.tables import oidc_codes, oidc_refresh_tokens
from tests.conftest import FixedClock

PERSON = "0b7f7f9e-5d1a-4c55-8a52-3f1f0c1f2a10"


def _code(svc: Services, code: str = "code-value-1") -> str:
    request = CodeRequest("lms", PERSON, "sid-1", "https://lms.example/cb", "openid",
                          "n", None, None, svc.clock())  # fmt: skip
    oidc_grants.save_code(svc, code, request)
    return code


def _refresh(svc: Services, family: str = "fam-1", sid: str = "sid-1") -> str:
    return oidc_grants.issue_refresh(svc, family_id=family, client_id="lms", person_id=PERSON,
                                     sid=sid, scope="openid", auth_time=svc.clock())  # fmt: skip


def test_a_code_is_good_once_even_when_raced(svc: Services) -> None:
    code = _code(svc)
    with ThreadPoolExecutor(4) as pool:
        won = list(pool.map(lambda _: oidc_grants.redeem_code(svc, code, "lms"), range(4)))
    assert sum(w is not None for w in won) == 1
    assert oidc_grants.redeem_code(svc, code, "lms") is None


def test_a_code_is_bound_to_its_client_and_lives_60_seconds(
    svc: Services, clock: FixedClock
) -> None:
    assert oidc_grants.redeem_code(svc, _code(svc, "c1"), "other-client") is None
    code = _code(svc, "c2")
    clock.advance(seconds=60)
    assert oidc_grants.redeem_code(svc, code, "lms") is None
    assert oidc_grants.redeem_code(svc, "never-issued", "lms") is None


def test_a_replayed_code_revokes_the_tokens_it_gave(svc: Services) -> None:
    code = _code(svc)
    row = oidc_grants.redeem_code(svc, code, "lms")
    assert row is not None
    token = _refresh(svc, family=oidc_grants.family_of_code(row.code_hash))
    assert oidc_grants.redeem_code(svc, code, "lms") is None
    assert oidc_grants.use_refresh(svc, token, "lms") is None
    actions = [e.action for e in audit.list_audit(svc, OPERATOR).items]
    assert "oidc.code_reuse" in actions


def test_refresh_tokens_rotate_and_a_reused_one_revokes_its_family(svc: Services) -> None:
    first = _refresh(svc)
    assert oidc_grants.use_refresh(svc, first, "lms") is not None
    second = _refresh(svc)  # the successor, same family
    other_family = _refresh(svc, family="fam-2")
    assert oidc_grants.use_refresh(svc, first, "lms") is None  # reuse
    assert oidc_grants.use_refresh(svc, second, "lms") is None  # family revoked
    assert oidc_grants.use_refresh(svc, other_family, "lms") is not None
    assert oidc_grants.active_family(svc, "fam-1") is None
    entries = audit.list_audit(svc, OPERATOR, action="oidc.refresh_reuse").items
    assert [(e.target_id, (e.detail or {}).get("client_id")) for e in entries] == [(PERSON, "lms")]


def test_refresh_tokens_expire_after_30_days_and_end_with_their_session(
    svc: Services, clock: FixedClock
) -> None:
    old = _refresh(svc, family="fam-old")
    clock.advance(days=30)
    assert oidc_grants.use_refresh(svc, old, "lms") is None
    mine, other = _refresh(svc, family="a", sid="s-a"), _refresh(svc, family="b", sid="s-b")
    assert oidc_grants.revoke_session(svc, "s-a") == 1
    assert oidc_grants.use_refresh(svc, mine, "lms") is None
    assert oidc_grants.use_refresh(svc, other, "lms") is not None
    assert oidc_grants.purge(svc) >= 1  # the expired one is gone


def test_only_hashes_are_stored(svc: Services) -> None:
    code, token = _code(svc, "plain-code-value"), _refresh(svc)
    with read_connection(svc.engine) as conn:
        rows = [*conn.execute(sa.select(oidc_codes)), *conn.execute(sa.select(oidc_refresh_tokens))]
    text = repr([tuple(r) for r in rows])
    assert code not in text
    assert token not in text
    assert oidc_grants.digest(code) in text


def test_lifetimes() -> None:
    assert dt.timedelta(seconds=60) == oidc_grants.CODE_LIFETIME
    assert dt.timedelta(days=30) == oidc_grants.REFRESH_LIFETIME


def test_refresh_ends_with_a_session_ended_elsewhere_not_with_an_expired_one(
    svc: Services, clock: FixedClock
) -> None:
    _, ended = sessions.start(svc, PERSON, address="x", must_change=False)
    _, expired = sessions.start(svc, PERSON, address="x", must_change=False)
    first = _refresh(svc, family="f-ended", sid=ended.sid)
    second = _refresh(svc, family="f-expired", sid=expired.sid)
    sessions.end_all_for(svc, PERSON, except_sid=expired.sid)  # e.g. the password changed
    clock.advance(hours=9)  # the other session expires on its own
    assert oidc_grants.use_refresh(svc, first, "lms") is None
    assert oidc_grants.active_family(svc, "f-ended") is None
    assert oidc_grants.use_refresh(svc, second, "lms") is not None
