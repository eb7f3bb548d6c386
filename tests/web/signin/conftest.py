from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from schulhof.services.runtime import Services
from schulhof.web.app import create_app
from tests.web.signin.people import People, build


@pytest.fixture
def people(svc: Services) -> People:
    return build(svc)


@pytest.fixture
def client(svc: Services, people: People) -> Iterator[TestClient]:
    with TestClient(create_app(svc, worker=False), follow_redirects=False) as c:
        yield c
