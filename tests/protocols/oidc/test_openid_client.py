"""Schulhof's OIDC provider against an independent relying party: openid-client (npm, v6,
strict; not built on authlib), run by node against a real uvicorn server on a free port.
A small HTTP listener in the test receives the back-channel logout tokens.

openid-client comes from tests/protocols/oidc/rp (scripts/install-node-deps)."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import sqlalchemy as sa
import uvicorn
from joserfc import jwt
from joserfc.jwk import KeySet

from schulhof.access.actors import ActorKind
from schulhof.services import keys
from schulhof.services.runtime import Services, utcnow
from schulhof.store.database import write_connection
from schulhof.store.tables import sso_sessions
from schulhof.web.app import create_app
from tests.web.city import bearer
from tests.web.oidc_support import MINH_PASSWORD, add_minh, register
from tests.web.signin.people import LINA_PASSWORD, PETRA_INITIAL, People, build, csrf_token

RP = Path(__file__).parent / "rp"
# Skipped on a developer's machine without node; never in CI, where it must run.
pytestmark = pytest.mark.skipif(
    (shutil.which("node") is None or not (RP / "node_modules" / "openid-client").is_dir())
    and not os.environ.get("CI"),
    reason="node and openid-client (scripts/install-node-deps) are needed",
)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Listener:
    """The RP's back-channel logout endpoint: answers 500 to the first `fail_first`
    deliveries, then 200; keeps every logout token it was sent."""

    port: int
    fail_first: int = 1
    received: list[tuple[float, str]] = field(default_factory=list)
    on_expire: Callable[[], None] = lambda: None  # POST /expire: the test's hook

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture
def listener() -> Iterator[Listener]:
    state = Listener(_free_port())

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path == "/expire":
                state.on_expire()
                self.send_response(204)
                self.end_headers()
                return
            length = int(self.headers.get("content-length", "0"))
            form = parse_qs(self.rfile.read(length).decode())
            state.received.append((time.monotonic(), form.get("logout_token", [""])[0]))
            failing = len(state.received) <= state.fail_first
            self.send_response(500 if failing else 200)
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", state.port), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


@dataclass(frozen=True)
class Provider:
    issuer: str
    people: People
    minh: str
    confidential: tuple[str, str]
    public: str


@pytest.fixture
def provider(svc: Services, listener: Listener) -> Iterator[Provider]:
    svc.clock = utcnow  # openid-client checks iat/exp against the real time
    keys.forget_cache(svc)
    people = build(svc)
    minh, _ = add_minh(svc)
    redirect = f"{listener.base}/cb"
    client_id, secret = register(
        svc, "Lernplattform", claims="profile,email,roles,schools,groups", schools_=("91007",),
        backchannel=f"{listener.base}/backchannel", redirect=redirect,
        after_logout=f"{listener.base}/bye",
    )  # fmt: skip
    public_id, _ = register(
        svc, "Stundenplan-App", public=True, pairwise=True, redirect=redirect,
        after_logout=f"{listener.base}/bye",
    )  # fmt: skip
    assert secret is not None
    port = _free_port()
    issuer = f"http://127.0.0.1:{port}"
    app = create_app(svc, worker=True, public_url=issuer)
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    yield Provider(issuer, people, minh, (client_id, secret), public_id)
    server.should_exit = True
    thread.join(15)


def run_rp(provider: Provider, listener: Listener, **cfg: Any) -> dict[str, Any]:
    settings = {
        "issuer": provider.issuer,
        "redirect_uri": f"{listener.base}/cb",
        "post_logout_redirect_uri": f"{listener.base}/bye",
        "mode": "signin",
        **cfg,
    }
    done = subprocess.run(
        ["node", str(RP / "rp.mjs"), json.dumps(settings)],
        capture_output=True, text=True, timeout=120, cwd=RP, check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _jwks(provider: Provider) -> KeySet:
    return KeySet.import_key_set(httpx.get(f"{provider.issuer}/oidc/jwks").json())


@pytest.mark.parametrize("auth", ["basic", "post", "none"])
def test_openid_client_runs_every_flow(provider: Provider, listener: Listener, auth: str) -> None:
    if auth == "none":
        client_id, secret = provider.public, None
    else:
        client_id, secret = provider.confidential
    out = run_rp(
        provider, listener, client_id=client_id, client_secret=secret, auth=auth, mode="full",
        username=provider.people.lina, password=LINA_PASSWORD,
    )  # fmt: skip
    assert out["issuer"] == provider.issuer
    assert out["wrong_redirect"] == {"status": 400, "location": None}
    claims, info = out["claims"], out["userinfo"]
    assert claims["aud"] == client_id
    assert info["sub"] == claims["sub"]
    if auth == "none":  # registered with no claims and a pairwise subject
        assert claims["sub"] != provider.people.lina_id
        assert set(info) == {"sub"}
    else:
        assert claims["sub"] == provider.people.lina_id
        assert info["preferred_username"] == provider.people.lina
        assert info["schools"] == ["91007"]
    assert out["rotated"] is True
    assert out["reused_refresh"] == "invalid_grant"
    assert out["family_after_reuse"] == "invalid_grant"
    assert out["reused_code"] == "invalid_grant"
    assert out["wrong_verifier"] == "invalid_grant"
    logout = urlsplit(out["logout"]["location"])
    assert out["logout"]["status"] == 302
    assert f"{logout.scheme}://{logout.netloc}{logout.path}" == f"{listener.base}/bye"
    assert parse_qs(logout.query) == {"state": ["bye-state"]}
    assert out["refresh_after_logout"] == "invalid_grant"
    assert out["after_logout"]["status"] == 303
    assert out["after_logout"]["location"].startswith("/signin?next=")
    if auth != "basic":
        return
    # Back-channel logout: the first delivery is answered 500, the retry succeeds.
    deadline = time.monotonic() + 20
    while len(listener.received) < 2:
        assert time.monotonic() < deadline, listener.received
        time.sleep(0.2)
    (t1, first), (t2, second) = listener.received[:2]
    assert t2 - t1 >= 1.5  # the retry waited out its pause
    for token in (first, second):
        decoded = jwt.decode(token, _jwks(provider), algorithms=["RS256"])
        assert decoded.header["typ"] == "logout+jwt"
        got = decoded.claims
        assert got["iss"] == provider.issuer
        assert got["aud"] == client_id
        assert got["sid"] == out["logout_sid"]
        assert got["sub"] == provider.people.lina_id
        assert "http://schemas.openid.net/event/backchannel-logout" in got["events"]
        assert "nonce" not in got


@pytest.mark.parametrize("who", ["other_school", "disabled", "must_change"])
def test_openid_client_gets_no_tokens_for_people_it_may_not_have(
    provider: Provider, listener: Listener, who: str
) -> None:
    username, password = {
        "other_school": (provider.minh, MINH_PASSWORD),
        "disabled": (provider.people.otto, LINA_PASSWORD),
        "must_change": (provider.people.petra, PETRA_INITIAL),
    }[who]
    client_id, secret = provider.confidential
    out = run_rp(
        provider, listener, client_id=client_id, client_secret=secret, auth="basic",
        username=username, password=password,
    )  # fmt: skip
    assert "claims" not in out
    if who == "other_school":
        assert out["error"] == "access_denied"
    elif who == "disabled":
        assert out["first"] == {"stopped_at": "/signin", "status": 401}
    else:
        assert out["first"]["stopped_at"] == "/password/change"


def test_openid_client_after_the_session_expired(
    svc: Services, provider: Provider, listener: Listener
) -> None:
    def expire() -> None:  # as if 8 hours had passed: the session's end is in the past
        with write_connection(svc.engine) as conn:
            conn.execute(
                sa.update(sso_sessions).values(expires_at=utcnow() - dt.timedelta(seconds=1))
            )

    listener.on_expire = expire
    client_id, secret = provider.confidential
    out = run_rp(
        provider, listener, client_id=client_id, client_secret=secret, auth="basic",
        username=provider.people.lina, password=LINA_PASSWORD, mode="expire",
        expire_hook=f"{listener.base}/expire",
    )  # fmt: skip
    assert "claims" in out  # signed in once
    assert out["after_expiry"] == {"stopped_at": "/signin", "status": 200}
    assert out["silent_after_expiry"] == "login_required"


def test_openid_client_prompt_login_and_max_age(provider: Provider, listener: Listener) -> None:
    client_id, secret = provider.confidential
    out = run_rp(
        provider, listener, client_id=client_id, client_secret=secret, auth="basic",
        username=provider.people.lina, password=LINA_PASSWORD, mode="prompt",
    )  # fmt: skip
    signed_in = out["claims"]["auth_time"]
    assert out["login"]["reauths"] == 1
    assert out["login"]["auth_time"] > signed_in  # the password typed again
    assert out["within_max_age"] == {"reauths": 0, "auth_time": signed_in}
    assert out["max_age_zero"]["reauths"] == 1
    assert out["max_age_zero"]["auth_time"] > out["login"]["auth_time"]
    assert out["silent"] == {"reauths": 0, "auth_time": signed_in}
    assert out["consent"] == {"reauths": 0, "auth_time": signed_in}
    assert out["select_account"] == {"reauths": 0, "error": "account_selection_required"}
    # Signed out with prompt=login and max_age=0: one sign-in, openid-client accepts it.
    assert out["new_browser"]["signed_in"] is True
    assert out["new_browser"]["reauths"] == 0
    assert out["new_browser"]["auth_time"] >= out["max_age_zero"]["auth_time"]
    assert out["silent_signed_out"] == {"reauths": 0, "error": "login_required"}


def _wait_for_tokens(listener: Listener, count: int) -> list[str]:
    deadline = time.monotonic() + 20
    while len(listener.received) < count:
        assert time.monotonic() < deadline, listener.received
        time.sleep(0.2)
    return [token for _, token in listener.received]


def _logout_claims(provider: Provider, token: str) -> dict[str, Any]:
    decoded = jwt.decode(token, _jwks(provider), algorithms=["RS256"])
    assert decoded.header["typ"] == "logout+jwt"
    claims: dict[str, Any] = dict(decoded.claims)
    assert claims["iss"] == provider.issuer
    assert "http://schemas.openid.net/event/backchannel-logout" in claims["events"]
    return claims


def test_openid_client_is_told_when_the_password_changes_in_another_browser(
    provider: Provider, listener: Listener
) -> None:
    listener.fail_first = 0
    client_id, secret = provider.confidential
    out = run_rp(
        provider, listener, client_id=client_id, client_secret=secret, auth="basic",
        username=provider.people.lina, password=LINA_PASSWORD,
    )  # fmt: skip
    with httpx.Client(base_url=provider.issuer) as other:  # another browser
        page = other.get("/signin")
        form = {"username": provider.people.lina, "password": LINA_PASSWORD,
                "csrf": csrf_token(page)}  # fmt: skip
        assert other.post("/signin", data=form).status_code == 303
        page = other.get("/password/change")
        new = "Neue-Brücke-über-7"
        form = {"current_password": LINA_PASSWORD, "new_password": new,
                "repeat_password": new, "csrf": csrf_token(page)}  # fmt: skip
        assert other.post("/password/change", data=form).status_code == 303
    [token] = _wait_for_tokens(listener, 1)
    claims = _logout_claims(provider, token)
    assert (claims["aud"], claims["sid"]) == (client_id, out["claims"]["sid"])
    assert claims["sub"] == provider.people.lina_id


def test_openid_client_is_told_when_the_person_is_disabled(
    svc: Services, provider: Provider, listener: Listener
) -> None:
    listener.fail_first = 0
    client_id, secret = provider.confidential
    out = run_rp(
        provider, listener, client_id=client_id, client_secret=secret, auth="basic",
        username=provider.people.lina, password=LINA_PASSWORD,
    )  # fmt: skip
    admin = bearer(svc, ActorKind.SCHOOL_ADMIN, "91007")
    lina = provider.people.lina_id
    answer = httpx.post(f"{provider.issuer}/api/v1/users/{lina}/disable", headers=admin)
    assert answer.status_code == 200, answer.text
    [token] = _wait_for_tokens(listener, 1)
    claims = _logout_claims(provider, token)
    assert (claims["aud"], claims["sid"]) == (client_id, out["claims"]["sid"])
