"""The password change page (SQLite and PostgreSQL): the forced change after an initial
password, policy errors on their field, the wrong current password, CSRF, and what the
change does to the sessions."""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient

from schulhof.access.actors import OPERATOR
from schulhof.services import passwords, sessions
from schulhof.services.runtime import Services
from schulhof.web.sso import COOKIE
from tests.conftest import FixedClock
from tests.web.signin.people import (
    LINA_PASSWORD,
    PETRA_INITIAL,
    People,
    any_token,
    csrf_token,
    sign_in,
)

PETRA_NEW = "Kreide-Tafel-Schwamm-7"
NEXT = "/oidc/authorize?client_id=lernplattform&state=abc"


def change(
    client: TestClient, current: str, new: str, repeat: str | None = None, next_url: str = ""
) -> httpx.Response:
    form = {
        "current_password": current,
        "new_password": new,
        "repeat_password": new if repeat is None else repeat,
        "csrf": any_token(client),
        "next": next_url,
    }
    answer: httpx.Response = client.post("/password/change", data=form)
    return answer


def test_an_initial_password_leads_to_the_change_form_only(
    svc: Services, client: TestClient, people: People
) -> None:
    answer = sign_in(client, people.petra, PETRA_INITIAL, NEXT)
    assert answer.status_code == 303
    assert answer.headers["location"] == (
        "/password/change?next=%2Foidc%2Fauthorize%3Fclient_id%3Dlernplattform%26state%3Dabc"
    )
    session = sessions.current(svc, client.cookies[COOKIE])
    assert session is not None
    assert session.must_change  # restricted
    # Anything else leads back to the change form.
    assert client.get("/account").headers["location"] == "/password/change?next=%2Faccount"
    assert client.get(f"/signin?next={NEXT}").headers["location"].startswith("/password/change")
    page = client.get(answer.headers["location"])
    assert page.status_code == 200
    assert "Startpasswort" in page.text
    assert 'autocomplete="current-password"' in page.text
    assert page.text.count('autocomplete="new-password"') == 2
    assert "Mindestens 12 Zeichen" in page.text  # a teacher's policy
    assert f'name="next" value="{NEXT.replace("&", "&amp;")}"' in page.text
    assert '<a href="/signout">Abmelden</a>' in page.text  # the way out, if not now

    done = change(client, PETRA_INITIAL, PETRA_NEW, next_url=NEXT)
    assert done.status_code == 303
    assert done.headers["location"] == NEXT
    after = sessions.current(svc, client.cookies[COOKIE])
    assert after is not None
    assert after.sid == session.sid  # the same session, no longer restricted
    assert not after.must_change
    assert client.get("/account").status_code == 200


def test_the_new_password_works_and_the_initial_one_no_longer(
    client: TestClient, people: People
) -> None:
    sign_in(client, people.petra, PETRA_INITIAL)
    assert change(client, PETRA_INITIAL, PETRA_NEW).headers["location"] == "/account?changed=1"
    assert "Ihr Passwort wurde geändert." in client.get("/account?changed=1").text
    client.cookies.clear()
    assert sign_in(client, people.petra, PETRA_INITIAL).status_code == 401
    answer = sign_in(client, people.petra, PETRA_NEW)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/account"


@pytest.mark.parametrize(
    ("new", "repeat", "field", "message"),
    [
        ("kurz-1", None, "new_password", "Das neue Passwort muss mindestens 12 Zeichen lang sein."),
        ("Kreide-Tafel-Schwamm-7", "Kreide-Tafel-Schwamm-8", "repeat_password",
         "Die beiden neuen Passwörter stimmen nicht überein."),
        ("Petra-ist-die-Beste-1", None, "new_password",
         "Das neue Passwort darf Ihren Namen oder Benutzernamen nicht enthalten."),
        ("abcdefghijklm", None, "new_password", "Ein Passwort mit weniger als 16 Zeichen muss"),
        (PETRA_INITIAL, None, "new_password",
         "Das neue Passwort muss sich vom bisherigen unterscheiden."),
        ("", None, "new_password", "Bitte geben Sie ein neues Passwort ein."),
    ],
)  # fmt: skip
def test_policy_errors_are_shown_on_their_field(
    client: TestClient, people: People, new: str, repeat: str | None, field: str, message: str
) -> None:
    sign_in(client, people.petra, PETRA_INITIAL)
    answer = change(client, PETRA_INITIAL, new, repeat)
    assert answer.status_code == 400
    assert 'role="alert"' in answer.text
    assert f'<p class="error" id="{field}-error">{message}' in answer.text
    assert f'aria-describedby="{field}-error"' in answer.text or (
        f'aria-describedby="{field}-hint {field}-error"' in answer.text
    )
    assert f'<a href="#{field}">{message}' in answer.text  # the summary links to it
    if new:
        assert new not in answer.text  # passwords are never echoed


def test_a_wrong_current_password_is_refused_and_counted(
    svc: Services, client: TestClient, people: People, clock: FixedClock
) -> None:
    sign_in(client, people.lina, LINA_PASSWORD)
    for _ in range(5):
        answer = change(client, "nicht-das-richtige", "Neues-Passwort-2026")
        assert answer.status_code == 401
        assert "Das bisherige Passwort ist falsch." in answer.text
    answer = change(client, LINA_PASSWORD, "Neues-Passwort-2026")
    assert answer.status_code == 429
    assert answer.headers["retry-after"] == "2"
    assert "Bitte warten Sie 2 Sekunden." in answer.text
    clock.advance(seconds=3)
    assert change(client, LINA_PASSWORD, "Neues-Passwort-2026").status_code == 303


def test_changing_the_password_ends_the_other_sessions(
    svc: Services, client: TestClient, people: People
) -> None:
    other = TestClient(client.app, follow_redirects=False)
    assert sign_in(other, people.lina, LINA_PASSWORD).status_code == 303
    assert sign_in(client, people.lina, LINA_PASSWORD).status_code == 303
    assert change(client, LINA_PASSWORD, "Neues-Passwort-2026").status_code == 303
    assert client.get("/account").status_code == 200
    assert sessions.current(svc, other.cookies[COOKIE]) is None
    assert other.get("/account").status_code == 303


def test_the_change_form_needs_a_session_and_a_csrf_token(
    svc: Services, client: TestClient, people: People
) -> None:
    answer = client.get("/password/change?next=/x")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?next=%2Fpassword%2Fchange%3Fnext%3D%2Fx"
    sign_in(client, people.petra, PETRA_INITIAL)
    form = {
        "current_password": PETRA_INITIAL,
        "new_password": PETRA_NEW,
        "repeat_password": PETRA_NEW,
    }
    assert client.post("/password/change", data=form).status_code == 403
    assert client.post("/password/change", data={**form, "csrf": "0" * 64}).status_code == 403
    session = sessions.current(svc, client.cookies[COOKIE])
    assert session is not None
    assert session.must_change  # nothing changed


def test_a_password_reset_by_a_teacher_forces_a_change_again(
    svc: Services, client: TestClient, people: People
) -> None:
    _, fresh = passwords.reset_password(svc, OPERATOR, people.lina)
    answer = sign_in(client, people.lina, fresh)
    assert answer.headers["location"] == "/password/change?next=%2Faccount"
    page = client.get(answer.headers["location"])
    assert "Mindestens 10 Zeichen" in page.text  # a Gymnasium student's policy
    assert csrf_token(page)
