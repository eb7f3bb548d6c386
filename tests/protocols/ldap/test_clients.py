"""Real clients against Schulhof's LDAP server: ldapsearch (StartTLS, LDAPS, paged),
python-ldap and ldap3."""

from __future__ import annotations

import ssl

import ldap
import ldap3
import pytest
from ldap3.core.exceptions import LDAPInvalidCredentialsResult

from schulhof.services.runtime import Services
from tests.protocols.ldap.support import (
    BASE,
    PEOPLE,
    City,
    RunningServer,
    Tls,
    ldapsearch,
    parse_ldif,
)


def test_ldapsearch_with_starttls_sees_the_service_s_school(
    ldap_server: RunningServer, city: City, tls: Tls
) -> None:
    done = ldapsearch(
        tls, ldap_server.url, "-ZZ", "-b", BASE, "(objectClass=inetOrgPerson)",
        bind=(city.client_dn, city.client_password),
    )  # fmt: skip
    found = parse_ldif(done.stdout)
    uids = sorted(e["uid"][0] for e in found.values())
    assert uids == sorted([city.student, city.other_student, city.disabled])
    max_ = found[f"uid={city.student},{PEOPLE}"]
    assert max_["cn"] == ["Max Müller"]
    assert "mail" not in max_  # not granted to this service
    assert max_["memberof"] == [
        f"cn=91000-5a,ou=groups,{BASE}",
        f"cn=91000-students,ou=groups,{BASE}",
    ]
    assert found[f"uid={city.disabled},{PEOPLE}"]["schulhoflifecyclestate"] == ["disabled"]


def test_ldapsearch_over_ldaps_paged(ldap_server: RunningServer, city: City, tls: Tls) -> None:
    done = ldapsearch(
        tls, ldap_server.ldaps_url, "-E", "pr=2/noprompt", "-b", BASE, "(objectClass=*)", "1.1",
        bind=(city.all_dn, city.all_password),
    )  # fmt: skip
    dns = [line[4:] for line in done.stdout.splitlines() if line.startswith("dn: ")]
    # base, 3 units, 4 people, the class and the role groups of both schools
    assert len(dns) == len(set(dns)) == 4 + 4 + 1 + 2
    assert f"cn=91007-teachers,ou=groups,{BASE}" in dns
    assert f"cn=students,ou=groups,{BASE}" not in dns  # authority-wide: city-wide readers only


def test_ldapsearch_without_starttls_certificate_check_fails_for_a_wrong_name(
    ldap_server: RunningServer, city: City, tls: Tls
) -> None:
    # The certificate names localhost and the host name, not 127.0.0.2.
    url = f"ldap://127.0.0.2:{ldap_server.port}"
    done = ldapsearch(tls, url, "-ZZ", "-b", BASE, check=False)
    assert done.returncode != 0


def _python_ldap(server: RunningServer, tls: Tls) -> ldap.ldapobject.LDAPObject:
    conn = ldap.initialize(server.url)
    conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
    conn.set_option(ldap.OPT_X_TLS_CACERTFILE, str(tls.cert))
    conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
    conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
    conn.start_tls_s()
    return conn


def test_python_ldap_person_binds_and_reads_only_themselves(
    ldap_server: RunningServer, city: City, tls: Tls
) -> None:
    conn = _python_ldap(ldap_server, tls)
    me = f"uid={city.student},{PEOPLE}"
    conn.simple_bind_s(me, city.password)
    assert conn.whoami_s() == f"dn:{me}"
    found = conn.search_s(BASE, ldap.SCOPE_SUBTREE, "(objectClass=posixAccount)", ["*", "+"])
    assert [dn for dn, _ in found] == [me]
    attrs = found[0][1]
    assert attrs["mail"] == [b"max.mueller@schule.example"]  # their own: every attribute
    assert attrs["uidNumber"][0].isdigit()
    assert attrs["entryUUID"]
    with pytest.raises(ldap.NO_SUCH_OBJECT):  # the same answer as for nobody
        conn.search_s(f"uid={city.other_student},{PEOPLE}", ldap.SCOPE_BASE)


