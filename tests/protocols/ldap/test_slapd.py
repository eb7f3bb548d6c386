"""The same data in slapd and in Schulhof, the same filters, the same results.

`schulhof export ldif` writes the tree; a throwaway slapd loads it with slapadd (schema
checked, with our schema file); both servers answer every filter below, and the sets of
DNs must be equal — and so must every entry's attributes. Schulhof is asked as a service
that may read every school and attribute; the authority-wide role groups, which only the
operator sees, are left out on slapd's side.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from schulhof.domain.model import Context, PersonDraft, Role
from schulhof.services import persons
from schulhof.services.runtime import Services
from tests.cli.runner import run
from tests.protocols.ldap.slapd import ROOT_DN, ROOT_PASSWORD, running_slapd
from tests.protocols.ldap.support import (
    BASE,
    OP,
    City,
    Entries,
    RunningServer,
    Tls,
    ldapsearch,
    parse_ldif,
)

FILTERS = [
    "(objectClass=*)",
    "(objectClass=inetOrgPerson)",
    "(objectclass=POSIXGROUP)",
    "(objectClass=2.16.840.1.113730.3.2.2)",
    "(uid=max.mueller)",
    "(uid=MAX.MUELLER)",
    "(uid=max*)",
    "(uid=*er)",
    "(uid=*a*e*)",
    "(uid=m*x*r)",
    "(cn=Max Müller)",
    "(cn=max   müller)",
    "(cn=*ü*)",
    "(sn=müller)",
    "(sn=MÜLLER)",
    "(sn=Özdemir)",
    "(givenName=Anna-Lena)",
    "(givenName=anna*)",
    "(displayName=*Schmidt)",
    "(mail=*)",
    "(mail=MAX.MUELLER@SCHULE.EXAMPLE)",
    "(mail=*@schule.example)",
    "(uidNumber=*)",
    "(uidNumber>=10003)",
    "(uidNumber<=10002)",
    "(gidNumber>=1)",
    "(&(uidNumber>=10002)(uidNumber<=10004))",
    "(homeDirectory=/home/max.mueller)",
    "(homeDirectory=/HOME/max.mueller)",
    "(memberUid=max.mueller)",
    "(memberUid=MAX.MUELLER)",
    "(memberUid=*mueller)",
    "(member=uid=max.mueller,ou=people,dc=schulhof,dc=local)",
    "(member=UID=Max.Mueller, OU=People, DC=Schulhof, DC=Local)",
    "(memberOf=cn=91000-5a,ou=groups,dc=schulhof,dc=local)",
    "(eduPersonAffiliation=faculty)",
    "(eduPersonAffiliation=STUDENT)",
    "(schulhofSchoolNumber=91007)",
    "(schulhofSchoolNumber>=91001)",
    "(schulhofSchoolNumber<=91000)",
    "(schulhofRole=91000:student)",
    "(schulhofRole=*:teacher)",
    "(schulhofLifecycleState=disabled)",
    "(schulhofGroupKind=class)",
    "(!(schulhofLifecycleState=active))",
    "(!(uid=*))",
    "(&(objectClass=posixAccount)(!(mail=*)))",
    "(|(sn=müller)(sn=schmidt)(cn=91000-5a))",
    "(&(|(givenName=max)(givenName=lena))(schulhofSchoolNumber=91000))",
    "(!(|(uid=max*)(objectClass=groupOfNames)))",
    "(cn>=m)",  # no ORDERING rule for cn: Undefined on both
    "(!(cn>=m))",  # and not Undefined is Undefined
    "(sn~=muller)",  # approx is locally defined (RFC 4511 §4.5.1.7.6): slapd's is phonetic
    # (metaphone), ours folds case and accents; they agree here, not on "(sn~=MUELLER)".
    "(noSuchAttribute=x)",
    "(!(noSuchAttribute=x))",
    "(noSuchAttribute=*)",
    "(!(noSuchAttribute=*))",
    "(uidNumber=notanumber)",
    "(sn:caseExactMatch:=Müller)",
    "(sn:caseExactMatch:=müller)",
    "(sn:2.5.13.2:=MÜLLER)",
    "(uid:dn:caseIgnoreMatch:=max.mueller)",
    "(ou:dn:=people)",
]

AUTHORITY_GROUPS = {
    f"cn={name},ou=groups,{BASE}".lower()
    for name in ("students", "teachers", "staff", "admins", "guardians")
}


@pytest.fixture
def both(
    svc: Services, city: City, ldap_server: RunningServer, tls: Tls, db_url: str, tmp_path: Path
) -> Iterator[str]:
    ldif = tmp_path / "city.ldif"
    done = run(db_url, "export", "ldif", str(ldif))
    assert done.returncode == 0, done.stderr
    with running_slapd(tmp_path / "slapd", ldif) as url:
        yield url


@pytest.fixture
def city(svc: Services) -> City:
    from tests.protocols.ldap.support import make_city

    made = make_city(svc)
    for given, family, school, role in [
        ("Anna-Lena", "Schmidt", "91000", Role.STUDENT),
        ("Jürgen", "van der Berg", "91007", Role.TEACHER),
        ("Zoë", "Ødegård", "91007", Role.STUDENT),
    ]:
        persons.add_person(svc, OP, PersonDraft(given, family, contexts=(Context(school, role),)))
    return made


def _search(tls: Tls, url: str, bind: tuple[str, str], flt: str, *attrs: str) -> Entries:
    done = ldapsearch(tls, url, "-b", BASE, flt, *attrs, bind=bind)
    return {dn.lower(): e for dn, e in parse_ldif(done.stdout).items()}


def test_filters_give_the_same_entries_as_slapd(
    both: str, ldap_server: RunningServer, city: City, tls: Tls
) -> None:
    ours_bind = (city.all_dn, city.all_password)
    theirs_bind = (ROOT_DN, ROOT_PASSWORD)
    differ = []
    for flt in FILTERS:
        ours = set(_search(tls, ldap_server.url, ours_bind, flt, "1.1"))
        theirs = set(_search(tls, both, theirs_bind, flt, "1.1")) - AUTHORITY_GROUPS
        if ours != theirs:
            differ.append((flt, sorted(ours - theirs), sorted(theirs - ours)))
    assert differ == []


def test_entries_are_the_same_as_in_slapd(
    both: str, ldap_server: RunningServer, city: City, tls: Tls
) -> None:
    ours = _search(tls, ldap_server.url, (city.all_dn, city.all_password), "(objectClass=*)")
    theirs = _search(tls, both, (ROOT_DN, ROOT_PASSWORD), "(objectClass=*)")
    for dn in AUTHORITY_GROUPS:
        theirs.pop(dn, None)
    for attrs in theirs.values():
        if "memberof" in attrs:
            attrs["memberof"] = [g for g in attrs["memberof"] if g.lower() not in AUTHORITY_GROUPS]
    assert set(ours) == set(theirs)
    for dn, attrs in ours.items():
        mine = {k: sorted(v) for k, v in attrs.items()}
        slapd = {k: sorted(v) for k, v in theirs[dn].items()}
        assert mine == slapd, dn
