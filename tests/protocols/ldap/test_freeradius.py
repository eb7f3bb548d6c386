"""FreeRADIUS authenticates a PAP user through rlm_ldap against Schulhof (StartTLS)."""

from __future__ import annotations

from pathlib import Path

from tests.protocols.ldap.freeradius import radtest, running_freeradius
from tests.protocols.ldap.support import City, RunningServer, Tls


def test_freeradius_pap_through_rlm_ldap(
    ldap_server: RunningServer, city: City, tls: Tls, tmp_path: Path
) -> None:
    with running_freeradius(
        tmp_path / "radius", ldap_port=ldap_server.port, identity=city.client_dn,
        password=city.client_password, ca=tls.cert,
    ) as port:  # fmt: skip
        assert "Received Access-Accept" in radtest(city.student, city.password, port)
        assert "Received Access-Reject" in radtest(city.student, "wrong-password", port)
        assert "Received Access-Reject" in radtest(city.disabled, city.password, port)
        assert "Received Access-Reject" in radtest(
            city.teacher, city.password, port
        )  # not its school
