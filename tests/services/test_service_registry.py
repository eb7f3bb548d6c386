"""The registry of OIDC/SAML services, signing keys, and what a service learns of a person."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from schulhof.access.actors import OPERATOR, Actor, ActorKind
from schulhof.domain.errors import ConflictError, NotFoundError, PermissionDeniedError
from schulhof.domain.model import Context, GroupKind, MemberRole, PersonDraft, Role, SchoolType
from schulhof.services import clients, groups, keys, persons, release, schools
from schulhof.services.runtime import Services
from schulhof.store.tables import service_clients
from tests.conftest import FixedClock


@pytest.fixture
def city(svc: Services) -> dict[str, str]:
    schools.add_school(svc, OPERATOR, "91000", "Grundschule am Park", SchoolType.GS)
    schools.add_school(svc, OPERATOR, "91007", "Gymnasium Nord", SchoolType.GY)
    teacher = persons.add_person(
        svc,
        OPERATOR,
        PersonDraft(
            "Jana",
            "Meier",
            email="jana.meier@schule.example",
            contexts=(Context("91000", Role.TEACHER, primary=True), Context("91007", Role.TEACHER)),
        ),
    )
    student = persons.add_person(
        svc, OPERATOR, PersonDraft("Emre", "Şahin", contexts=(Context("91007", Role.STUDENT),))
    )
    g5a = groups.add_group(svc, OPERATOR, "91007", GroupKind.CLASS, "5a")
    g0 = groups.add_group(svc, OPERATOR, "91000", GroupKind.CLASS, "1b")
    groups.add_member(svc, OPERATOR, g5a.id, student.id, MemberRole.STUDENT)
    groups.add_member(svc, OPERATOR, g5a.id, teacher.id, MemberRole.TEACHER)
    groups.add_member(svc, OPERATOR, g0.id, teacher.id, MemberRole.TEACHER)
    return {"teacher": teacher.id, "student": student.id}


def test_a_secret_is_shown_once_stored_hashed_and_dies_with_the_client(
    svc: Services, city: dict[str, str]
) -> None:
    made, secret = clients.add(
        svc, OPERATOR, protocol="oidc", name="Lernplattform", config={}, secret=True
    )
    assert secret is not None
    assert made.id.startswith("lernplattform-")
    with svc.engine.connect() as conn:
        assert secret not in str(conn.execute(sa.select(service_clients)).all())
    assert clients.verify_secret(svc, made.id, secret)
    assert not clients.verify_secret(svc, made.id, secret + "x")
    assert not clients.verify_secret(svc, "unknown", secret)
    with pytest.raises(ConflictError):
        clients.add(svc, OPERATOR, protocol="oidc", name="lernplattform", config={})
    clients.remove(svc, OPERATOR, made.id)
    assert clients.get(svc, made.id) is None
    assert not clients.verify_secret(svc, made.id, secret)
    admin = Actor(ActorKind.SCHOOL_ADMIN, "a", frozenset({"91000"}))
    with pytest.raises(PermissionDeniedError):
        clients.add(svc, admin, protocol="oidc", name="Schatten-IT", config={})


def test_release_is_least_by_default_and_scoped_to_the_clients_schools(
    svc: Services, city: dict[str, str]
) -> None:
    bare, _ = clients.add(svc, OPERATOR, protocol="oidc", name="Bare", config={})
    r = release.release_for(svc, bare, city["teacher"])
    assert r == release.Release(subject=city["teacher"])
    gym, _ = clients.add(
        svc,
        OPERATOR,
        protocol="saml",
        name="Gym-Cloud",
        config={},
        schools=("91007",),
        release=("name", "username", "email", "roles", "schools", "groups"),
    )
    t = release.release_for(svc, gym, city["teacher"])
    assert t.school_numbers == ("91007",)  # not that she also teaches at 91000
    assert t.classes == ("91007-5a",)
    assert t.affiliation == ("faculty", "member")
    assert t.email == "jana.meier@schule.example"
    assert t.display_name == "Jana Meier"
    primary, _ = clients.add(
        svc, OPERATOR, protocol="oidc", name="GS", config={}, schools=("91000",)
    )
    with pytest.raises(NotFoundError):
        release.release_for(svc, primary, city["student"])  # a student of another school
    persons.disable_person(svc, OPERATOR, city["student"])
    with pytest.raises(NotFoundError):
        release.release_for(svc, gym, city["student"])


def test_pairwise_subjects_differ_per_client_and_stay_stable(
    svc: Services, city: dict[str, str]
) -> None:
    a, _ = clients.add(svc, OPERATOR, protocol="oidc", name="A", config={"pairwise": True})
    b, _ = clients.add(svc, OPERATOR, protocol="oidc", name="B", config={"pairwise": True})
    sa1 = release.release_for(svc, a, city["student"]).subject
    sb = release.release_for(svc, b, city["student"]).subject
    assert sa1 != sb
    assert city["student"] not in (sa1, sb)
    assert release.release_for(svc, a, city["student"]).subject == sa1
    assert release.release_for(svc, a, city["teacher"]).subject != sa1


def test_keys_rotate_and_old_ones_stay_published_until_retired(
    svc: Services, clock: FixedClock
) -> None:
    first = keys.signing_key(svc, "oidc")
    assert keys.signing_key(svc, "oidc").kid == first.kid
    assert first.public_jwk()["kty"] == "RSA"
    assert "d" not in first.public_jwk()
    saml = keys.signing_key(svc, "saml")
    assert saml.certificate_pem
    assert saml.kid != first.kid
    second = keys.rotate(svc, OPERATOR, "oidc", keep_old_for=dt.timedelta(hours=1))
    assert keys.signing_key(svc, "oidc").kid == second.kid
    assert {k.kid for k in keys.published_keys(svc, "oidc")} == {first.kid, second.kid}
    clock.advance(hours=2)
    keys.forget_cache(svc)
    assert [k.kid for k in keys.published_keys(svc, "oidc")] == [second.kid]
    with pytest.raises(PermissionDeniedError):
        keys.rotate(svc, Actor(ActorKind.SCHOOL_ADMIN, "a", frozenset({"1"})), "oidc")
