"""Signing out (SQLite and PostgreSQL): the confirmation page, the CSRF-checked POST, the
session ended for good, the hooks of the OIDC and SAML parts, the audit trail."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from schulhof.access.actors import OPERATOR
from schulhof.services import audit, sessions
from schulhof.services.runtime import Services
from schulhof.services.sessions import Session
from schulhof.web.sso import COOKIE
from tests.web.signin.people import LINA_PASSWORD, People, csrf_token, sign_in


def test_sign_out_asks_first_then_ends_the_session(
    svc: Services, client: TestClient, people: People
) -> None:
    sign_in(client, people.lina, LINA_PASSWORD)
    cookie = client.cookies[COOKIE]
    ended: list[Session] = []
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.on_signout.append(ended.append)

    page = client.get("/signout")
    assert page.status_code == 200
    assert "Möchten Sie sich bei Schulhof und allen verbundenen Diensten abmelden?" in page.text
    assert sessions.current(svc, cookie) is not None  # a GET ends nothing

    answer = client.post("/signout", data={"csrf": csrf_token(page)})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?signed_out=1"
    assert f'{COOKIE}=""' in answer.headers["set-cookie"]
    assert "Max-Age=0" in answer.headers["set-cookie"]
    assert COOKIE not in client.cookies
    assert sessions.current(svc, cookie) is None
    assert [s.person_id for s in ended] == [people.lina_id]
    assert "Sie haben sich abgemeldet." in client.get("/signin?signed_out=1").text
    # The old cookie, replayed, is no good.
    client.cookies.set(COOKIE, cookie)
    assert client.get("/account").status_code == 303

    trail = audit.list_audit(svc, OPERATOR, action="signout").items
    assert len(trail) == 1
    assert trail[0].target_id == people.lina_id
    assert trail[0].actor == f"person:{people.lina}"
    assert trail[0].detail is not None
    assert trail[0].detail["sid"] == ended[0].sid


def test_sign_out_without_the_csrf_token_is_refused(
    svc: Services, client: TestClient, people: People
) -> None:
    sign_in(client, people.lina, LINA_PASSWORD)
    cookie = client.cookies[COOKIE]
    for data in [{}, {"csrf": "f" * 64}]:
        answer = client.post("/signout", data=data)
        assert answer.status_code == 403
        assert "Formular abgelaufen" in answer.text
    assert sessions.current(svc, cookie) is not None


def test_a_failing_hook_does_not_keep_anyone_signed_in(
    svc: Services, client: TestClient, people: People
) -> None:
    def broken(_: Session) -> None:
        raise RuntimeError("the back-channel queue is down")

    called: list[str] = []
    app = client.app
    assert isinstance(app, FastAPI)
    app.state.on_signout.extend([broken, lambda s: called.append(s.sid)])
    sign_in(client, people.lina, LINA_PASSWORD)
    cookie = client.cookies[COOKIE]
    page = client.get("/signout")
    assert client.post("/signout", data={"csrf": csrf_token(page)}).status_code == 303
    assert sessions.current(svc, cookie) is None
    assert len(called) == 1  # the hooks after the broken one still ran


def test_sign_out_goes_on_to_a_local_next_only(client: TestClient, people: People) -> None:
    for next_url, expected in [
        ("/saml/slo/done?x=1", "/saml/slo/done?x=1"),
        ("https://evil.example/", "/signin?signed_out=1"),
        ("//evil.example/", "/signin?signed_out=1"),
    ]:
        sign_in(client, people.lina, LINA_PASSWORD)
        page = client.get(f"/signout?next={next_url}")
        answer = client.post("/signout", data={"csrf": csrf_token(page), "next": next_url})
        assert answer.headers["location"] == expected


def test_signed_out_the_page_says_so(client: TestClient) -> None:
    page = client.get("/signout")
    assert page.status_code == 200
    assert "Sie sind nicht angemeldet." in page.text
    assert 'action="/signout"' not in page.text
    # Posting anyway (with a good token) is harmless.
    token = csrf_token(client.get("/signin"))
    assert client.post("/signout", data={"csrf": token}).status_code == 303


def test_a_failing_sign_out_chain_still_signs_out(
    svc: Services, client: TestClient, people: People
) -> None:
    def broken(*_: object) -> None:
        raise RuntimeError("the SAML metadata cannot be read")

    app = client.app
    assert isinstance(app, FastAPI)
    app.state.signout_chain = broken
    sign_in(client, people.lina, LINA_PASSWORD)
    cookie = client.cookies[COOKIE]
    page = client.get("/signout")
    answer = client.post("/signout", data={"csrf": csrf_token(page)})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?signed_out=1"
    assert sessions.current(svc, cookie) is None
