"""Every sign-in page, in both languages and in its error states, checked by axe-core
(Deque's engine, as shipped in the axe-playwright-python package) in Chromium against the
WCAG 2.1 A and AA rules, plus the rule set axe calls best practice."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from importlib import resources
from typing import Any

import pytest
from playwright.sync_api import Browser, Page

from schulhof.services.runtime import Services
from schulhof.web.app import create_app
from tests.web.signin.live import chromium, serve_in_thread
from tests.web.signin.people import LINA_PASSWORD, PETRA_INITIAL, People

AXE = (resources.files("axe_playwright_python") / "axe.min.js").read_text(encoding="utf-8")
RULES = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa",
                                               "best-practice"]}}  # fmt: skip


def violations(page: Page) -> list[str]:
    page.evaluate(AXE)  # evaluate runs outside the page's CSP, which forbids scripts
    result: dict[str, Any] = page.evaluate("options => axe.run(document, options)", RULES)
    return [
        f"{v['id']} ({v['impact']}): {v['help']} — {[n['target'] for n in v['nodes']]}"
        for v in result["violations"]
    ]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def base_url(svc: Services, people: People) -> Iterator[str]:
    with serve_in_thread(create_app(svc, worker=False)) as url:
        yield url


def _sign_in(page: Page, username: str, password: str) -> None:
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("button[type=submit]")


def _signin(page: Page, url: str, people: People) -> None:
    page.goto(f"{url}/signin")


def _signin_failed(page: Page, url: str, people: People) -> None:
    page.goto(f"{url}/signin")
    _sign_in(page, people.lina, "falsch-falsch")


def _signin_empty(page: Page, url: str, people: People) -> None:
    page.goto(f"{url}/signin")
    page.click("button[type=submit]")


def _forced_change_with_errors(page: Page, url: str, people: People) -> None:
    page.goto(f"{url}/signin")
    _sign_in(page, people.petra, PETRA_INITIAL)
    page.fill("#current_password", PETRA_INITIAL)
    page.fill("#new_password", "kurz")
    page.fill("#repeat_password", "anders")
    page.click("button[type=submit]")


def _account(page: Page, url: str, people: People) -> None:
    page.goto(f"{url}/signin")
    _sign_in(page, people.lina, LINA_PASSWORD)
    page.goto(f"{url}/account?changed=1")


def _signed_in_signin_and_signout(page: Page, url: str, people: People) -> None:
    _account(page, url, people)
    page.goto(f"{url}/signin")  # "already signed in as …"


def _signout(page: Page, url: str, people: People) -> None:
    _account(page, url, people)
    page.goto(f"{url}/signout")


def _csrf_refused(page: Page, url: str, people: People) -> None:
    page.goto(f"{url}/signin")
    page.context.clear_cookies()
    _sign_in(page, people.lina, LINA_PASSWORD)


STATES: dict[str, Callable[[Page, str, People], None]] = {
    "signin": _signin,
    "signin-failed": _signin_failed,
    "signin-empty": _signin_empty,
    "forced-change-errors": _forced_change_with_errors,
    "account": _account,
    "signin-already": _signed_in_signin_and_signout,
    "signout": _signout,
    "csrf-403": _csrf_refused,
}


@pytest.mark.parametrize("locale", ["de-DE", "en-GB"])
def test_no_axe_violations_on_any_page(
    browser: Browser, base_url: str, people: People, locale: str
) -> None:
    found: dict[str, list[str]] = {}
    for name, reach in STATES.items():
        context = browser.new_context(locale=locale)
        try:
            page = context.new_page()
            reach(page, base_url, people)
            if name.endswith(("failed", "empty", "errors")):
                assert page.locator('[role="alert"]').count() == 1, name  # reached the state
            if name == "csrf-403":
                assert page.locator("h1").inner_text() in ("Formular abgelaufen", "Form expired")
            problems = violations(page)
            if problems:
                found[name] = problems
        finally:
            context.close()
    assert not found, found
