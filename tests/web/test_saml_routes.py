"""The SAML routes' answers to malformed or stale input: an error page (400, German by
default, no SAML form, the strict headers), never a 500 and never a Response."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Iterator
from urllib.parse import quote

import httpx
import pytest
from fastapi.testclient import TestClient

from schulhof.services.runtime import Services
from schulhof.web.app import create_app


@pytest.fixture
def client(svc: Services) -> Iterator[TestClient]:
    with TestClient(create_app(svc, worker=False), follow_redirects=False) as c:
        yield c


def _deflated(xml: str) -> str:
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    raw = compressor.compress(xml.encode()) + compressor.flush()
    return quote(base64.b64encode(raw).decode(), safe="")


def _refused(response: httpx.Response, text: str) -> None:
    assert response.status_code == 400, response.text
    assert text in response.text
    assert "SAMLResponse" not in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'none'")
    assert response.headers["cache-control"] == "no-store"


def test_metadata_is_served_as_saml_metadata(client: TestClient) -> None:
    response = client.get("/saml/metadata")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/samlmetadata+xml"
    assert 'entityID="http://testserver/saml/metadata"' in response.text


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        ("", "SAMLRequest is missing"),
        ("?SAMLRequest=%%%", "cannot be decoded"),
        ("?SAMLRequest=" + quote(base64.b64encode(b"not deflated").decode()), "cannot be decoded"),
        ("?SAMLRequest=" + _deflated("<x/>"), "names no Issuer"),
        (
            "?SAMLRequest="
            + _deflated(
                '<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
                'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_1" Version="2.0" '
                'IssueInstant="2026-01-01T00:00:00Z"><saml:Issuer>https://nobody.example'
                "</saml:Issuer></samlp:AuthnRequest>"
            ),
            "not registered",
        ),
    ],
)
def test_bad_redirect_requests_get_an_error_page(
    client: TestClient, query: str, reason: str
) -> None:
    _refused(client.get(f"/saml/sso/redirect{query}"), reason)


def test_bad_post_requests_get_an_error_page(client: TestClient) -> None:
    _refused(client.post("/saml/sso/post", data={}), "SAMLRequest is missing")
    _refused(client.post("/saml/sso/post", data={"SAMLRequest": "bm9wZQ=="}), "cannot be decoded")


def test_a_missing_or_forged_resume_link_is_refused(client: TestClient) -> None:
    _refused(client.get("/saml/sso/continue"), "expired")
    _refused(client.get("/saml/sso/continue?p=abc.def"), "expired")


def test_logout_without_a_request_is_refused(client: TestClient) -> None:
    _refused(client.get("/saml/slo/redirect"), "SAMLRequest is missing")
    _refused(client.post("/saml/slo/post", data={"SAMLRequest": "%%"}), "cannot be decoded")


def test_the_error_page_speaks_english_when_asked(client: TestClient) -> None:
    response = client.get("/saml/sso/redirect", headers={"Accept-Language": "en"})
    assert response.status_code == 400
    assert '<html lang="en">' in response.text
    assert "Cannot sign in to the service" in response.text


def test_a_deflate_bomb_is_refused_before_pysaml2_inflates_it(client: TestClient) -> None:
    bomb = _deflated("<x>" + " " * (4 * 1024 * 1024) + "</x>")
    assert len(bomb) < 20_000
    _refused(client.get(f"/saml/sso/redirect?SAMLRequest={bomb}"), "too large")


def test_an_oversized_post_request_is_refused(client: TestClient) -> None:
    huge = base64.b64encode(b"<x>" + b" " * 100_000 + b"</x>").decode()
    _refused(client.post("/saml/sso/post", data={"SAMLRequest": huge}), "too large")
