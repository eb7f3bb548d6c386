"""The demo's sign-in: a ready OIDC client (the demo relying party at `/demo/`) and test
logins — a student with a password to use at once and a teacher with an initial password
that must be changed first, as on the first school day. Development only."""

from __future__ import annotations

from dataclasses import dataclass

from schulhof.access.actors import OPERATOR
from schulhof.domain.errors import ValidationError
from schulhof.domain.model import Role
from schulhof.protocols.oidc import registration
from schulhof.services import clients, passwords
from schulhof.services import persons as person_service
from schulhof.services.runtime import Services
from schulhof.store.persons import PersonFilter
from schulhof.web.demo_rp import DemoClient

CLIENT_NAME = "Demo-Lernplattform"  # a new demo run replaces it


@dataclass(frozen=True, slots=True)
class DemoSignIn:
    client: DemoClient
    lines: tuple[str, ...]


def prepare(svc: Services, school: str, base: str) -> DemoSignIn:
    for old in clients.list_clients(svc, OPERATOR):
        if old.protocol == "oidc" and old.name == CLIENT_NAME:
            clients.remove(svc, OPERATOR, old.id)
    redirect = f"{base}/demo/callback"
    made, secret = clients.add(
        svc,
        OPERATOR,
        protocol="oidc",
        name=CLIENT_NAME,
        config=registration.client_config(
            redirect_uris=[redirect], post_logout_redirect_uris=[f"{base}/demo/"]
        ),
        schools=(school,),
        release=registration.release_from_claims(["profile", "roles", "schools", "groups"]),
        secret=True,
    )
    assert secret is not None
    student = _first(svc, school, Role.STUDENT)
    teacher = _first(svc, school, Role.TEACHER)
    student_pw = _new_password(svc, student, temporary=False)
    teacher_pw = _new_password(svc, teacher, temporary=True)
    lines = (
        f"  try it:         {base}/demo/  (a learning platform that signs in with Schulhof)",
        f"  sign-in page:   {base}/signin",
        f"  student:        {student} / {student_pw}",
        f"  teacher:        {teacher} / {teacher_pw}  (initial: must be changed first)",
        f"  discovery:      {base}/.well-known/openid-configuration",
        f"  client_id:      {made.id}",
        f"  client_secret:  {secret}",
        f"  redirect URI:   {redirect}",
        f"  SAML metadata:  {base}/saml/metadata",
    )
    return DemoSignIn(DemoClient(base, made.id, secret), lines)


def _new_password(svc: Services, username: str, *, temporary: bool) -> str:
    """A generated password; another one if it happens to contain part of the name."""
    for _ in range(20):
        password = passwords.generate_password()
        try:
            passwords.set_password(svc, OPERATOR, username, password, temporary=temporary)
        except ValidationError:
            continue
        return password
    raise ValidationError(f"no password fits the rules of {username}", field="password")


def _first(svc: Services, school: str, role: Role) -> str:
    found = person_service.list_persons(svc, OPERATOR, PersonFilter(school=school, role=role))
    return found[0].person.username
