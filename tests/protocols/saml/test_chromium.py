"""The SAML answer in Debian's Chromium: the sign-in page, then the auto-submitting form —
its inline script allowed by the CSP nonce — posts the Response to the SP's ACS (captured
by the browser's request routing, as the SP host does not exist); without JavaScript the
<noscript> button does it. python3-saml then accepts what the browser posted."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import parse_qs

import pytest
from playwright.sync_api import Browser, Page, Route

from tests.protocols.saml.conftest import Bench
from tests.web.signin.live import chromium
from tests.web.signin.people import LINA_PASSWORD


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


def _capture(page: Page, acs: str) -> dict[str, str]:
    posted: dict[str, str] = {}

    def at_acs(route: Route) -> None:
        form = parse_qs(route.request.post_data or "")
        posted.update({k: v[0] for k, v in form.items()})
        posted["method"] = route.request.method
        route.fulfill(status=200, content_type="text/plain", body="SP got it")

    page.route(acs, at_acs)
    return posted


def _sign_in(page: Page, username: str) -> None:
    page.get_by_label("Benutzername").fill(username)
    page.get_by_label("Passwort", exact=True).fill(LINA_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()


@pytest.mark.parametrize("javascript", [True, False], ids=["script", "noscript"])
def test_chromium_carries_the_response_to_the_acs(
    bench: Bench, browser: Browser, javascript: bool
) -> None:
    context = browser.new_context(locale="de-DE", java_script_enabled=javascript)
    try:
        page = context.new_page()
        violations: list[str] = []
        page.on(
            "console",
            lambda m: violations.append(m.text) if "Content Security Policy" in m.text else None,
        )
        posted = _capture(page, bench.platform.acs)
        url, request_id = bench.platform.login_url()
        page.goto(url)
        _sign_in(page, bench.people.lina)
        if not javascript:
            page.get_by_role("button", name="Weiter").click()
        page.wait_for_url(bench.platform.acs)
        assert page.content().count("SP got it") == 1
    finally:
        context.close()
    assert violations == []
    assert posted["method"] == "POST"
    assert posted["RelayState"] == "/kurs/7"
    outcome = bench.platform.consume(
        {"SAMLResponse": posted["SAMLResponse"], "RelayState": posted["RelayState"]}, request_id
    )
    assert outcome.errors == [], outcome.reason
    assert outcome.friendly["uid"] == [bench.people.lina]
