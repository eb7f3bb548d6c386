"""Fixtures for the LDAP tests: a certificate, a small city, a running server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from schulhof.cli.certs import self_signed
from schulhof.services.runtime import Services
from tests.protocols.ldap.support import City, RunningServer, Tls, make_city, require, serve


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Tls:
    require("openssl", "openssl")
    cert, key = self_signed(Path(tmp_path_factory.mktemp("tls")))
    return Tls(cert, key)


@pytest.fixture
def city(svc: Services) -> City:
    return make_city(svc)


@pytest.fixture
def ldap_server(svc: Services, city: City, tls: Tls) -> Iterator[RunningServer]:
    yield from serve(svc, tls)
