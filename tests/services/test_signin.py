"""Password checks shared by every sign-in face: throttling, policy, rehash, audit."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from schulhof.access.actors import OPERATOR
from schulhof.domain.model import Context, PersonDraft, Role, SchoolType
from schulhof.domain.password_policy import PasswordRejected
from schulhof.services import passwords, persons, schools, sessions, signin
from schulhof.services.runtime import Services
from schulhof.services.settings import Argon2Params
from schulhof.services.signin import SignInRefused
from schulhof.store.tables import audit_log, credentials
from tests.conftest import FixedClock

PW = "Kastanie-Herbst-7"


@pytest.fixture
def people(svc: Services) -> dict[str, str]:
    schools.add_school(svc, OPERATOR, "91000", "Grundschule am Park", SchoolType.GS)
    schools.add_school(svc, OPERATOR, "91007", "Gymnasium Nord", SchoolType.GY)
    made = {}
    for key, given, family, school, role in [
        ("child", "Mia", "Kaya", "91000", Role.STUDENT),
        ("student", "Łukasz", "Nowak", "91007", Role.STUDENT),
        ("teacher", "Jana", "Meier", "91007", Role.TEACHER),
    ]:
        p = persons.add_person(
            svc, OPERATOR, PersonDraft(given, family, contexts=(Context(school, role),))
        )
        passwords.set_password(svc, OPERATOR, p.username, PW, temporary=False)
        made[key] = p.username
    return made


def test_right_password_signs_in_and_is_audited_without_the_password(
    svc: Services, people: dict[str, str]
) -> None:
    got = signin.verify_password(svc, people["student"], PW, address="10.0.0.1", channel="web")
    assert got.person.username == people["student"]
    assert not got.must_change
    # Upper case and spaces as typed on a tablet still find the account.
    signin.verify_password(svc, f" {people['student'].upper()} ", PW, address="a", channel="web")
    with pytest.raises(SignInRefused) as err:
        signin.verify_password(svc, people["student"], PW + "x", address="a", channel="ldap")
    assert err.value.reason == "invalid"
    with pytest.raises(SignInRefused) as unknown:
        signin.verify_password(svc, "nobody.here", PW, address="a", channel="web")
    assert unknown.value.reason == "invalid"
    assert str(unknown.value) == str(err.value)  # no hint whether the user exists
    with svc.engine.connect() as conn:
        rows = conn.execute(sa.select(audit_log.c.action, audit_log.c.detail)).all()
    actions = [r.action for r in rows]
    assert actions.count("signin.success") == 2
    assert actions.count("signin.failed") == 2
    assert PW not in str(rows)
    assert "nobody.here" not in str(rows)  # a mistyped name may be a password


def test_an_account_is_throttled_with_growing_delays(
    svc: Services, people: dict[str, str], clock: FixedClock
) -> None:
    user = people["student"]
    for _ in range(signin.ACCOUNT.free):
        with pytest.raises(SignInRefused):
            signin.verify_password(svc, user, "wrong-guess-1", address="10.1.1.1", channel="web")
    # From another address too: the account is what is guessed at.
    with pytest.raises(SignInRefused) as err:
        signin.verify_password(svc, user, PW, address="10.2.2.2", channel="web")
    assert err.value.reason == "throttled"
    assert err.value.retry_after == 2
    clock.advance(seconds=3)
    with pytest.raises(SignInRefused) as err:
        signin.verify_password(svc, user, "wrong-guess-2", address="10.2.2.2", channel="web")
    assert err.value.reason == "invalid"
    with pytest.raises(SignInRefused) as err:
        signin.verify_password(svc, user, PW, address="10.2.2.2", channel="web")
    assert err.value.retry_after == 4  # doubled
    clock.advance(seconds=5)
    assert signin.verify_password(svc, user, PW, address="10.2.2.2", channel="web")
    # Success cleared the account's count.
    with pytest.raises(SignInRefused) as err:
        signin.verify_password(svc, user, "wrong-guess-3", address="10.2.2.2", channel="web")
    assert err.value.reason == "invalid"


def test_a_primary_school_child_gets_fewer_tries(svc: Services, people: dict[str, str]) -> None:
    for _ in range(signin.CHILD_ACCOUNT.free):
        with pytest.raises(SignInRefused):
            signin.verify_password(svc, people["child"], "falsch1", address="x", channel="web")
    with pytest.raises(SignInRefused) as err:
        signin.verify_password(svc, people["child"], PW, address="x", channel="web")
    assert (err.value.reason, err.value.retry_after) == ("throttled", 4)
    # The teacher at another school is not affected by the child's count.
    assert signin.verify_password(svc, people["teacher"], PW, address="y", channel="web")


def test_an_address_spraying_many_accounts_is_throttled(
    svc: Services, people: dict[str, str], clock: FixedClock
) -> None:
    for i in range(signin.ADDRESS.free):
        with pytest.raises(SignInRefused):
            signin.verify_password(svc, f"guess{i}", "x", address="6.6.6.6", channel="web")
    with pytest.raises(SignInRefused) as err:
        signin.verify_password(svc, people["teacher"], PW, address="6.6.6.6", channel="web")
    assert err.value.reason == "throttled"
    assert signin.verify_password(svc, people["teacher"], PW, address="7.7.7.7", channel="web")


def test_a_disabled_person_is_refused_even_with_the_right_password(
    svc: Services, people: dict[str, str]
) -> None:
    persons.disable_person(svc, OPERATOR, people["teacher"])
    with pytest.raises(SignInRefused) as err:
        signin.verify_password(svc, people["teacher"], PW, address="x", channel="web")
    assert err.value.reason == "disabled"


def test_a_hash_with_old_costs_is_rehashed_at_sign_in(
    svc: Services, people: dict[str, str]
) -> None:
    user = people["teacher"]

    def stored() -> str:
        with svc.engine.connect() as conn:
            return str(conn.execute(sa.select(credentials.c.password_hash)).all()[-1][0])

    svc.settings = type(svc.settings)(argon2=Argon2Params(time_cost=1, memory_kib=8192))
    passwords.set_password(svc, OPERATOR, user, PW, temporary=True)
    with svc.engine.connect() as conn:
        old = conn.execute(sa.select(credentials.c.password_hash)).all()
    assert any("m=8192,t=1" in r[0] for r in old)
    svc.settings = type(svc.settings)()  # the production costs
    got = signin.verify_password(svc, user, PW, address="x", channel="web")
    assert got.must_change  # kept through the rehash
    with svc.engine.connect() as conn:
        hashes = [r[0] for r in conn.execute(sa.select(credentials.c.password_hash))]
    assert not any("m=8192,t=1" in h for h in hashes)
    assert any("m=12288,t=3,p=1" in h for h in hashes)
    assert stored()


def test_changing_the_password_checks_the_policy_and_ends_other_sessions(
    svc: Services, people: dict[str, str]
) -> None:
    user = people["teacher"]
    person = persons.load_readable(svc, OPERATOR, user)
    passwords.set_password(svc, OPERATOR, user, "Erster-Schultag-1", temporary=True)
    cookie_a, a = sessions.start(svc, person.id, address="x", must_change=True)
    cookie_b, _ = sessions.start(svc, person.id, address="y", must_change=True)
    with pytest.raises(PasswordRejected) as err:
        signin.change_password(svc, person.id, "Erster-Schultag-1", "kurz-1", address="x")
    assert err.value.code == "too_short"  # a teacher needs 12
    with pytest.raises(SignInRefused):
        signin.change_password(svc, person.id, "wrong-old-pass", "Neues-Passwort-2026", address="x")
    signin.change_password(
        svc, person.id, "Erster-Schultag-1", "Neues-Passwort-2026", address="x", keep_sid=a.sid
    )
    kept = sessions.current(svc, cookie_a)
    assert kept is not None
    assert not kept.must_change
    assert sessions.current(svc, cookie_b) is None
    got = signin.verify_password(svc, user, "Neues-Passwort-2026", address="x", channel="web")
    assert not got.must_change


def test_a_reset_by_an_admin_ends_the_persons_sessions(
    svc: Services, people: dict[str, str]
) -> None:
    person = persons.load_readable(svc, OPERATOR, people["student"])
    cookie, _ = sessions.start(svc, person.id, address="x", must_change=False)
    passwords.reset_password(svc, OPERATOR, people["student"])
    assert sessions.current(svc, cookie) is None
    cookie, _ = sessions.start(svc, person.id, address="x", must_change=True)
    passwords.set_password(svc, OPERATOR, people["student"], "Neues-Passwort-99", temporary=True)
    assert sessions.current(svc, cookie) is None
