"""web/sso.py without a server: which `next` values stay on the site, the public URL."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from starlette.requests import Request

from schulhof.services.runtime import Services
from schulhof.web import sso
from schulhof.web.app import create_app


@pytest.mark.parametrize(
    "value",
    [
        "/",
        "/account",
        "/oidc/authorize?client_id=a&redirect_uri=https%3A%2F%2Flms.example%2Fcb",
        "/saml/sso?SAMLRequest=abc%2B%2F%3D&RelayState=x",
        "/pfad/mit/ümlaut",
    ],
)
def test_local_paths_are_kept(value: str) -> None:
    assert sso.safe_next(value) == value


@pytest.mark.parametrize(
    "value",
    [
        None,
        "",
        "account",
        "//evil.example",
        "///evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "/\t/evil.example",
        "/\n/evil.example",
        " /account",
        "/account\r\nSet-Cookie: x=1",
        "https://evil.example/",
        "http:/evil.example",
        "javascript:alert(1)",
        "data:text/html,hi",
        "/" + "a" * 2001,
    ],
)
def test_everything_else_falls_back(value: str | None) -> None:
    assert sso.safe_next(value) == "/account"
    assert sso.safe_next(value, default="/x") == "/x"


def test_signin_redirect_quotes_next() -> None:
    request = Request({"type": "http", "method": "GET", "path": "/", "headers": []})
    answer = sso.signin_redirect(request, "/oidc/authorize?a=1&b=2")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Foidc%2Fauthorize%3Fa%3D1%26b%3D2"
    assert sso.signin_redirect(request, "//evil").headers["location"] == "/signin?next=%2Faccount"


def _engine_free_app(public_url: str | None) -> TestClient:
    # The public URL needs no database: an engine that never connects will do.
    return TestClient(create_app(Services(sa.create_engine("sqlite://")), worker=False,
                                 public_url=public_url))  # fmt: skip


def test_the_public_url_is_configured_or_taken_from_the_request() -> None:
    for configured, expected, secure in [
        (None, "http://testserver", False),
        ("https://konto.schulen.example/", "https://konto.schulen.example", True),
        ("http://127.0.0.1:8000", "http://127.0.0.1:8000", False),
    ]:
        app = _engine_free_app(configured).app
        scope = {"type": "http", "method": "GET", "path": "/", "headers": [
            (b"host", b"testserver")], "app": app, "scheme": "http", "server": ("testserver", 80),
            "query_string": b""}  # fmt: skip
        request = Request(scope)
        assert sso.public_url(request) == expected
        assert sso.is_secure(request) is secure
