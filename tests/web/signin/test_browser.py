"""The sign-in pages in Debian's Chromium against a real uvicorn server (SQLite and
PostgreSQL): the first day with an initial password, a wrong password, the English switch,
keyboard use and a 320 px wide screen. No JavaScript of ours is involved."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from schulhof.services import sessions
from schulhof.services.runtime import Services
from schulhof.web.app import create_app
from schulhof.web.sso import COOKIE
from tests.web.signin.live import chromium, serve_in_thread
from tests.web.signin.people import LINA_PASSWORD, PETRA_INITIAL, People

PETRA_NEW = "Kreide-Tafel-Schwamm-7"


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as b:
        yield b


@pytest.fixture
def base_url(svc: Services, people: People) -> Iterator[str]:
    with serve_in_thread(create_app(svc, worker=False)) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(locale="de-DE")
    try:
        yield context.new_page()
    finally:
        context.close()


def test_first_day_initial_password_change_account_sign_out(
    svc: Services, page: Page, base_url: str, people: People
) -> None:
    page.goto(f"{base_url}/account")
    expect(page).to_have_url(f"{base_url}/signin?next=%2Faccount")
    expect(page.get_by_role("heading", name="Anmelden")).to_be_visible()
    page.get_by_label("Benutzername").fill(people.petra)
    page.get_by_label("Passwort", exact=True).fill(PETRA_INITIAL)
    page.get_by_role("button", name="Anmelden").click()

    expect(page).to_have_url(f"{base_url}/password/change?next=%2Faccount")
    expect(page.get_by_role("heading", name="Passwort ändern")).to_be_visible()
    expect(page.get_by_text("Sie haben sich mit einem Startpasswort angemeldet.")).to_be_visible()
    # The username is there for password managers only, not to be seen or tabbed to.
    expect(page.locator('input[name="username"]')).to_be_hidden()
    page.get_by_label("Bisheriges Passwort").fill(PETRA_INITIAL)
    page.get_by_label("Neues Passwort", exact=True).fill("zu-kurz-1")
    page.get_by_label("Neues Passwort wiederholen").fill("zu-kurz-1")
    page.get_by_role("button", name="Passwort ändern").click()
    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Das neue Passwort muss mindestens 12 Zeichen lang sein.")
    new_field = page.get_by_label("Neues Passwort", exact=True)
    expect(new_field).to_have_attribute("aria-invalid", "true")
    expect(new_field).to_be_focused()

    page.get_by_label("Bisheriges Passwort").fill(PETRA_INITIAL)
    new_field.fill(PETRA_NEW)
    page.get_by_label("Neues Passwort wiederholen").fill(PETRA_NEW)
    page.get_by_role("button", name="Passwort ändern").click()

    expect(page).to_have_url(f"{base_url}/account?changed=1")
    expect(page.get_by_text("Ihr Passwort wurde geändert.")).to_be_visible()
    expect(page.get_by_text("Sie sind angemeldet als Petra Groß.")).to_be_visible()
    cookies = {c["name"]: c for c in page.context.cookies()}
    assert cookies[COOKIE]["httpOnly"]
    assert cookies[COOKIE]["sameSite"] == "Lax"
    session = sessions.current(svc, cookies[COOKIE]["value"])
    assert session is not None
    assert not session.must_change

    page.get_by_role("link", name="Abmelden").click()
    expect(page).to_have_url(f"{base_url}/signout")
    page.get_by_role("button", name="Abmelden").click()
    expect(page).to_have_url(f"{base_url}/signin?signed_out=1")
    expect(page.get_by_text("Sie haben sich abgemeldet.")).to_be_visible()
    assert COOKIE not in {c["name"] for c in page.context.cookies()}
    assert sessions.current(svc, cookies[COOKIE]["value"]) is None


def test_a_wrong_password_is_told_in_german(page: Page, base_url: str, people: People) -> None:
    page.goto(f"{base_url}/signin")
    page.get_by_label("Benutzername").fill(people.lina)
    page.get_by_label("Passwort", exact=True).fill("falsch-geraten")
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("alert")).to_contain_text("Benutzername oder Passwort ist falsch.")
    expect(page.get_by_label("Benutzername")).to_have_value(people.lina)
    password = page.get_by_label("Passwort", exact=True)
    expect(password).to_have_value("")
    expect(password).to_be_focused()
    # With the keyboard alone: type the right password, Enter submits.
    page.keyboard.type(LINA_PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{base_url}/account")


def test_the_english_switch(page: Page, base_url: str, people: People) -> None:
    page.goto(f"{base_url}/signin?next=%2Faccount")
    expect(page.locator("html")).to_have_attribute("lang", "de")
    page.get_by_role("link", name="Switch to English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    page.get_by_label("Username").fill(people.lina)
    page.get_by_label("Password", exact=True).fill("wrong-guess-1")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The username or password is wrong.")
    page.get_by_label("Password", exact=True).fill(LINA_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{base_url}/account")  # next survived the switch
    expect(page.get_by_text("You are signed in as Lina Öztürk.")).to_be_visible()
    page.get_by_role("link", name="Auf Deutsch anzeigen").click()
    expect(page.get_by_text("Sie sind angemeldet als Lina Öztürk.")).to_be_visible()


def test_english_browsers_get_english(browser: Browser, base_url: str) -> None:
    context = browser.new_context(locale="en-GB")
    try:
        page = context.new_page()
        page.goto(f"{base_url}/signin")
        expect(page.locator("html")).to_have_attribute("lang", "en")
    finally:
        context.close()


def test_usable_at_320_pixels_and_focus_is_visible(
    browser: Browser, base_url: str, people: People
) -> None:
    context = browser.new_context(locale="de-DE", viewport={"width": 320, "height": 640})
    try:
        page = context.new_page()
        page.goto(f"{base_url}/signin")
        overflow = page.evaluate(
            "document.documentElement.scrollWidth - document.documentElement.clientWidth"
        )
        assert overflow == 0  # nothing to scroll sideways (WCAG 1.4.10 reflow)
        button = page.get_by_role("button", name="Anmelden")
        box = button.bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= 320
        assert box["height"] >= 40  # a finger-sized target
        page.keyboard.press("Tab")  # from the username field (autofocus) to the password
        focused = page.locator(":focus")
        expect(focused).to_have_attribute("id", "password")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline == "solid"
        # No request left the server: everything came from base_url.
        hosts: set[str] = set()
        page.on("request", lambda r: hosts.add(r.url.split("/")[2]))
        page.reload()
        assert hosts == {base_url.split("/")[2]}
    finally:
        context.close()


def test_a_form_open_in_another_tab_survives_arriving_from_another_site(
    page: Page, base_url: str, people: People
) -> None:
    """The sign-in form is open in one tab; in another, a service on another site sends the
    browser here. The SameSite=Lax CSRF cookie goes along on that navigation, so it is not
    replaced, and the form of the first tab still signs in. Chromium's own form POST sends
    our Origin (the pages' Referrer-Policy is same-origin), which the Origin check lets
    through."""
    page.goto(f"{base_url}/signin")
    before = {c["name"]: c["value"] for c in page.context.cookies()}["schulhof_csrf"]
    other = page.context.new_page()
    other.route(
        "http://lernplattform.example/**",
        lambda route: route.fulfill(
            content_type="text/html",
            body=f'<a href="{base_url}/signin?next=%2Faccount">Mit Schulhof anmelden</a>',
        ),
    )
    other.goto("http://lernplattform.example/start")
    other.get_by_role("link", name="Mit Schulhof anmelden").click()
    expect(other.get_by_role("heading", name="Anmelden")).to_be_visible()
    after = {c["name"]: c["value"] for c in page.context.cookies()}["schulhof_csrf"]
    assert after == before  # the cross-site navigation carried the Lax cookie
    origins: list[str | None] = []
    page.on(
        "request",
        lambda r: origins.append(r.headers.get("origin")) if r.method == "POST" else None,
    )
    page.get_by_label("Benutzername").fill(people.lina)
    page.get_by_label("Passwort", exact=True).fill(LINA_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(f"{base_url}/account")
    assert origins == [base_url]


def test_a_forged_post_from_another_site_is_refused(
    page: Page, base_url: str, people: People
) -> None:
    """Signed in, the person visits another site that posts a sign-out form to us: the Lax
    CSRF cookie is not sent with a cross-site POST (and the Origin is foreign), so the
    answer is 403 and the session lives on."""
    page.goto(f"{base_url}/signin")
    page.get_by_label("Benutzername").fill(people.lina)
    page.get_by_label("Passwort", exact=True).fill(LINA_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(f"{base_url}/account")
    page.route(
        "http://boese.example/**",
        lambda route: route.fulfill(
            content_type="text/html",
            body=f'<form method="post" action="{base_url}/signout">'
            '<input name="csrf" value="x"><button>Los</button></form>',
        ),
    )
    page.goto("http://boese.example/")
    with page.expect_response(f"{base_url}/signout") as answer:
        page.get_by_role("button", name="Los").click()
    assert answer.value.status == 403
    page.goto(f"{base_url}/account")
    expect(page).to_have_url(f"{base_url}/account")


def test_the_next_student_at_a_shared_computer(
    svc: Services, page: Page, base_url: str, people: People
) -> None:
    page.goto(f"{base_url}/signin")
    page.get_by_label("Benutzername").fill(people.lina)
    page.get_by_label("Passwort", exact=True).fill(LINA_PASSWORD)
    page.get_by_role("button", name="Anmelden").click()
    expect(page).to_have_url(f"{base_url}/account")
    lina_cookie = {c["name"]: c["value"] for c in page.context.cookies()}[COOKIE]

    page.goto(f"{base_url}/signin")  # Lina forgot to sign out; Petra comes next
    expect(page.get_by_text("Sie sind bereits als Lina Öztürk angemeldet.")).to_be_visible()
    expect(page.get_by_role("link", name="Weiter als Lina Öztürk")).to_be_visible()
    page.get_by_label("Benutzername").fill(people.petra)
    page.get_by_label("Passwort", exact=True).fill(PETRA_INITIAL)
    page.get_by_role("button", name="Anmelden").click()
    expect(page.get_by_role("heading", name="Passwort ändern")).to_be_visible()
    assert sessions.current(svc, lina_cookie) is None
