"""People bind through the sign-in's check (services/signin.py): its throttle in the database,
its audit trail, and no bind with a temporary password. Service accounts keep the
listener's own throttle. python-ldap over StartTLS, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import ipaddress
import time
from pathlib import Path
from typing import Any

import ldap
import pytest

from schulhof.domain.errors import ConfigurationError
from schulhof.services import audit, passwords, persons, signin
from schulhof.services.runtime import Services
from schulhof.services.settings import load_settings
from tests.conftest import FixedClock
from tests.protocols.ldap.support import OP, PEOPLE, City, RunningServer, Tls

TEMPORARY = "Erster-Schultag-7"
CHOSEN = "Herbst-Laub-2026"


def _conn(server: RunningServer, tls: Tls) -> Any:
    conn = ldap.initialize(server.url)
    conn.set_option(ldap.OPT_PROTOCOL_VERSION, 3)
    conn.set_option(ldap.OPT_X_TLS_CACERTFILE, str(tls.cert))
    conn.set_option(ldap.OPT_X_TLS_REQUIRE_CERT, ldap.OPT_X_TLS_DEMAND)
    conn.set_option(ldap.OPT_X_TLS_NEWCTX, 0)
    conn.start_tls_s()
    return conn


def _refused(conn: Any, dn: str, password: str) -> str:
    """The diagnostic message of an invalidCredentials answer."""
    with pytest.raises(ldap.INVALID_CREDENTIALS) as caught:
        conn.simple_bind_s(dn, password)
    return str(caught.value.args[0].get("info", ""))


def _actions(svc: Services, action: str) -> list[dict[str, object]]:
    page = audit.list_audit(svc, OP, action=action, limit=50)
    return [dict(item.detail or {}) for item in page.items]


def test_wrong_passwords_throttle_the_account_then_waiting_lets_it_in(
    ldap_server: RunningServer, city: City, tls: Tls, svc: Services, clock: FixedClock
) -> None:
    conn = _conn(ldap_server, tls)
    me = f"uid={city.student},{PEOPLE}"
    # A primary-school child (91000 is a Grundschule): 3 free failures, then 4, 8 … s.
    for _ in range(3):
        assert _refused(conn, me, "wrong-password") == ""  # says nothing more
    message = _refused(conn, me, city.password)  # right, but it is throttled
    assert message == "too many failed sign-ins; try again in 4 s"
    assert _refused(conn, me, "wrong-password").startswith("too many failed sign-ins")
    clock.advance(seconds=5)  # the server's clock is the services' clock
    conn.simple_bind_s(me, city.password)
    assert conn.whoami_s() == f"dn:{me}"
    conn.simple_bind_s(me, city.password)  # a success cleared the account's count
    failed = _actions(svc, "signin.failed")
    assert len(failed) == 3
    assert all(d["channel"] == "ldap" and d["address"] == "127.0.0.1" for d in failed)
    assert len(_actions(svc, "signin.throttled")) == 2
    assert len(_actions(svc, "signin.success")) == 2


def test_the_throttle_is_the_web_sign_in_s(
    ldap_server: RunningServer, city: City, tls: Tls, svc: Services
) -> None:
    """Failures on the sign-in page count for LDAP binds too (one table, every worker)."""
    for _ in range(3):
        with pytest.raises(signin.SignInRefused):
            signin.verify_password(svc, city.student, "wrong", address="10.1.2.3", channel="web")
    conn = _conn(ldap_server, tls)
    message = _refused(conn, f"uid={city.student},{PEOPLE}", city.password)
    assert message.startswith("too many failed sign-ins")


def test_a_temporary_password_is_refused_until_it_is_changed(
    ldap_server: RunningServer, city: City, tls: Tls, svc: Services
) -> None:
    passwords.set_password(svc, OP, city.other_student, TEMPORARY, temporary=True)
    conn = _conn(ldap_server, tls)
    me = f"uid={city.other_student},{PEOPLE}"
    assert _refused(conn, me, TEMPORARY) == "password must be changed at the sign-in page"
    assert _refused(conn, me, "wrong-password") == ""  # a wrong one learns nothing
    refused = _actions(svc, "ldap.bind_refused")
    assert refused == [{"reason": "must_change", "address": "127.0.0.1"}]

    person_id = persons.get_person(svc, OP, city.other_student).person.id
    signin.change_password(svc, person_id, TEMPORARY, CHOSEN, address="10.1.2.3")
    conn.simple_bind_s(me, CHOSEN)
    assert conn.whoami_s() == f"dn:{me}"
    assert _refused(conn, me, TEMPORARY) == ""


def test_disabled_and_unknown_people_get_the_answer_of_a_wrong_password(
    ldap_server: RunningServer, city: City, tls: Tls
) -> None:
    conn = _conn(ldap_server, tls)
    assert _refused(conn, f"uid={city.disabled},{PEOPLE}", city.password) == ""
    assert _refused(conn, f"uid=nobody,{PEOPLE}", city.password) == ""
    assert _refused(conn, f"uid={city.teacher},{PEOPLE}", "no-password-set") == ""


def test_failed_service_binds_slow_down_the_next_ones(
    ldap_server: RunningServer, city: City, tls: Tls
) -> None:
    conn = _conn(ldap_server, tls)
    for _ in range(5):
        assert _refused(conn, city.client_dn, "wrong-password") == ""
    start = time.monotonic()
    conn.simple_bind_s(city.client_dn, city.client_password)  # right, but it waits its turn
    assert time.monotonic() - start >= 1.9
    start = time.monotonic()
    conn.simple_bind_s(city.client_dn, city.client_password)  # a success cleared the count
    assert time.monotonic() - start < 1.5


@pytest.mark.parametrize("relay", [False, True])
def test_a_relay_s_address_is_not_counted_for_people(
    ldap_server: RunningServer, city: City, tls: Tls, svc: Services, relay: bool
) -> None:
    """A RADIUS server binds for a whole WLAN from one address: 50 wrong passwords there
    (old phones retrying) would lock everyone out, unless it is a listed relay."""
    if relay:
        nets = (ipaddress.ip_network("127.0.0.0/8"),)
        svc.settings = dataclasses.replace(svc.settings, ldap_relays=nets)
    conn = _conn(ldap_server, tls)
    for n in range(50):  # unknown names count against the address only
        assert _refused(conn, f"uid=nobody{n},{PEOPLE}", "wrong-password") == ""
    me = f"uid={city.student},{PEOPLE}"
    if relay:
        conn.simple_bind_s(me, city.password)
        assert conn.whoami_s() == f"dn:{me}"
    else:
        assert _refused(conn, me, city.password).startswith("too many failed sign-ins")


def test_relay_addresses_are_read_from_the_settings_file(tmp_path: Path) -> None:
    config = tmp_path / "schulhof.toml"
    config.write_text('[ldap]\nrelay_addresses = ["10.0.0.5", "192.168.8.0/24", "fd00::7"]\n')
    settings = load_settings(config)
    assert settings.is_ldap_relay("10.0.0.5")
    assert settings.is_ldap_relay("::ffff:192.168.8.20")  # as a dual-stack socket says it
    assert settings.is_ldap_relay("fd00::7")
    assert not settings.is_ldap_relay("10.0.0.6")
    assert not settings.is_ldap_relay("local")
    config.write_text('[ldap]\nrelay_addresses = "10.0.0.5"\n')
    with pytest.raises(ConfigurationError, match="relay_addresses"):
        load_settings(config)
