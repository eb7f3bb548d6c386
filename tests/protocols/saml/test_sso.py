"""SP-initiated sign-in through both bindings, judged by python3-saml in strict mode."""

from __future__ import annotations

from tests.protocols.saml.browser import Browser
from tests.protocols.saml.conftest import Bench
from tests.web.signin.people import LINA_PASSWORD


def test_redirect_binding_signs_in_and_releases_the_registered_attributes(
    bench: Bench, browser: Browser
) -> None:
    url, request_id = bench.platform.login_url()
    page = browser.get(url)
    page = browser.sign_in(page, bench.people.lina, LINA_PASSWORD)
    form = browser.saml_form(page)
    assert form.action == bench.platform.acs
    assert form.fields["RelayState"] == "/kurs/7"
    outcome = bench.platform.consume(form.fields, request_id)
    assert outcome.errors == [], outcome.reason
    assert outcome.friendly["uid"] == [bench.people.lina]