def test_python_ldap_refusals(ldap_server: RunningServer, city: City, tls: Tls) -> None:
    conn = _python_ldap(ldap_server, tls)
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        conn.simple_bind_s(f"uid={city.student},{PEOPLE}", "wrong-password")
    with pytest.raises(ldap.INVALID_CREDENTIALS):  # disabled: the same answer
        conn.simple_bind_s(f"uid={city.disabled},{PEOPLE}", city.password)
    with pytest.raises(ldap.INVALID_CREDENTIALS):
        conn.simple_bind_s(f"uid=nobody,{PEOPLE}", city.password)
    with pytest.raises(ldap.UNWILLING_TO_PERFORM):  # RFC 4513 §5.1.2
        conn.simple_bind_s(f"uid={city.student},{PEOPLE}", "")
    conn.simple_bind_s("", "")
    with pytest.raises(ldap.INSUFFICIENT_ACCESS):  # anonymous search is off
        conn.search_s(BASE, ldap.SCOPE_SUBTREE, "(uid=*)")
    root = conn.search_s("", ldap.SCOPE_BASE, "(objectClass=*)", ["+"])
    assert root[0][1]["namingContexts"] == [BASE.encode()]
    assert b"1.2.840.113556.1.4.319" in root[0][1]["supportedControl"]
    schema = conn.search_s("cn=Subschema", ldap.SCOPE_BASE, "(objectClass=*)", ["+"])
    types = b"\n".join(schema[0][1]["attributeTypes"])
    assert b"NAME 'schulhofSchoolNumber'" in types
    assert b"NAME 'uidNumber'" in types
    conn.simple_bind_s(city.client_dn, city.client_password)
    with pytest.raises(ldap.UNWILLING_TO_PERFORM):
        conn.delete_s(f"uid={city.student},{PEOPLE}")
    with pytest.raises(ldap.UNWILLING_TO_PERFORM):
        conn.modify_s(f"uid={city.student},{PEOPLE}", [(ldap.MOD_REPLACE, "sn", [b"X"])])
    with pytest.raises(ldap.UNWILLING_TO_PERFORM):
        conn.add_s(f"uid=new,{PEOPLE}", [("objectClass", [b"person"])])
    assert conn.compare_s(f"uid={city.student},{PEOPLE}", "sn", b"m\xc3\xbcller")  # caseIgnore
    conn.unbind_s()


def test_ldap3_with_schema_paging_and_filters(
    ldap_server: RunningServer, city: City, tls: Tls
) -> None:
    server = ldap3.Server(
        "localhost", port=ldap_server.port, get_info=ldap3.ALL,
        tls=ldap3.Tls(ca_certs_file=str(tls.cert), validate=ssl.CERT_REQUIRED),
    )  # fmt: skip
    conn = ldap3.Connection(server, city.client_dn, city.client_password, raise_exceptions=True)
    conn.open()
    conn.start_tls()
    conn.bind()
    assert conn.extend.standard.who_am_i() == f"dn:{city.client_dn}"
    assert server.schema is not None
    assert "schulhofRole" in server.schema.attribute_types
    entries = conn.extend.standard.paged_search(
        BASE, "(objectClass=*)", attributes=["uid"], paged_size=1, generator=False
    )
    assert len([e for e in entries if e["type"] == "searchResEntry"]) == 4 + 3 + 1 + 1
    conn.search(
        BASE,
        f"(&(objectClass=posixAccount)(uidNumber>=10000)(|(sn=MÜLLER)(givenName=le*))"
        f"(!(uid={city.disabled})))",
        attributes=["uid", "uidNumber"],
    )
    assert sorted(str(e.uid) for e in conn.entries) == sorted([city.student, city.other_student])
    conn.search(BASE, "(memberUid=*)", attributes=["cn", "memberUid"], size_limit=1)
    assert len(conn.entries) == 1  # sizeLimitExceeded, one entry sent
    conn.unbind()
    wrong = ldap3.Connection(server, city.client_dn, "nope", raise_exceptions=True)
    with pytest.raises(LDAPInvalidCredentialsResult):
        wrong.bind()


def test_the_service_sees_e_mail_only_when_granted(
    ldap_server: RunningServer, city: City, tls: Tls, svc: Services
) -> None:
    me = f"uid={city.student},{PEOPLE}"
    plain = ldapsearch(
        tls, ldap_server.url, "-b", me, "-s", "base", "(mail=*)", "mail",
        bind=(city.client_dn, city.client_password),
    )  # fmt: skip
    assert parse_ldif(plain.stdout) == {}
    granted = ldapsearch(
        tls, ldap_server.url, "-b", me, "-s", "base", "(mail=*)", "mail",
        bind=(city.mail_client_dn, city.mail_client_password),
    )  # fmt: skip
    assert parse_ldif(granted.stdout)[me]["mail"] == ["max.mueller@schule.example"]
