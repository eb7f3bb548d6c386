"""Access through LDAP: a service sees its schools and its attributes, and a filter on what
it may not see behaves as if the attribute were absent — it cannot reveal a value."""

from __future__ import annotations

import time

import pytest

from schulhof.domain.model import Context, Role
from schulhof.services import persons
from schulhof.services.runtime import Services
from tests.protocols.ldap.support import (
    BASE,
    OP,
    PEOPLE,
    City,
    RunningServer,
    Tls,
    ldapsearch,
    parse_ldif,
)


def _uids(
    server: RunningServer, tls: Tls, bind: tuple[str, str], flt: str, base: str = BASE
) -> list[str]:
    done = ldapsearch(tls, server.url, "-b", base, flt, "uid", bind=bind)
    return sorted(v for e in parse_ldif(done.stdout).values() for v in e.get("uid", []))


def test_another_school_s_person_is_not_there(
    ldap_server: RunningServer, city: City, tls: Tls
) -> None:
    bind = (city.client_dn, city.client_password)
    assert _uids(ldap_server, tls, bind, f"(uid={city.teacher})") == []
    assert _uids(ldap_server, tls, bind, "(schulhofSchoolNumber=91007)") == []
    done = ldapsearch(
        tls, ldap_server.url, "-b", f"uid={city.teacher},{PEOPLE}", "-s", "base",
        bind=bind, check=False,
    )  # fmt: skip
    assert done.returncode == 32  # noSuchObject, as for a name that does not exist
    groups = ldapsearch(
        tls, ldap_server.url, "-b", BASE, "(objectClass=posixGroup)", "cn", bind=bind
    )
    names = sorted(e["cn"][0] for e in parse_ldif(groups.stdout).values())
    assert names == ["91000-5a", "91000-students"]


@pytest.mark.parametrize(
    "flt",
    [
        "(mail=*)",
        "(mail=max.mueller@schule.example)",
        "(mail=max*)",
        "(mail~=max.mueller@schule.example)",
        "(mail:caseIgnoreIA5Match:=max.mueller@schule.example)",
        "(|(mail=*)(mail=x))",
    ],
)
def test_a_filter_on_a_hidden_attribute_matches_nothing(
    ldap_server: RunningServer, city: City, tls: Tls, flt: str
) -> None:
    assert _uids(ldap_server, tls, (city.client_dn, city.client_password), flt) == []
    granted = _uids(ldap_server, tls, (city.mail_client_dn, city.mail_client_password), flt)
    assert granted == [city.student]  # the filter itself works for a reader who may see mail


def test_not_on_a_hidden_attribute_matches_as_for_an_absent_one(
    ldap_server: RunningServer, city: City, tls: Tls
) -> None:
    bind = (city.client_dn, city.client_password)
    everyone = [city.disabled, city.other_student, city.student]
    assert _uids(
        ldap_server, tls, bind, "(&(uid=*)(!(mail=max.mueller@schule.example)))"
    ) == sorted(everyone)
    assert _uids(ldap_server, tls, bind, "(&(uid=*)(!(mail=*)))") == sorted(everyone)


def test_a_person_sees_only_their_own_entry(
    ldap_server: RunningServer, city: City, tls: Tls
) -> None:
    bind = (f"uid={city.student},{PEOPLE}", city.password)
    assert _uids(ldap_server, tls, bind, "(uid=*)") == [city.student]
    assert _uids(ldap_server, tls, bind, "(objectClass=posixGroup)") == []


def test_a_service_does_not_learn_where_else_a_teacher_works(
    ldap_server: RunningServer, city: City, tls: Tls, svc: Services
) -> None:
    persons.add_context(svc, OP, city.teacher, Context("91000", Role.TEACHER))
    bind = (city.client_dn, city.client_password)
    me = f"uid={city.teacher},{PEOPLE}"
    deadline = time.monotonic() + 2
    while not _uids(ldap_server, tls, bind, f"(uid={city.teacher})"):
        assert time.monotonic() < deadline, "the new context was not served in time"
        time.sleep(0.05)
    done = ldapsearch(tls, ldap_server.url, "-b", me, "-s", "base", "*", bind=bind)
    seen = parse_ldif(done.stdout)[me]
    assert seen["schulhofschoolnumber"] == ["91000"]
    assert seen["schulhofrole"] == ["91000:teacher"]
    assert _uids(ldap_server, tls, bind, "(schulhofSchoolNumber=91007)") == []
    assert _uids(ldap_server, tls, bind, "(schulhofRole=91007:*)") == []
    everything = ldapsearch(
        tls, ldap_server.url, "-b", me, "-s", "base", "*", bind=(city.all_dn, city.all_password)
    )
    assert sorted(parse_ldif(everything.stdout)[me]["schulhofschoolnumber"]) == ["91000", "91007"]
