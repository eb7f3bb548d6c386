"""People to sign in with, made through the services: a Gymnasium student with a password
of their own, a teacher with an initial (temporary) one, and a disabled student."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import httpx
from fastapi.testclient import TestClient

from schulhof.access.actors import OPERATOR
from schulhof.domain.model import Context, PersonDraft, Role, SchoolType
from schulhof.services import passwords, persons, schools
from schulhof.services.runtime import Services

LINA_PASSWORD = "Sonnenblume-Turm-42"
PETRA_INITIAL = "bamo-kitu-resa-47"
CSRF_FIELD = re.compile(r'name="csrf" value="([0-9a-f]{64})"')


@dataclass(frozen=True, slots=True)
class People:
    lina: str  # username: student at 91007 (Gymnasium), own password
    lina_id: str
    petra: str  # teacher at 91007, initial password: must change it
    petra_id: str
    otto: str  # student at 91007, disabled, right password LINA_PASSWORD


def _add(svc: Services, given: str, family: str, role: Role) -> tuple[str, str]:
    draft = PersonDraft(given, family, dt.date(2010, 5, 4), contexts=(Context("91007", role),))
    person = persons.add_person(svc, OPERATOR, draft)
    return person.username, person.id


def build(svc: Services) -> People:
    schools.add_school(svc, OPERATOR, "91007", "Gymnasium Goetheplatz", SchoolType.GY)
    lina, lina_id = _add(svc, "Lina", "Öztürk", Role.STUDENT)
    petra, petra_id = _add(svc, "Petra", "Groß", Role.TEACHER)
    otto, _ = _add(svc, "Otto", "Weber", Role.STUDENT)
    passwords.set_password(svc, OPERATOR, lina, LINA_PASSWORD, temporary=False)
    passwords.set_password(svc, OPERATOR, petra, PETRA_INITIAL, temporary=True)
    passwords.set_password(svc, OPERATOR, otto, LINA_PASSWORD, temporary=False)
    persons.disable_person(svc, OPERATOR, otto)
    return People(lina, lina_id, petra, petra_id, otto)


def csrf_token(page: httpx.Response) -> str:
    found = CSRF_FIELD.search(page.text)
    assert found, page.text
    return found.group(1)


def sign_in(
    client: TestClient, username: str, password: str, next_url: str | None = None
) -> httpx.Response:
    token = any_token(client)
    data = {"username": username, "password": password, "csrf": token}
    if next_url is not None:
        data["next"] = next_url
    answer: httpx.Response = client.post("/signin", data=data)
    return answer


def any_token(client: TestClient) -> str:
    """Every form of a browser carries the same token (it is bound to the browser's
    cookie): the sign-in form's, or the sign-out form's in a restricted session."""
    page = client.get("/signin")
    return csrf_token(page if page.status_code == 200 else client.get("/signout"))
