"""ForceAuthn: a sign-in from before the request does not count; the person types the
password again (same checks, throttling and audit as the sign-in page)."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx

from tests.protocols.saml.browser import Browser, forms
from tests.protocols.saml.conftest import Bench
from tests.protocols.saml.support import NS, accepted, response_xml, sign_in
from tests.web.signin.people import LINA_PASSWORD, csrf_token


def _confirm(browser: Browser, page: httpx.Response, password: str) -> httpx.Response:
    fields = next(f for _, f in forms(page) if "p" in f)
    fields.update(password=password, csrf=csrf_token(page))
    return browser.post("/saml/sso/reauth", fields)


def test_force_authn_asks_a_signed_in_person_for_the_password_again(
    bench: Bench, browser: Browser
) -> None:
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    accepted(bench.platform, form, rid)
    bench.clock.advance(minutes=20)
    url, rid = bench.platform.login_url(force=True)
    page = browser.get(url)
    assert urlsplit(str(page.url)).path == "/saml/sso/continue"
    assert 'type="password"' in page.text
    assert "SAMLResponse" not in page.text
    wrong = _confirm(browser, page, "not-her-password")
    assert wrong.status_code == 401
    assert "Das Passwort ist falsch." in wrong.text
    page = _confirm(browser, wrong, LINA_PASSWORD)
    form = browser.saml_form(page)
    assert accepted(bench.platform, form, rid).friendly["uid"] == [bench.people.lina]
    statement = response_xml(form).find(".//saml:AuthnStatement", NS)
    assert statement is not None
    assert statement.get("AuthnInstant") == bench.clock.now.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_force_authn_without_a_session_is_one_sign_in(bench: Bench, browser: Browser) -> None:
    url, rid = bench.platform.login_url(force=True)
    page = browser.sign_in(browser.get(url), bench.people.lina, LINA_PASSWORD)
    form = browser.saml_form(page)
    accepted(bench.platform, form, rid)


def test_the_password_form_needs_its_csrf_token(bench: Bench, browser: Browser) -> None:
    sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    bench.clock.advance(minutes=1)
    url, _ = bench.platform.login_url(force=True)
    page = browser.get(url)
    fields = next(f for _, f in forms(page) if "p" in f)
    fields.update(password=LINA_PASSWORD, csrf="0" * 64)
    refused = browser.post("/saml/sso/reauth", fields)
    assert refused.status_code == 403
    assert "SAMLResponse" not in refused.text
