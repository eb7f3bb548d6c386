"""Signing in on the web page (SQLite and PostgreSQL): success and where it leads, the one
failure message, throttling, CSRF, no open redirect, expiry, the headers of every page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from schulhof.services import sessions
from schulhof.services.runtime import Services
from schulhof.web.sso import COOKIE
from tests.conftest import FixedClock
from tests.web.signin.people import (
    LINA_PASSWORD,
    PETRA_INITIAL,
    People,
    csrf_token,
    sign_in,
)

FAILED_DE = "Benutzername oder Passwort ist falsch."


def test_the_form_is_german_and_labelled(client: TestClient) -> None:
    page = client.get("/signin")
    assert page.status_code == 200
    assert '<html lang="de">' in page.text
    assert '<label for="username">Benutzername</label>' in page.text
    assert '<label for="password">Passwort</label>' in page.text
    assert 'autocomplete="username"' in page.text
    assert 'autocomplete="current-password"' in page.text
    assert "<script" not in page.text
    cookie = page.headers["set-cookie"]
    assert cookie.startswith("schulhof_csrf=")
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie


def test_a_right_password_starts_a_session_and_goes_on(
    svc: Services, client: TestClient, people: People
) -> None:
    answer = sign_in(client, people.lina, LINA_PASSWORD, "/oidc/authorize?client_id=x&state=y")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/oidc/authorize?client_id=x&state=y"
    set_cookie = answer.headers["set-cookie"]
    assert set_cookie.startswith(f"{COOKIE}=")
    assert "HttpOnly" in set_cookie
    assert "SameSite=lax" in set_cookie
    assert "Secure" not in set_cookie  # served over http here
    assert "Max-Age" not in set_cookie  # gone when the browser closes
    session = sessions.current(svc, client.cookies[COOKIE])
    assert session is not None
    assert session.person_id == people.lina_id
    assert not session.must_change
    account = client.get("/account")
    assert account.status_code == 200
    assert "Sie sind angemeldet als Lina Öztürk." in account.text
    again = client.get("/signin?next=/lernplattform")  # signed in: go on, or be someone else
    assert again.status_code == 200
    assert "Sie sind bereits als Lina Öztürk angemeldet." in again.text
    assert '<a class="continue" href="/lernplattform">Weiter als Lina Öztürk</a>' in again.text
    assert 'id="username"' in again.text


def test_the_username_is_case_and_space_tolerant(client: TestClient, people: People) -> None:
    answer = sign_in(client, f"  {people.lina.upper()} ", LINA_PASSWORD)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account"


def test_wrong_password_unknown_user_and_disabled_person_read_the_same(
    client: TestClient, people: People
) -> None:
    bodies = []
    for username, password in [
        (people.lina, "falsch-falsch-falsch"),
        ("niemand.hier", "falsch-falsch-falsch"),
        (people.otto, LINA_PASSWORD),  # disabled: right password, same answer
    ]:
        answer = sign_in(client, username, password)
        assert answer.status_code == 401
        assert COOKIE not in client.cookies
        assert answer.text.count(FAILED_DE) == 1  # one message, for the whole form
        assert 'role="alert"' in answer.text
        assert answer.text.count('aria-describedby="form-error"') == 2  # on both fields
        assert answer.text.count('aria-invalid="true"') == 2
        bodies.append(answer.text.replace(username, "USERNAME"))
    assert bodies[0] == bodies[1] == bodies[2]


def test_the_password_is_never_echoed(client: TestClient, people: People) -> None:
    answer = sign_in(client, people.lina, "geheim-geheim-123")
    assert "geheim-geheim-123" not in answer.text
    assert f'value="{people.lina}"' in answer.text  # the username is kept


def test_empty_fields_are_asked_for(client: TestClient) -> None:
    answer = sign_in(client, "", "")
    assert answer.status_code == 400
    assert "Bitte geben Sie Benutzername und Passwort ein." in answer.text


def test_throttled_after_five_failures_with_the_wait_in_words(
    client: TestClient, people: People, clock: FixedClock
) -> None:
    for _ in range(5):
        assert sign_in(client, people.lina, "falsch-falsch-falsch").status_code == 401
    answer = sign_in(client, people.lina, LINA_PASSWORD)  # even the right one waits
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "2"
    assert answer.text.count("Zu viele Fehlversuche. Bitte warten Sie 2 Sekunden.") == 1
    english = client.post(
        "/signin?lang=en",
        data={"username": people.lina, "password": "x", "csrf": csrf_token(answer)},
    )
    assert english.status_code == 429
    assert "Too many failed attempts. Please wait 2 seconds." in english.text
    clock.advance(seconds=3)
    assert sign_in(client, people.lina, LINA_PASSWORD).status_code == 303


@pytest.mark.parametrize(
    "evil",
    [
        "//evil.example/x",
        "/\\evil.example/x",
        "/%09/evil.example",
        "https://evil.example/",
        "javascript:alert(1)",
        "evil.example",
        "/\t/evil.example",
        "",
    ],
)
def test_next_never_leaves_the_site(client: TestClient, people: People, evil: str) -> None:
    token = csrf_token(client.get("/signin"))
    answer = client.post(
        "/signin",
        data={"username": people.lina, "password": LINA_PASSWORD, "csrf": token, "next": evil},
    )
    assert answer.status_code == 303
    location = answer.headers["location"]
    assert location in ("/account", evil)
    assert location.startswith("/")
    assert not location.startswith(("//", "/\\", "/\t"))


def test_a_form_without_the_right_csrf_token_is_refused(
    svc: Services, client: TestClient, people: People
) -> None:
    good = csrf_token(client.get("/signin"))
    form = {"username": people.lina, "password": LINA_PASSWORD}
    for token in ["", "0" * 64, good[:-1] + ("0" if good[-1] != "0" else "1")]:
        answer = client.post("/signin", data={**form, "csrf": token})
        assert answer.status_code == 403
        assert "Formular abgelaufen" in answer.text
        assert COOKIE not in client.cookies
    # A token is bound to its cookie: another browser's token does not fit this one.
    other = TestClient(client.app, follow_redirects=False)
    foreign = csrf_token(other.get("/signin"))
    assert client.post("/signin", data={**form, "csrf": foreign}).status_code == 403
    # Without the cookie, the right token is refused too.
    client.cookies.delete("schulhof_csrf")
    assert client.post("/signin", data={**form, "csrf": good}).status_code == 403


def test_an_expired_session_sends_back_to_the_sign_in_page(
    client: TestClient, people: People, clock: FixedClock
) -> None:
    assert sign_in(client, people.lina, LINA_PASSWORD).status_code == 303
    clock.advance(minutes=59)
    assert client.get("/account").status_code == 200  # in use: stays alive
    clock.advance(minutes=61)  # more than an hour idle
    answer = client.get("/account")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Faccount"
    page = client.get(answer.headers["location"])
    assert "Ihre Sitzung ist abgelaufen." in page.text
    assert COOKIE not in client.cookies  # the dead cookie is cleared


def test_a_session_ends_after_eight_hours_however_busy(
    client: TestClient, people: People, clock: FixedClock
) -> None:
    assert sign_in(client, people.lina, LINA_PASSWORD).status_code == 303
    for _ in range(8):
        clock.advance(minutes=59)
        assert client.get("/account").status_code == 200
    clock.advance(minutes=10)  # 8 h 02 min after signing in
    assert client.get("/account").status_code == 303


def test_signing_in_as_someone_else_ends_the_first_session(
    svc: Services, client: TestClient, people: People
) -> None:
    assert sign_in(client, people.lina, LINA_PASSWORD).status_code == 303
    first = client.cookies[COOKIE]
    token = csrf_token(client.get("/signin"))  # the form, offered to someone else
    form = {"username": people.petra, "password": PETRA_INITIAL, "csrf": token}
    assert client.post("/signin", data=form).status_code == 303
    assert sessions.current(svc, first) is None
    assert client.cookies[COOKIE] != first


PAGES = ["/signin", "/signin?lang=en", "/password/change", "/account", "/signout"]


@pytest.mark.parametrize("signed_in", [False, True])
def test_every_page_and_redirect_carries_the_security_headers(
    client: TestClient, people: People, signed_in: bool
) -> None:
    if signed_in:
        sign_in(client, people.lina, LINA_PASSWORD)
    answers = [client.get(p) for p in PAGES]
    answers.append(client.post("/signin", data={}))  # 403
    answers.append(sign_in(client, "niemand", "x"))  # 401
    for answer in answers:
        h = answer.headers
        assert h["content-security-policy"].startswith("default-src 'self'; frame-ancestors 'none'")
        assert h["x-frame-options"] == "DENY"
        assert h["referrer-policy"] == "same-origin"
        assert h["cache-control"] == "no-store"


def test_the_stylesheet_is_served_here(client: TestClient) -> None:
    page = client.get("/signin").text
    href = page.split('rel="stylesheet" href="')[1].split('"')[0]
    assert href.startswith("/assets/signin.css?v=")
    css = client.get(href)
    assert css.status_code == 200
    assert css.headers["content-type"].startswith("text/css")
    assert ":focus-visible" in css.text
    assert "http" not in css.text  # nothing fetched from elsewhere


def test_cookies_are_secure_behind_an_https_public_url(svc: Services, people: People) -> None:
    from schulhof.web.app import create_app

    app = create_app(svc, worker=False, public_url="https://konto.schulen.example/")
    with TestClient(app, follow_redirects=False) as client:
        form = client.get("/signin")
        assert "Secure" in form.headers["set-cookie"]
        # TestClient speaks http, so it would not send a Secure cookie back: pass it by hand.
        token = csrf_token(form)
        client.cookies.set("schulhof_csrf", form.cookies["schulhof_csrf"])
        answer = client.post(
            "/signin", data={"username": people.lina, "password": LINA_PASSWORD, "csrf": token}
        )
        assert answer.status_code == 303
        assert "Secure" in answer.headers["set-cookie"]


def test_what_was_typed_comes_back_escaped(client: TestClient) -> None:
    evil = '"><script>alert(1)</script>'
    answer = sign_in(client, evil, "x", next_url='/a"><script>alert(2)</script>')
    assert answer.status_code == 401
    assert "<script" not in answer.text
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in answer.text
