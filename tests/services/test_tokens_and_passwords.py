"""Tokens (shown once, stored hashed, revocable, expiring) and initial passwords."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from schulhof.access.actors import OPERATOR, Actor, ActorKind
from schulhof.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from schulhof.domain.model import Context, PersonDraft, Role, SchoolType
from schulhof.services import passwords, persons, schools, tokens
from schulhof.services.runtime import Services
from schulhof.store.tables import api_tokens, credentials
from tests.conftest import FixedClock


@pytest.fixture
def school(svc: Services) -> str:
    schools.add_school(svc, OPERATOR, "91000", "Grundschule", SchoolType.GS)
    return "91000"


def test_a_token_is_stored_only_as_a_hash_and_gives_its_actor(svc: Services, school: str) -> None:
    made = tokens.create_token(
        svc, OPERATOR, role=ActorKind.SCHOOL_ADMIN, name="Sekretariat", schools=(school,)
    )
    assert made.token.startswith("shf_")
    with svc.engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(sa.select(api_tokens))]
    assert made.token.split("_", 2)[2] not in str(stored)
    actor = tokens.authenticate(svc, made.token)
    assert actor is not None
    assert (actor.kind, actor.schools, actor.name) == (
        ActorKind.SCHOOL_ADMIN,
        frozenset({school}),
        "Sekretariat",
    )
    assert tokens.authenticate(svc, made.token[:-1] + "x") is None
    assert tokens.authenticate(svc, "shf_0000000000000000_nope") is None
    assert tokens.authenticate(svc, "Bearer rubbish") is None


def test_revoked_and_expired_tokens_stop_working(
    svc: Services, school: str, clock: FixedClock
) -> None:
    made = tokens.create_token(svc, OPERATOR, role=ActorKind.CITY_ADMIN, name="x", expires_days=1)
    assert tokens.authenticate(svc, made.token) is not None
    tokens.revoke_token(svc, OPERATOR, made.row.id)
    assert tokens.authenticate(svc, made.token) is None
    short = tokens.create_token(svc, OPERATOR, role=ActorKind.CITY_ADMIN, name="y", expires_days=1)
    clock.advance(days=1, seconds=1)
    tokens._cache.clear()
    assert tokens.authenticate(svc, short.token) is None
    with pytest.raises(NotFoundError):
        tokens.revoke_token(svc, OPERATOR, made.row.id)


def test_token_rules(svc: Services, school: str) -> None:
    admin = Actor(ActorKind.SCHOOL_ADMIN, "a", frozenset({school}))
    with pytest.raises(PermissionDeniedError):
        tokens.create_token(svc, admin, role=ActorKind.CITY_ADMIN, name="escalate")
    with pytest.raises(ValidationError):
        tokens.create_token(svc, OPERATOR, role=ActorKind.SCHOOL_ADMIN, name="no school")
    with pytest.raises(ValidationError):
        tokens.create_token(svc, OPERATOR, role=ActorKind.TEACHER, name="no person")
    with pytest.raises(NotFoundError):
        tokens.create_token(svc, OPERATOR, role=ActorKind.SERVICE, name="x", schools=("99999",))
    with pytest.raises(ValidationError):
        tokens.create_token(
            svc,
            OPERATOR,
            role=ActorKind.SERVICE,
            name="x",
            schools=(school,),
            attributes=("password_hash",),
        )


def test_initial_password_is_returned_once_and_stored_hashed(svc: Services, school: str) -> None:
    p = persons.add_person(
        svc, OPERATOR, PersonDraft("Anna", "Müller", contexts=(Context(school, Role.STUDENT),))
    )
    person, password = passwords.reset_password(svc, OPERATOR, p.username)
    assert person.id == p.id
    assert len(password) >= 16
    with svc.engine.connect() as conn:
        row = conn.execute(sa.select(credentials)).one()
    assert row.password_hash.startswith("$argon2id$")
    assert password not in row.password_hash
    assert row.must_change
    ok, _ = passwords.verify(row.password_hash, password)
    assert ok
    assert not passwords.verify(row.password_hash, password + "x")[0]
    second = passwords.reset_password(svc, OPERATOR, p.username)[1]
    assert second != password


def test_a_school_admin_cannot_reset_another_schools_password(svc: Services, school: str) -> None:
    schools.add_school(svc, OPERATOR, "91007", "Gymnasium", SchoolType.GY)
    p = persons.add_person(
        svc, OPERATOR, PersonDraft("Ben", "Yılmaz", contexts=(Context("91007", Role.STUDENT),))
    )
    admin = Actor(ActorKind.SCHOOL_ADMIN, "a", frozenset({school}))
    with pytest.raises(NotFoundError):
        passwords.reset_password(svc, admin, p.username)
    with pytest.raises(ValidationError):
        passwords.set_password(svc, OPERATOR, p.username, "short", temporary=False)


def test_generated_passwords_are_readable_and_varied() -> None:
    made = {passwords.generate_password() for _ in range(200)}
    assert len(made) == 200
    for pw in made:
        assert not set(pw) & set("lI0O")
        words = pw.split("-")
        assert len(words) == 4
        assert words[-1].isdigit()
