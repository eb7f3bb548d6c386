"""An SP whose metadata says AuthnRequestsSigned="true": its requests must carry a valid
signature — over the query string (Redirect) or enveloped in the XML (POST)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from schulhof.access.actors import OPERATOR
from schulhof.protocols.saml.registration import register
from schulhof.services import keys
from tests.protocols.saml.browser import Browser
from tests.protocols.saml.conftest import Bench
from tests.protocols.saml.sp import ServiceProvider, key_and_certificate
from tests.protocols.saml.support import accepted, sign_in
from tests.web.signin.people import LINA_PASSWORD


@pytest.fixture
def careful(bench: Bench) -> ServiceProvider:
    cert = keys.signing_key(bench.svc, "saml").certificate_pem
    assert cert is not None
    sp = ServiceProvider(
        "zeugnisse.example", bench.base, cert, signing=key_and_certificate("zeugnisse")
    )
    assert 'AuthnRequestsSigned="true"' in sp.metadata()
    register(bench.svc, OPERATOR, sp.metadata(), source="zeugnisse.xml", attribute_names=["uid"])
    return sp


def test_a_signed_redirect_request_is_answered(
    bench: Bench, browser: Browser, careful: ServiceProvider
) -> None:
    form, rid = sign_in(browser, careful, bench.people.lina, LINA_PASSWORD)
    assert accepted(careful, form, rid).friendly == {"uid": [bench.people.lina]}


def test_a_signed_post_request_is_answered(
    bench: Bench, browser: Browser, careful: ServiceProvider
) -> None:
    form, rid = sign_in(browser, careful, bench.people.lina, LINA_PASSWORD, post=True)
    assert accepted(careful, form, rid).friendly == {"uid": [bench.people.lina]}


def test_an_unsigned_request_is_refused(
    bench: Bench, browser: Browser, careful: ServiceProvider
) -> None:
    url, _ = careful.login_url()
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    del query["Signature"], query["SigAlg"]
    page = browser.get(f"{parts.path}?{urlencode(query)}")
    assert page.status_code == 400
    assert "not acceptable" in page.text


def test_a_request_signed_for_another_relay_state_is_refused(
    bench: Bench, browser: Browser, careful: ServiceProvider
) -> None:
    url, _ = careful.login_url()
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    query["RelayState"] = "https://evil.example/"
    page = browser.get(f"{parts.path}?{urlencode(query)}")
    assert page.status_code == 400


def test_a_request_signed_by_another_key_is_refused(
    bench: Bench, browser: Browser, careful: ServiceProvider
) -> None:
    cert = keys.signing_key(bench.svc, "saml").certificate_pem
    assert cert is not None
    impostor = ServiceProvider(
        "zeugnisse.example", bench.base, cert, signing=key_and_certificate("impostor")
    )
    fields, _ = impostor.login_post()
    page = browser.post("/saml/sso/post", fields)
    assert page.status_code == 400
    url, _ = impostor.login_url()
    assert browser.get(url).status_code == 400
