"""An OIDC test bench: people (from the sign-in tests), registered clients, and a
relying party's steps done by hand with the TestClient (the independent relying party,
openid-client, runs in tests/protocols/oidc)."""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import KeySet

from schulhof.access.actors import OPERATOR
from schulhof.domain.model import Context, PersonDraft, Role, SchoolType
from schulhof.protocols.oidc.registration import client_config, release_from_claims
from schulhof.services import clients, passwords, persons, schools
from schulhof.services.runtime import Services
from tests.web.signin.people import LINA_PASSWORD, People, build, csrf_token

BASE = "http://127.0.0.1:8000"
RP = "http://127.0.0.1:9999"
REDIRECT = f"{RP}/cb"
AFTER_LOGOUT = f"{RP}/bye"
BACKCHANNEL = f"{RP}/backchannel"
MINH_PASSWORD = "Kastanien-Allee-93"


@dataclass(frozen=True, slots=True)
class Bench:
    people: People
    minh: str  # student at 91000: a school the client may not see
    minh_id: str
    client_id: str  # confidential, schools 91007, every claim, back-channel logout
    secret: str
    public_id: str  # public (PKCE), no claims beyond sub, pairwise


def register(
    svc: Services,
    name: str,
    *,
    public: bool = False,
    claims: str = "",
    schools_: tuple[str, ...] = (),
    pairwise: bool = False,
    backchannel: str | None = None,
    redirect: str = REDIRECT,
    after_logout: str = AFTER_LOGOUT,
) -> tuple[str, str | None]:
    config = client_config(
        redirect_uris=[redirect],
        post_logout_redirect_uris=[after_logout],
        backchannel_logout_uri=backchannel,
        public=public,
        pairwise=pairwise,
    )
    made, secret = clients.add(
        svc, OPERATOR, protocol="oidc", name=name, config=config, schools=schools_,
        release=release_from_claims(claims.split(",")), secret=not public,
    )  # fmt: skip
    return made.id, secret


def add_minh(svc: Services) -> tuple[str, str]:
    """A teacher at 91000 (username, id): a school the main client may not see."""
    schools.add_school(svc, OPERATOR, "91000", "Grundschule am Hafen", SchoolType.GS)
    draft = PersonDraft("Minh", "Nguyen", contexts=(Context("91000", Role.TEACHER),))
    minh = persons.add_person(svc, OPERATOR, draft)
    passwords.set_password(svc, OPERATOR, minh.username, MINH_PASSWORD, temporary=False)
    return minh.username, minh.id


def build_bench(svc: Services) -> Bench:
    people = build(svc)
    minh, minh_id = add_minh(svc)
    client_id, secret = register(
        svc, "Lernplattform", claims="profile,email,roles,schools,groups",
        schools_=("91007",), backchannel=BACKCHANNEL,
    )  # fmt: skip
    public_id, _ = register(svc, "Stundenplan-App", public=True, pairwise=True)
    assert secret is not None
    return Bench(people, minh, minh_id, client_id, secret, public_id)


def sign_in(browser: TestClient, username: str, password: str = LINA_PASSWORD) -> httpx.Response:
    token = csrf_token(browser.get("/signin"))
    form = {"username": username, "password": password, "csrf": token}
    answer: httpx.Response = browser.post("/signin", data=form)
    return answer


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    return verifier, challenge.rstrip(b"=").decode()


def authorize(
    browser: TestClient, client_id: str, *, challenge: str | None, **extra: str
) -> httpx.Response:
    params = {"response_type": "code", "client_id": client_id, "redirect_uri": REDIRECT,
              "scope": "openid profile email roles schools groups", "state": "st-1",
              "nonce": "n-1", **extra}  # fmt: skip
    if challenge is not None:
        params |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    answer: httpx.Response = browser.get("/oidc/authorize?" + urlencode(params))
    return answer


def redirect_params(answer: httpx.Response) -> dict[str, str]:
    assert answer.status_code == 302, (answer.status_code, answer.text)
    location = answer.headers["location"]
    assert location.startswith(REDIRECT + "?"), location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def code_for(browser: TestClient, client_id: str, challenge: str | None) -> str:
    return redirect_params(authorize(browser, client_id, challenge=challenge))["code"]


def exchange(
    browser: TestClient, code: str, verifier: str | None, *, client_id: str,
    secret: str | None = None, redirect_uri: str = REDIRECT,
) -> httpx.Response:  # fmt: skip
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
    if verifier is not None:
        form["code_verifier"] = verifier
    if secret is None:
        form["client_id"] = client_id
        answer: httpx.Response = browser.post("/oidc/token", data=form)
    else:
        answer = browser.post("/oidc/token", data=form, auth=(client_id, secret))
    return answer


def refresh(browser: TestClient, token: str, client_id: str, secret: str) -> httpx.Response:
    form = {"grant_type": "refresh_token", "refresh_token": token}
    answer: httpx.Response = browser.post("/oidc/token", data=form, auth=(client_id, secret))
    return answer


def userinfo(browser: TestClient, access_token: str) -> httpx.Response:
    headers = {"Authorization": f"Bearer {access_token}"}
    answer: httpx.Response = browser.get("/oidc/userinfo", headers=headers)
    return answer


def verified(browser: TestClient, token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and claims of a JWT checked against the published JWKS."""
    keyset = KeySet.import_key_set(browser.get("/oidc/jwks").json())
    decoded = jwt.decode(token, keyset, algorithms=["RS256"])
    return dict(decoded.header), dict(decoded.claims)
