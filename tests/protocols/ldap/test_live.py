"""A change through the services is served over LDAP within a second (the change log is
followed; nothing is reloaded)."""

from __future__ import annotations

import time
from collections.abc import Callable

from schulhof.domain.model import Context, MemberRole, PersonDraft, Role
from schulhof.services import groups, persons
from schulhof.services.persons import PersonChanges
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


def _wait_for(check: Callable[[], bool], timeout: float = 1.0) -> float:
    start = time.monotonic()
    while True:
        if check():
            return time.monotonic() - start
        if time.monotonic() - start > timeout:
            raise AssertionError("not visible over LDAP within a second")
        time.sleep(0.05)


def test_changes_are_served_within_a_second(
    ldap_server: RunningServer, city: City, tls: Tls, svc: Services
) -> None:
    bind = (city.client_dn, city.client_password)

    def entries(flt: str) -> dict[str, dict[str, list[str]]]:
        return parse_ldif(ldapsearch(tls, ldap_server.url, "-b", BASE, flt, "*", bind=bind).stdout)

    new = persons.add_person(
        svc, OP, PersonDraft("Jana", "Neu", contexts=(Context("91000", Role.STUDENT),))
    )
    _wait_for(lambda: f"uid={new.username},{PEOPLE}" in entries(f"(uid={new.username})"))
    before = entries(f"(uid={new.username})")[f"uid={new.username},{PEOPLE}"]

    persons.update_person(svc, OP, new.username, PersonChanges(username="jana.umbenannt"))
    _wait_for(lambda: bool(entries("(uid=jana.umbenannt)")))
    after = entries("(uid=jana.umbenannt)")[f"uid=jana.umbenannt,{PEOPLE}"]
    assert after["uidnumber"] == before["uidnumber"]  # stable across a rename
    students = entries("(cn=91000-students)")[f"cn=91000-students,ou=groups,{BASE}"]
    assert "jana.umbenannt" in students["memberuid"]
    assert new.username not in students["memberuid"]

    klass = groups.get_group(svc, OP, city.class_id).group
    groups.add_member(
        svc,
        OP,
        klass.id,
        new.id,
        MemberRole.STUDENT,
    )
    _wait_for(
        lambda: (
            "jana.umbenannt"
            in entries("(cn=91000-5a)")[f"cn=91000-5a,ou=groups,{BASE}"].get("memberuid", [])
        )
    )

    persons.disable_person(svc, OP, "jana.umbenannt")
    _wait_for(
        lambda: (
            entries("(uid=jana.umbenannt)")[f"uid=jana.umbenannt,{PEOPLE}"][
                "schulhoflifecyclestate"
            ]
            == ["disabled"]
        )
    )

    persons.delete_person(svc, OP, "jana.umbenannt")
    _wait_for(lambda: entries("(uid=jana.umbenannt)") == {})
    assert "jana.umbenannt" not in entries("(cn=91000-5a)")[f"cn=91000-5a,ou=groups,{BASE}"].get(
        "memberuid", []
    )

    again = persons.add_person(
        svc, OP, PersonDraft("Jana", "Neu", contexts=(Context("91000", Role.STUDENT),))
    )
    _wait_for(lambda: bool(entries(f"(uid={again.username})")))
    number = entries(f"(uid={again.username})")[f"uid={again.username},{PEOPLE}"]["uidnumber"]
    assert number != before["uidnumber"]  # never given twice
