"""Steps shared by the SAML tests: a whole SP-initiated sign-in, and reading the XML."""

from __future__ import annotations

import base64
from typing import Any

from lxml import etree  # type: ignore[import-untyped]  # no stubs

from tests.protocols.saml.browser import Browser, SamlForm
from tests.protocols.saml.sp import Outcome, ServiceProvider

NS = {
    "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
    "saml": "urn:oasis:names:tc:SAML:2.0:assertion",
    "ds": "http://www.w3.org/2000/09/xmldsig#",
    "md": "urn:oasis:names:tc:SAML:2.0:metadata",
}


def sign_in(
    browser: Browser,
    sp: ServiceProvider,
    username: str | None,
    password: str | None,
    *,
    post: bool = False,
) -> tuple[SamlForm, str]:
    """From the SP's AuthnRequest to the form that carries the Response back to it;
    `username` None: the browser is already signed in."""
    if post:
        fields, request_id = sp.login_post()
        page = browser.post("/saml/sso/post", fields)
    else:
        url, request_id = sp.login_url()
        page = browser.get(url)
    if username is not None:
        assert password is not None
        page = browser.sign_in(page, username, password)
    return browser.saml_form(page), request_id


def accepted(sp: ServiceProvider, form: SamlForm, request_id: str) -> Outcome:
    """The SP's verdict on the form; it must have accepted the assertion."""
    assert form.action == sp.acs
    outcome = sp.consume(form.fields, request_id)
    assert outcome.errors == [], outcome.reason
    return outcome


def response_xml(form: SamlForm) -> Any:
    return etree.fromstring(base64.b64decode(form.fields["SAMLResponse"]))
