"""The NT hash for FreeRADIUS MSCHAPv2: off by default; with `[ldap] nt_hash = true` every
password write stores it, and only an account granted sambaNTPassword by name reads it —
the real test being FreeRADIUS's MS-CHAP through rlm_ldap. Off again, the hashes are gone."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from schulhof.access.rules import SERVICE_DEFAULT_ATTRIBUTES
from schulhof.cli.app import State
from schulhof.domain.errors import ConfigurationError
from schulhof.services import audit, ldap_accounts, nt_hashes, passwords, persons, signin
from schulhof.services.runtime import Services
from schulhof.services.settings import load_settings
from schulhof.store import migrations
from schulhof.store.tables import credentials
from tests.protocols.ldap.freeradius import radtest, running_freeradius
from tests.protocols.ldap.support import (
    BASE,
    OP,
    PEOPLE,
    City,
    RunningServer,
    Tls,
    ldapsearch,
    make_city,
    parse_ldif,
    serve,
)

RADIUS_GRANT = (*sorted(SERVICE_DEFAULT_ATTRIBUTES), "sambantpassword")  # any case


@dataclasses.dataclass
class NtCity:
    city: City
    radius_dn: str
    radius_password: str


@pytest.fixture
def nt_svc(svc: Services) -> Services:
    svc.settings = dataclasses.replace(svc.settings, ldap_nt_hash=True)
    return svc


@pytest.fixture
def nt_city(nt_svc: Services) -> NtCity:
    city = make_city(nt_svc)  # passwords set while the setting is on: hashes stored
    radius = ldap_accounts.add_client(
        nt_svc, OP, name="radius", schools=("91000",), attributes=RADIUS_GRANT
    )
    return NtCity(city, f"cn=radius,ou=services,{BASE}", radius.password)


@pytest.fixture
def nt_server(nt_svc: Services, nt_city: NtCity, tls: Tls) -> Iterator[RunningServer]:
    yield from serve(nt_svc, tls)


def _stored(svc: Services) -> dict[str, str | None]:
    with svc.engine.connect() as conn:
        rows = conn.execute(sa.select(credentials.c.person_id, credentials.c.nt_hash))
        return {r.person_id: r.nt_hash for r in rows}


def test_the_nt_hash_is_md4_of_utf16le_in_upper_case_hex() -> None:
    assert nt_hashes.nt_hash("password") == "8846F7EAEE8FB117AD06BDD830B7586C"  # [MS-NLMP]
    assert nt_hashes.nt_hash("Grüße") == nt_hashes.nt_hash("Grüße").upper()
    assert len(nt_hashes.nt_hash("Grüße")) == 32


def test_the_setting_is_a_toml_boolean(tmp_path: Path) -> None:
    config = tmp_path / "schulhof.toml"
    assert load_settings(config).ldap_nt_hash is False  # no file: off
    config.write_text("[ldap]\nnt_hash = true\n")
    assert load_settings(config).ldap_nt_hash is True
    config.write_text('[ldap]\nnt_hash = "false"\n')  # a string would be truthy
    with pytest.raises(ConfigurationError, match=r"\[ldap\] nt_hash"):
        load_settings(config)


def test_off_by_default_nothing_is_stored(svc: Services) -> None:
    assert svc.settings.ldap_nt_hash is False
    make_city(svc)
    assert set(_stored(svc).values()) == {None}


def test_stored_for_chosen_passwords_not_for_temporary_ones(
    nt_svc: Services, nt_city: NtCity
) -> None:
    city = nt_city.city
    student = persons.get_person(nt_svc, OP, city.student).person.id
    other = persons.get_person(nt_svc, OP, city.other_student).person.id
    assert _stored(nt_svc)[student] == nt_hashes.nt_hash(city.password)
    passwords.reset_password(nt_svc, OP, city.other_student)  # printed on a letter
    assert _stored(nt_svc)[other] is None
    temporary = passwords.set_password(nt_svc, OP, city.other_student, "Erster-Tag-77",
                                       temporary=True)  # fmt: skip
    assert _stored(nt_svc)[temporary.id] is None
    signin.change_password(nt_svc, other, "Erster-Tag-77", "Herbst-Laub-2026", address="x")
    assert _stored(nt_svc)[other] == nt_hashes.nt_hash("Herbst-Laub-2026")


def test_a_rehash_keeps_the_nt_hash(nt_svc: Services, nt_city: NtCity) -> None:
    city = nt_city.city
    student = persons.get_person(nt_svc, OP, city.student).person.id
    cheaper = dataclasses.replace(nt_svc.settings.argon2, time_cost=1)
    nt_svc.settings = dataclasses.replace(nt_svc.settings, argon2=cheaper)
    signin.verify_password(nt_svc, city.student, city.password, address="x", channel="web")
    assert _stored(nt_svc)[student] == nt_hashes.nt_hash(city.password)


def test_only_an_account_granted_it_by_name_reads_it(
    nt_server: RunningServer, nt_city: NtCity, tls: Tls
) -> None:
    city = nt_city.city
    me = f"uid={city.student},{PEOPLE}"
    want = nt_hashes.nt_hash(city.password)

    def read(bind: tuple[str, str], *attrs: str) -> dict[str, list[str]]:
        done = ldapsearch(tls, nt_server.url, "-ZZ", "-b", me, "-s", "base", *attrs, bind=bind)
        return parse_ldif(done.stdout).get(me, {})

    radius = (nt_city.radius_dn, nt_city.radius_password)
    assert read(radius, "sambaNTPassword")["sambantpassword"] == [want]
    schema = ldapsearch(tls, nt_server.url, "-ZZ", "-b", "cn=Subschema", "-s", "base",
                        "attributeTypes", "objectClasses", bind=radius).stdout  # fmt: skip
    assert "NAME 'sambaNTPassword'" in schema
    assert "1.3.6.1.4.1.7165.2.1.25" in schema  # Samba's OID, as FreeRADIUS setups expect
    assert "sambantpassword" not in read(radius)  # not for '*': by name only
    assert "sambantpassword" not in read(radius, "*", "+")
    # Others: every person attribute granted but this one; the person themselves.
    assert "sambantpassword" not in read((city.all_dn, city.all_password), "sambaNTPassword")
    assert "sambantpassword" not in read((me, city.password), "sambaNTPassword")
    # A filter cannot test it (no oracle): the entry is in the index without it.
    done = ldapsearch(tls, nt_server.url, "-ZZ", "-b", me, f"(sambaNTPassword={want})",
                      bind=radius)  # fmt: skip
    assert parse_ldif(done.stdout) == {}
    # A disabled person's hash is not served.
    gone = f"uid={city.disabled},{PEOPLE}"
    done = ldapsearch(tls, nt_server.url, "-ZZ", "-b", gone, "-s", "base", "sambaNTPassword",
                      bind=radius)  # fmt: skip
    assert "sambantpassword" not in parse_ldif(done.stdout).get(gone, {"x": []})


def test_freeradius_mschap_through_rlm_ldap(
    nt_server: RunningServer, nt_city: NtCity, tls: Tls, tmp_path: Path
) -> None:
    city = nt_city.city
    with running_freeradius(
        tmp_path / "radius", ldap_port=nt_server.port, identity=nt_city.radius_dn,
        password=nt_city.radius_password, ca=tls.cert,
    ) as port:  # fmt: skip
        assert "Received Access-Accept" in radtest(
            city.student, city.password, port, method="mschap"
        )
        assert "Received Access-Reject" in radtest(
            city.student, "wrong-password", port, method="mschap"
        )
        assert "Received Access-Reject" in radtest(
            city.disabled, city.password, port, method="mschap"
        )
        assert "Received Access-Accept" in radtest(
            city.student, city.password, port
        )  # PAP still works


def test_freeradius_mschap_is_refused_without_the_grant(
    nt_server: RunningServer, nt_city: NtCity, tls: Tls, tmp_path: Path
) -> None:
    city = nt_city.city
    with running_freeradius(
        tmp_path / "radius", ldap_port=nt_server.port, identity=city.client_dn,
        password=city.client_password, ca=tls.cert,
    ) as port:  # fmt: skip
        assert "Received Access-Reject" in radtest(
            city.student, city.password, port, method="mschap"
        )


def test_switched_off_the_hashes_are_dropped_at_the_next_start(
    nt_svc: Services, nt_city: NtCity, tmp_path: Path
) -> None:
    assert any(_stored(nt_svc).values())
    off = dataclasses.replace(nt_svc.settings, ldap_nt_hash=False)
    nt_svc.settings = off
    assert nt_hashes.for_people(nt_svc, list(_stored(nt_svc))) == {}  # not served meanwhile
    # What every `schulhof` command does first (`db upgrade`, `serve`, ...):
    config = tmp_path / "schulhof.toml"
    config.write_text("[ldap]\nnt_hash = false\n")
    state = State(str(nt_svc.engine.url.render_as_string(hide_password=False)), config)
    started = state.services()
    assert set(_stored(started).values()) == {None}
    dropped = audit.list_audit(started, OP, action="ldap.nt_hashes_dropped").items
    assert [d.detail for d in dropped] == [{"count": 2}]  # the student and the disabled one
    started.engine.dispose()
    assert nt_hashes.drop_if_disabled(nt_svc) == 0  # nothing left, nothing audited again


def test_migration_0005_goes_down_and_up(nt_svc: Services, nt_city: NtCity) -> None:
    cfg = migrations.alembic_config(nt_svc.engine)
    command.downgrade(cfg, "0004")
    try:
        assert "nt_hash" not in {
            c["name"] for c in sa.inspect(nt_svc.engine).get_columns("credentials")
        }
        assert len(_stored_without_column(nt_svc)) == 2  # the passwords themselves survive
    finally:
        command.upgrade(cfg, "head")
    assert set(_stored(nt_svc).values()) == {None}  # the hashes went with the column


def _stored_without_column(svc: Services) -> list[str]:
    with svc.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT person_id FROM credentials")]


def test_switched_on_later_a_sign_in_adds_the_missing_hash(svc: Services) -> None:
    city = make_city(svc)  # passwords set while the setting is off
    student = persons.get_person(svc, OP, city.student).person.id
    passwords.set_password(svc, OP, city.other_student, "Erster-Tag-77", temporary=True)
    assert set(_stored(svc).values()) == {None}
    svc.settings = dataclasses.replace(svc.settings, ldap_nt_hash=True)
    signin.verify_password(svc, city.student, city.password, address="x", channel="web")
    signin.verify_password(svc, city.other_student, "Erster-Tag-77", address="x", channel="web")
    stored = _stored(svc)
    assert stored[student] == nt_hashes.nt_hash(city.password)
    other = persons.get_person(svc, OP, city.other_student).person.id
    assert stored[other] is None  # a temporary password gets none
    with pytest.raises(signin.SignInRefused):
        signin.verify_password(svc, city.student, "wrong-password", address="x", channel="web")
    assert _stored(svc)[student] == nt_hashes.nt_hash(city.password)
