"""SSO sessions: lifetime, idle timeout, ending, disabled people, the services signed in to."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from schulhof.access.actors import OPERATOR
from schulhof.domain.model import Context, PersonDraft, Role, SchoolType
from schulhof.services import persons, schools, sessions
from schulhof.services.runtime import Services
from schulhof.store.tables import sso_sessions
from tests.conftest import FixedClock


@pytest.fixture
def person_id(svc: Services) -> str:
    schools.add_school(svc, OPERATOR, "91007", "Gymnasium Nord", SchoolType.GY)
    return persons.add_person(
        svc, OPERATOR, PersonDraft("Anh", "Nguyễn", contexts=(Context("91007", Role.STUDENT),))
    ).id


def test_only_a_hash_of_the_cookie_is_stored(svc: Services, person_id: str) -> None:
    cookie, s = sessions.start(svc, person_id, address="10.0.0.1", must_change=False)
    with svc.engine.connect() as conn:
        rows = [tuple(r) for r in conn.execute(sa.select(sso_sessions))]
    assert cookie not in str(rows)
    assert sessions.current(svc, cookie) == s
    assert sessions.current(svc, cookie + "x") is None
    assert sessions.current(svc, None) is None
    assert sessions.current(svc, "x" * 5000) is None


def test_idle_and_absolute_expiry(svc: Services, person_id: str, clock: FixedClock) -> None:
    cookie, _ = sessions.start(svc, person_id, address=None, must_change=False)
    for _ in range(8):
        clock.advance(minutes=55)
        assert sessions.current(svc, cookie) is not None  # used: stays alive
    clock.advance(minutes=55)  # 8 h 15 min after sign-in
    assert sessions.current(svc, cookie) is None
    idle, _ = sessions.start(svc, person_id, address=None, must_change=False)
    clock.advance(minutes=61)
    assert sessions.current(svc, idle) is None


def test_ending_by_cookie_or_sid_and_a_disabled_person(svc: Services, person_id: str) -> None:
    a, sa_ = sessions.start(svc, person_id, address=None, must_change=False)
    b, sb = sessions.start(svc, person_id, address=None, must_change=False)
    c, _ = sessions.start(svc, person_id, address=None, must_change=False)
    assert sessions.end(svc, a) == sa_
    assert sessions.end(svc, a) is None  # once
    assert sessions.current(svc, a) is None
    assert sessions.by_sid(svc, sb.sid) == sb
    assert sessions.end(svc, sb.sid) == sb
    assert sessions.current(svc, b) is None
    assert sessions.current(svc, c) is not None
    persons.disable_person(svc, OPERATOR, person_id)
    assert sessions.current(svc, c) is None


def test_services_a_session_signed_in_to(svc: Services, person_id: str) -> None:
    _, s = sessions.start(svc, person_id, address=None, must_change=False)
    sessions.note_client(svc, s.sid, "oidc", "lernplattform-1", {})
    sessions.note_client(svc, s.sid, "saml", "https://sp.example/meta", {"name_id": "abc"})
    sessions.note_client(svc, s.sid, "oidc", "lernplattform-1", {"again": True})
    assert sessions.clients_of(svc, s.sid) == [
        ("saml", "https://sp.example/meta", {"name_id": "abc"}),
        ("oidc", "lernplattform-1", {"again": True}),
    ] or sessions.clients_of(svc, s.sid) == [
        ("oidc", "lernplattform-1", {"again": True}),
        ("saml", "https://sp.example/meta", {"name_id": "abc"}),
    ]


def test_housekeeping_forgets_old_sessions_and_failure_counts(
    svc: Services, person_id: str, clock: FixedClock
) -> None:
    old, _ = sessions.start(svc, person_id, address=None, must_change=False)
    from schulhof.services import signin

    with pytest.raises(signin.SignInRefused):
        signin.verify_password(svc, "nobody", "x", address="10.9.9.9", channel="web")
    clock.advance(hours=8, minutes=1)
    fresh, _ = sessions.start(svc, person_id, address=None, must_change=False)
    assert sessions.housekeeping(svc) == 0  # expired, but not yet a day ago
    clock.advance(days=1, hours=9)  # both ended more than a day ago
    fresh2, _ = sessions.start(svc, person_id, address=None, must_change=False)
    assert sessions.housekeeping(svc) == 2  # the newest stays
    assert sessions.current(svc, fresh2) is not None
    with svc.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(sso_sessions)).scalar() == 1
        failures = conn.execute(sa.text("SELECT count(*) FROM signin_failures")).scalar()
    assert failures == 0
    assert old != fresh
