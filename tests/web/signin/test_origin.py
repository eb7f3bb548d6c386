"""The Origin check on every form POST of the sign-in pages (SQLite and PostgreSQL): a
foreign or "null" Origin is refused even with the right CSRF token and cookie; our own
origin and no Origin at all (old browsers) are let through to the token check."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from schulhof.services import sessions
from schulhof.services.runtime import Services
from schulhof.web.sso import COOKIE
from tests.web.signin.people import LINA_PASSWORD, PETRA_INITIAL, People, any_token, sign_in

OURS = "http://testserver"  # TestClient's base URL: the public URL when none is configured
FOREIGN = ["https://lernplattform.example", "http://testserver:8080", "null", "HTTP://evil"]


def _sign_in_form(client: TestClient, people: People, origin: str | None) -> int:
    data = {"username": people.lina, "password": LINA_PASSWORD, "csrf": any_token(client)}
    headers = {"Origin": origin} if origin is not None else {}
    status: int = client.post("/signin", data=data, headers=headers).status_code
    return status


@pytest.mark.parametrize("origin", FOREIGN)
def test_sign_in_from_a_foreign_origin_is_refused(
    client: TestClient, people: People, origin: str
) -> None:
    assert _sign_in_form(client, people, origin) == 403
    assert COOKIE not in client.cookies  # no session was started


@pytest.mark.parametrize("origin", [OURS, None])
def test_sign_in_from_our_origin_or_without_one_works(
    client: TestClient, people: People, origin: str | None
) -> None:
    assert _sign_in_form(client, people, origin) == 303
    assert COOKIE in client.cookies


def test_sign_out_from_a_foreign_origin_is_refused(
    svc: Services, client: TestClient, people: People
) -> None:
    sign_in(client, people.lina, LINA_PASSWORD)
    cookie = client.cookies[COOKIE]
    token = any_token(client)
    refused = client.post(
        "/signout", data={"csrf": token}, headers={"Origin": "https://lernplattform.example"}
    )
    assert refused.status_code == 403
    assert sessions.current(svc, cookie) is not None  # still signed in
    done = client.post("/signout", data={"csrf": token}, headers={"Origin": OURS})
    assert done.status_code == 303
    assert sessions.current(svc, cookie) is None


def test_password_change_from_a_foreign_origin_is_refused(
    svc: Services, client: TestClient, people: People
) -> None:
    sign_in(client, people.petra, PETRA_INITIAL)
    fields = {
        "current_password": PETRA_INITIAL,
        "new_password": "Kreide-Tafel-Schwamm-7",
        "repeat_password": "Kreide-Tafel-Schwamm-7",
        "csrf": any_token(client),
    }
    refused = client.post(
        "/password/change", data=fields, headers={"Origin": "https://lernplattform.example"}
    )
    assert refused.status_code == 403
    session = sessions.current(svc, client.cookies[COOKIE])
    assert session is not None
    assert session.must_change  # nothing was changed
    assert client.post("/password/change", data=fields).status_code == 303


def test_the_configured_public_url_is_the_origin(client: TestClient, people: People) -> None:
    client.app.state.public_url = "http://schulhof.example/"  # type: ignore[attr-defined]
    assert _sign_in_form(client, people, OURS) == 403
    assert _sign_in_form(client, people, "http://schulhof.example") == 303
