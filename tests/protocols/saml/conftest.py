"""A running IdP, people to sign in, and two SPs (python3-saml) registered from their
metadata: a learning platform limited to school 91007 that gets every attribute, and a
media library for every school that gets only `uid`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from schulhof.access.actors import OPERATOR
from schulhof.domain.model import Context, GroupKind, MemberRole, PersonDraft, Role, SchoolType
from schulhof.protocols.saml import attributes as saml_attributes
from schulhof.protocols.saml.registration import register
from schulhof.services import groups, keys, passwords, persons, schools
from schulhof.services.runtime import Services
from tests.conftest import FixedClock
from tests.protocols.saml.browser import Browser
from tests.protocols.saml.live import serve
from tests.protocols.saml.sp import TRANSIENT, ServiceProvider
from tests.web.signin.people import People, build

MINH_PASSWORD = "Kastanien-Allee-93"
EVERYTHING = tuple(a.friendly for a in saml_attributes.ATTRIBUTES)


@dataclass(frozen=True, slots=True)
class Bench:
    svc: Services
    clock: FixedClock
    base: str
    people: People  # lina (91007, 7b), petra (must change), otto (disabled)
    minh: str  # student at 91000, outside the learning platform's schools
    minh_id: str
    platform: ServiceProvider  # schools 91007, every attribute
    library: ServiceProvider  # every school, uid only
    library_transient: ServiceProvider  # the same SP asking for transient NameIDs


@pytest.fixture
def bench(svc: Services, clock: FixedClock) -> Iterator[Bench]:
    # python3-saml checks assertion times against the real clock: start the server's there.
    clock.now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    people = build(svc)
    schools.add_school(svc, OPERATOR, "91000", "Grundschule am Hafen", SchoolType.GS)
    minh = persons.add_person(
        svc, OPERATOR,
        PersonDraft("Minh", "Nguyen", None, contexts=(Context("91000", Role.STUDENT),)),
    )  # fmt: skip
    passwords.set_password(svc, OPERATOR, minh.username, MINH_PASSWORD, temporary=False)
    klass = groups.add_group(svc, OPERATOR, "91007", GroupKind.CLASS, "7b")
    groups.add_member(svc, OPERATOR, klass.id, people.lina_id, MemberRole.STUDENT)
    cert = keys.signing_key(svc, "saml").certificate_pem
    assert cert is not None
    with serve(svc) as base:
        platform = ServiceProvider("lernplattform.example", base, cert)
        library = ServiceProvider("mediathek.example", base, cert)
        register(svc, OPERATOR, platform.metadata(), source="platform.xml",
                 name="Lernplattform", attribute_names=EVERYTHING, schools=("91007",))  # fmt: skip
        register(svc, OPERATOR, library.metadata(), source="library.xml",
                 name="Mediathek", attribute_names=["uid"])  # fmt: skip
        yield Bench(
            svc, clock, base, people, minh.username, minh.id, platform, library,
            ServiceProvider("mediathek.example", base, cert, name_id_format=TRANSIENT),
        )  # fmt: skip


@pytest.fixture
def browser(bench: Bench) -> Iterator[Browser]:
    b = Browser(bench.base)
    yield b
    b.close()
