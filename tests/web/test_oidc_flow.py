"""The OIDC provider through its HTTP routes, as a relying party would use it by hand:
the code flow with PKCE, tokens, userinfo, refresh rotation, logout, and every refusal.
(openid-client, an independent RP, runs the same flows in tests/protocols/oidc.)"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient

from schulhof.access.actors import OPERATOR, ActorKind
from schulhof.services import audit, keys, persons
from schulhof.services.runtime import Services
from schulhof.store import jobs as job_store
from schulhof.store.database import read_connection
from schulhof.web.app import create_app
from tests.conftest import FixedClock
from tests.web.city import bearer
from tests.web.oidc_support import (
    AFTER_LOGOUT,
    BASE,
    MINH_PASSWORD,
    REDIRECT,
    Bench,
    authorize,
    build_bench,
    code_for,
    exchange,
    pkce,
    redirect_params,
    refresh,
    sign_in,
    userinfo,
    verified,
)
from tests.web.signin.people import LINA_PASSWORD, PETRA_INITIAL, csrf_token
from tests.web.signin.people import sign_in as sign_in_page


@pytest.fixture
def bench(svc: Services) -> Bench:
    keys.forget_cache(svc)
    return build_bench(svc)


@pytest.fixture
def browser(svc: Services, bench: Bench) -> Iterator[TestClient]:
    with TestClient(create_app(svc, worker=False), base_url=BASE, follow_redirects=False) as c:
        yield c


def _tokens(browser: TestClient, bench: Bench) -> dict[str, str]:
    verifier, challenge = pkce()
    code = code_for(browser, bench.client_id, challenge)
    answer = exchange(browser, code, verifier, client_id=bench.client_id, secret=bench.secret)
    assert answer.status_code == 200, answer.text
    assert answer.headers["cache-control"] == "no-store"
    tokens: dict[str, str] = answer.json()
    return tokens


def test_discovery_names_our_endpoints_and_keys(browser: TestClient) -> None:
    doc = browser.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == BASE
    assert doc["authorization_endpoint"] == f"{BASE}/oidc/authorize"
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert doc["backchannel_logout_session_supported"] is True
    jwks = browser.get("/oidc/jwks").json()["keys"]
    assert [k["alg"] for k in jwks] == ["RS256"]
    assert "d" not in jwks[0]


def test_code_flow_with_pkce_gives_verified_tokens_and_userinfo(
    browser: TestClient, bench: Bench
) -> None:
    first = authorize(browser, bench.client_id, challenge=pkce()[1])
    assert first.status_code == 303  # no session: to the sign-in page and back
    assert first.headers["location"].startswith("/signin?next=%2Foidc%2Fauthorize%3F")
    assert sign_in(browser, bench.people.lina).status_code == 303
    tokens = _tokens(browser, bench)
    header, claims = verified(browser, tokens["id_token"])
    assert header["kid"] == keys.signing_key(browser.app.state.services, "oidc").kid  # type: ignore[attr-defined]
    assert claims["iss"] == BASE
    assert claims["aud"] == bench.client_id
    assert claims["nonce"] == "n-1"
    assert claims["sub"] == bench.people.lina_id
    assert {"sid", "auth_time", "at_hash", "exp", "iat"} <= set(claims)
    assert claims["preferred_username"] == bench.people.lina
    assert claims["schools"] == ["91007"]
    assert claims["roles"] == ["student"]
    info = userinfo(browser, tokens["access_token"])
    assert info.status_code == 200
    assert info.json()["sub"] == claims["sub"]
    assert info.json()["given_name"] == "Lina"
    assert browser.get("/oidc/userinfo").status_code == 401
    forged = tokens["access_token"][:-4] + "AAAA"
    assert userinfo(browser, forged).status_code == 401


def test_claims_follow_scope_and_registration(browser: TestClient, bench: Bench) -> None:
    sign_in(browser, bench.people.lina)
    verifier, challenge = pkce()
    answer = authorize(
        browser, bench.client_id, challenge=challenge, scope="openid email offline_access"
    )
    code = redirect_params(answer)["code"]
    tokens = exchange(
        browser, code, verifier, client_id=bench.client_id, secret=bench.secret
    ).json()
    _, claims = verified(browser, tokens["id_token"])
    assert tokens["scope"] == "openid email offline_access"
    assert "refresh_token" in tokens
    assert "preferred_username" not in claims
    assert "roles" not in claims
    # The public client was registered with no claims and a pairwise subject.
    verifier, challenge = pkce()
    code = code_for(browser, bench.public_id, challenge)
    public = exchange(browser, code, verifier, client_id=bench.public_id).json()
    _, pclaims = verified(browser, public["id_token"])
    assert pclaims["sub"] != bench.people.lina_id
    assert pclaims["sid"] != claims["sid"]  # no shared session id to join subjects on
    assert "preferred_username" not in pclaims
    assert "email" not in pclaims


def test_client_secret_post_works_and_a_wrong_secret_does_not(
    browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.lina)
    verifier, challenge = pkce()
    code = code_for(browser, bench.client_id, challenge)
    wrong = exchange(browser, code, verifier, client_id=bench.client_id, secret="nope")
    assert wrong.status_code == 401
    assert wrong.json()["error"] == "invalid_client"
    code = code_for(browser, bench.client_id, challenge)
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
            "code_verifier": verifier, "client_id": bench.client_id,
            "client_secret": bench.secret}  # fmt: skip
    assert browser.post("/oidc/token", data=form).status_code == 200
    # A confidential client may not pretend to be public.
    code = code_for(browser, bench.client_id, challenge)
    assert exchange(browser, code, verifier, client_id=bench.client_id).status_code in (400, 401)


def test_refresh_rotates_and_reuse_revokes_the_family(
    svc: Services, browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.lina)
    first = _tokens(browser, bench)["refresh_token"]
    second_answer = refresh(browser, first, bench.client_id, bench.secret)
    assert second_answer.status_code == 200
    second = second_answer.json()["refresh_token"]
    assert second != first
    reused = refresh(browser, first, bench.client_id, bench.secret)
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    # The whole family is revoked: the newest token too, and its access token's userinfo.
    assert refresh(browser, second, bench.client_id, bench.secret).status_code == 400
    access = second_answer.json()["access_token"]
    assert userinfo(browser, access).status_code == 401
    page = audit.list_audit(svc, OPERATOR, action="oidc.refresh_reuse")
    assert [e.target_id for e in page.items] == [bench.people.lina_id]


def test_a_reused_code_is_refused_and_revokes_what_it_gave(
    browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.lina)
    verifier, challenge = pkce()
    code = code_for(browser, bench.client_id, challenge)
    tokens = exchange(
        browser, code, verifier, client_id=bench.client_id, secret=bench.secret
    ).json()
    again = exchange(browser, code, verifier, client_id=bench.client_id, secret=bench.secret)
    assert again.status_code == 400
    assert again.json()["error"] == "invalid_grant"
    answer = refresh(browser, tokens["refresh_token"], bench.client_id, bench.secret)
    assert answer.json()["error"] == "invalid_grant"


def test_an_expired_code_is_refused(browser: TestClient, bench: Bench, clock: FixedClock) -> None:
    sign_in(browser, bench.people.lina)
    verifier, challenge = pkce()
    code = code_for(browser, bench.client_id, challenge)
    clock.advance(seconds=61)
    answer = exchange(browser, code, verifier, client_id=bench.client_id, secret=bench.secret)
    assert answer.json()["error"] == "invalid_grant"


def test_a_wrong_pkce_verifier_is_refused(browser: TestClient, bench: Bench) -> None:
    sign_in(browser, bench.people.lina)
    _, challenge = pkce()
    code = code_for(browser, bench.public_id, challenge)
    other, _ = pkce()
    answer = exchange(browser, code, other, client_id=bench.public_id)
    assert answer.status_code == 400
    assert answer.json()["error"] == "invalid_grant"


def test_a_public_client_must_use_s256(browser: TestClient, bench: Bench) -> None:
    sign_in(browser, bench.people.lina)
    assert redirect_params(authorize(browser, bench.public_id, challenge=None))["error"] == (
        "invalid_request"
    )
    plain = authorize(browser, bench.public_id, challenge=None, code_challenge="x" * 43,
                      code_challenge_method="plain")  # fmt: skip
    assert redirect_params(plain)["error"] == "invalid_request"


def test_a_wrong_redirect_uri_gets_an_error_page_not_a_redirect(
    browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.lina)
    for uri in ("http://127.0.0.1:9999/cb/../evil", "https://evil.example/cb", REDIRECT + "x"):
        answer = authorize(browser, bench.client_id, challenge=pkce()[1], redirect_uri=uri)
        assert answer.status_code == 400
        assert "location" not in answer.headers
    unknown = authorize(browser, "no-such-client", challenge=pkce()[1])
    assert unknown.status_code == 400
    assert "location" not in unknown.headers
    # At the token endpoint the redirect URI must be the one the code was issued for.
    verifier, challenge = pkce()
    code = code_for(browser, bench.client_id, challenge)
    answer = exchange(browser, code, verifier, client_id=bench.client_id, secret=bench.secret,
                      redirect_uri=REDIRECT + "/other")  # fmt: skip
    assert answer.json()["error"] == "invalid_grant"


def test_a_person_of_a_school_the_client_may_not_see_is_refused(
    browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.minh, MINH_PASSWORD)
    refused = redirect_params(authorize(browser, bench.client_id, challenge=pkce()[1]))
    assert (refused["error"], refused["state"]) == ("access_denied", "st-1")
    assert "code" not in refused


def test_a_disabled_person_gets_no_code_and_no_refresh(
    svc: Services, browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.lina)
    tokens = _tokens(browser, bench)
    persons.disable_person(svc, OPERATOR, bench.people.lina)
    answer = authorize(browser, bench.client_id, challenge=pkce()[1])
    assert "code=" not in answer.headers.get("location", "")
    assert refresh(browser, tokens["refresh_token"], bench.client_id, bench.secret).is_error
    access = tokens["access_token"]
    assert userinfo(browser, access).status_code == 401


def test_a_person_who_must_change_the_initial_password_gets_no_code(
    browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.petra, PETRA_INITIAL)
    answer = authorize(browser, bench.client_id, challenge=pkce()[1])
    assert answer.status_code == 303
    follow = browser.get(answer.headers["location"])
    assert follow.status_code == 303
    assert follow.headers["location"].startswith("/password/change?next=%2Foidc%2Fauthorize")


def test_an_expired_session_signs_in_again(
    browser: TestClient, bench: Bench, clock: FixedClock
) -> None:
    sign_in(browser, bench.people.lina)
    clock.advance(hours=9)
    answer = authorize(browser, bench.client_id, challenge=pkce()[1])
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/signin?")
    none = authorize(browser, bench.client_id, challenge=pkce()[1], prompt="none")
    assert redirect_params(none)["error"] == "login_required"


def test_rp_initiated_logout_ends_the_session_and_queues_backchannel_logout(
    svc: Services, browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.lina)
    tokens = _tokens(browser, bench)
    bad = browser.get("/oidc/logout", params={"id_token_hint": tokens["id_token"],
                      "post_logout_redirect_uri": "https://evil.example/"})  # fmt: skip
    assert bad.status_code == 400
    assert "location" not in bad.headers
    answer = browser.get("/oidc/logout", params={"id_token_hint": tokens["id_token"],
                         "post_logout_redirect_uri": AFTER_LOGOUT, "state": "bye-1"})  # fmt: skip
    assert answer.status_code == 302
    target = urlsplit(answer.headers["location"])
    assert f"{target.scheme}://{target.netloc}{target.path}" == AFTER_LOGOUT
    assert parse_qs(target.query) == {"state": ["bye-1"]}
    # Signed out: the next authorization needs a sign-in; the refresh token is revoked.
    assert authorize(browser, bench.client_id, challenge=pkce()[1]).status_code == 303
    assert refresh(browser, tokens["refresh_token"], bench.client_id, bench.secret).is_error
    with read_connection(svc.engine) as conn:
        queued = [j for j in job_store.list_page(conn) if j.kind == "oidc.backchannel_logout"]
    assert len(queued) == 1
    assert queued[0].params["client_id"] == bench.client_id


def test_logout_without_a_hint_asks_first(browser: TestClient, bench: Bench) -> None:
    sign_in(browser, bench.people.lina)
    answer = browser.get("/oidc/logout")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signout"
    assert authorize(browser, bench.client_id, challenge=pkce()[1]).status_code == 302


def test_after_a_key_rotation_old_tokens_still_verify(
    svc: Services, browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.lina)
    before = _tokens(browser, bench)
    old_kid = verified(browser, before["id_token"])[0]["kid"]
    keys.rotate(svc, OPERATOR, "oidc")
    after = _tokens(browser, bench)
    new_kid = verified(browser, after["id_token"])[0]["kid"]
    assert new_kid != old_kid
    published = {k["kid"] for k in browser.get("/oidc/jwks").json()["keys"]}
    assert published == {old_kid, new_kid}
    assert userinfo(browser, before["access_token"]).status_code == 200


def test_a_plain_http_issuer_off_loopback_is_refused(svc: Services, bench: Bench) -> None:
    app = create_app(svc, worker=False)
    with TestClient(app, base_url="http://schulhof.example", follow_redirects=False) as c:
        answer = authorize(c, bench.client_id, challenge=pkce()[1])
        assert answer.status_code == 400
        token = c.post("/oidc/token", data={"grant_type": "authorization_code", "code": "x"})
        assert token.status_code == 400


def test_authorize_and_logout_also_take_post(browser: TestClient, bench: Bench) -> None:
    verifier, challenge = pkce()
    form = {"response_type": "code", "client_id": bench.client_id, "redirect_uri": REDIRECT,
            "scope": "openid", "state": "p", "code_challenge": challenge,
            "code_challenge_method": "S256"}  # fmt: skip
    first = browser.post("/oidc/authorize", data=form)
    assert first.status_code == 303
    back = parse_qs(urlsplit(first.headers["location"]).query)["next"][0]
    assert parse_qs(urlsplit(back).query)["code_challenge"] == [challenge]
    sign_in(browser, bench.people.lina)
    code = redirect_params(browser.get(back))["code"]
    tokens = exchange(
        browser, code, verifier, client_id=bench.client_id, secret=bench.secret
    ).json()
    answer = browser.post("/oidc/logout", data={"id_token_hint": tokens["id_token"]})
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?signed_out=1"
    assert authorize(browser, bench.client_id, challenge=challenge).status_code == 303


def test_a_pairwise_clients_hint_signs_out_its_session(browser: TestClient, bench: Bench) -> None:
    sign_in(browser, bench.people.lina)
    verifier, challenge = pkce()
    code = code_for(browser, bench.public_id, challenge)
    hint = exchange(browser, code, verifier, client_id=bench.public_id).json()["id_token"]
    params = {"id_token_hint": hint, "post_logout_redirect_uri": AFTER_LOGOUT}
    answer = browser.get("/oidc/logout", params=params)
    assert answer.status_code == 302
    assert answer.headers["location"] == AFTER_LOGOUT
    assert authorize(browser, bench.client_id, challenge=challenge).status_code == 303


def test_cors_lets_only_the_clients_own_origin_read_tokens(
    browser: TestClient, bench: Bench
) -> None:
    mine, other = "http://127.0.0.1:9999", "https://evil.example"
    assert browser.get("/oidc/jwks").headers["access-control-allow-origin"] == "*"
    pre = browser.options("/oidc/userinfo", headers={"Origin": other,
                          "Access-Control-Request-Headers": "authorization"})  # fmt: skip
    assert pre.status_code == 204
    assert "Authorization" in pre.headers["access-control-allow-headers"]
    sign_in(browser, bench.people.lina)
    answers = {}
    for origin in (mine, other):
        verifier, challenge = pkce()
        code = code_for(browser, bench.public_id, challenge)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT,
                "code_verifier": verifier, "client_id": bench.public_id}  # fmt: skip
        answers[origin] = browser.post("/oidc/token", data=form, headers={"Origin": origin})
    assert answers[mine].headers["access-control-allow-origin"] == mine
    assert "access-control-allow-origin" not in answers[other].headers
    access = answers[mine].json()["access_token"]
    for origin, allowed in ((mine, True), (other, False)):
        info = browser.get("/oidc/userinfo", headers={"Authorization": f"Bearer {access}",
                           "Origin": origin})  # fmt: skip
        assert info.status_code == 200
        assert ("access-control-allow-origin" in info.headers) is allowed


# --- prompt and max_age (OIDC Core §3.1.2.1) ---


def _reauth(browser: TestClient, page: httpx.Response, password: str) -> httpx.Response:
    """Type the password into the re-authentication page's form (first shown, or again
    after a wrong password)."""
    assert page.status_code in (200, 401), page.text
    assert 'action="/oidc/reauth"' in page.text
    request = re.search(r'name="request" value="([^"]*)"', page.text)
    assert request is not None
    form = {"request": html.unescape(request.group(1)), "csrf": csrf_token(page),
            "password": password}  # fmt: skip
    answer: httpx.Response = browser.post("/oidc/reauth", data=form)
    return answer


def _auth_time(browser: TestClient, bench: Bench, answer: httpx.Response, verifier: str) -> int:
    code = redirect_params(answer)["code"]
    tokens = exchange(browser, code, verifier, client_id=bench.client_id, secret=bench.secret)
    _, claims = verified(browser, tokens.json()["id_token"])
    return int(claims["auth_time"])


def test_prompt_login_asks_for_the_password_again_and_auth_time_is_new(
    svc: Services, browser: TestClient, bench: Bench, clock: FixedClock
) -> None:
    sign_in(browser, bench.people.lina)
    signed_in = int(clock.now.timestamp())
    clock.advance(minutes=10)
    verifier, challenge = pkce()
    page = authorize(browser, bench.client_id, challenge=challenge, prompt="login")
    assert "code=" not in page.headers.get("location", "")
    wrong = _reauth(browser, page, "not-the-password")
    assert wrong.status_code == 401
    assert 'role="alert"' in wrong.text
    answer = _reauth(browser, wrong, LINA_PASSWORD)
    assert redirect_params(answer)["state"] == "st-1"
    assert _auth_time(browser, bench, answer, verifier) == signed_in + 600
    # The same prompt=login request again: asked again (no marker, no time window).
    again = authorize(browser, bench.client_id, challenge=pkce()[1], prompt="login")
    assert again.status_code == 200
    assert 'action="/oidc/reauth"' in again.text
    failed = audit.list_audit(svc, OPERATOR, action="signin.failed")
    assert [(e.detail or {}).get("channel") for e in failed.items] == ["oidc"]


def test_the_reauth_form_needs_its_csrf_token(browser: TestClient, bench: Bench) -> None:
    sign_in(browser, bench.people.lina)
    page = authorize(browser, bench.client_id, challenge=pkce()[1], prompt="login")
    request = re.search(r'name="request" value="([^"]*)"', page.text)
    assert request is not None
    form = {"request": html.unescape(request.group(1)), "password": LINA_PASSWORD}
    assert browser.post("/oidc/reauth", data=form).status_code == 403
    form["csrf"] = "0" * 64
    assert browser.post("/oidc/reauth", data=form).status_code == 403


def test_prompt_login_without_a_session_signs_in_once_not_twice(
    browser: TestClient, bench: Bench, clock: FixedClock
) -> None:
    verifier, challenge = pkce()
    first = authorize(browser, bench.client_id, challenge=challenge, prompt="login")
    assert first.status_code == 303
    next_url = unquote(first.headers["location"].partition("next=")[2])
    assert "schulhof_oidc_fresh=" in next_url
    assert "prompt=login" in next_url
    clock.advance(seconds=5)
    signed = sign_in_page(browser, bench.people.lina, LINA_PASSWORD, next_url)
    assert signed.headers["location"] == next_url
    back = browser.get(next_url)  # the marker holds: a code, no second password prompt
    assert _auth_time(browser, bench, back, verifier) == int(clock.now.timestamp())
    # One-time: the same URL from the history asks for the password again.
    replay = browser.get(next_url)
    assert replay.status_code == 200
    assert 'action="/oidc/reauth"' in replay.text


def test_a_marker_from_before_the_session_does_not_hold(
    browser: TestClient, bench: Bench, clock: FixedClock
) -> None:
    sign_in(browser, bench.people.lina)
    clock.advance(minutes=5)
    # A marker is issued only without a session; one issued earlier (or forged) is refused.
    forged = authorize(browser, bench.client_id, challenge=pkce()[1], prompt="login",
                       schulhof_oidc_fresh="1.abc.0123")  # fmt: skip
    assert forged.status_code == 200
    assert 'action="/oidc/reauth"' in forged.text


def test_max_age_exceeded_asks_again_and_within_it_does_not(
    browser: TestClient, bench: Bench, clock: FixedClock
) -> None:
    sign_in(browser, bench.people.lina)
    signed_in = int(clock.now.timestamp())
    clock.advance(seconds=100)
    verifier, challenge = pkce()
    within = authorize(browser, bench.client_id, challenge=challenge, max_age="300")
    assert _auth_time(browser, bench, within, verifier) == signed_in  # auth_time included
    verifier, challenge = pkce()
    beyond = authorize(browser, bench.client_id, challenge=challenge, max_age="60")
    answer = _reauth(browser, beyond, LINA_PASSWORD)
    assert _auth_time(browser, bench, answer, verifier) == signed_in + 100
    zero = authorize(browser, bench.client_id, challenge=pkce()[1], max_age="0")
    assert 'action="/oidc/reauth"' in zero.text  # max_age=0: always
    bad = authorize(browser, bench.client_id, challenge=pkce()[1], max_age="soon")
    assert redirect_params(bad)["error"] == "invalid_request"


def test_prompt_none_without_a_session_or_with_a_restricted_one(
    browser: TestClient, bench: Bench
) -> None:
    none = authorize(browser, bench.client_id, challenge=pkce()[1], prompt="none")
    assert redirect_params(none) == {"error": "login_required", "state": "st-1"}
    sign_in(browser, bench.people.petra, PETRA_INITIAL)
    restricted = authorize(browser, bench.client_id, challenge=pkce()[1], prompt="none")
    assert redirect_params(restricted)["error"] == "interaction_required"
    mixed = authorize(browser, bench.client_id, challenge=pkce()[1], prompt="none login")
    assert redirect_params(mixed)["error"] == "invalid_request"


def test_prompt_consent_is_the_registration_and_select_account_is_refused(
    browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.lina)
    consent = authorize(browser, bench.client_id, challenge=pkce()[1], prompt="consent")
    assert "code" in redirect_params(consent)
    select = authorize(browser, bench.client_id, challenge=pkce()[1], prompt="select_account")
    assert redirect_params(select)["error"] == "account_selection_required"
    none = authorize(browser, bench.client_id, challenge=pkce()[1], prompt="none")
    assert "code" in redirect_params(none)  # a live session: prompt=none gets its code


def test_prompt_none_with_a_sign_in_older_than_max_age_is_login_required(
    browser: TestClient, bench: Bench, clock: FixedClock
) -> None:
    sign_in(browser, bench.people.lina)
    clock.advance(seconds=120)
    silent = authorize(browser, bench.client_id, challenge=pkce()[1], prompt="none", max_age="60")
    assert redirect_params(silent)["error"] == "login_required"


# --- back-channel logout when sessions end by other paths ---


def _backchannel_jobs(svc: Services) -> list[dict[str, object]]:
    with read_connection(svc.engine) as conn:
        found = job_store.list_page(conn)
    return [j.params for j in found if j.kind == "oidc.backchannel_logout"]


def test_a_password_changed_in_another_browser_tells_the_rp_of_this_session(
    svc: Services, browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.lina)
    tokens = _tokens(browser, bench)
    _, claims = verified(browser, tokens["id_token"])
    with TestClient(browser.app, base_url=BASE, follow_redirects=False) as other:
        sign_in(other, bench.people.lina)
        page = other.get("/password/change")
        form = {"current_password": LINA_PASSWORD, "new_password": "Neue-Brücke-über-7",
                "repeat_password": "Neue-Brücke-über-7", "csrf": csrf_token(page)}  # fmt: skip
        assert other.post("/password/change", data=form).status_code == 303
        # The other browser's own session goes on (it signed in to no RP: nothing queued).
        assert other.get("/account").status_code == 200
    [job] = _backchannel_jobs(svc)
    assert job == {"issuer": BASE, "client_id": bench.client_id, "sid": claims["sid"],
                   "sub": bench.people.lina_id, "attempt": 1}  # fmt: skip
    assert refresh(browser, tokens["refresh_token"], bench.client_id, bench.secret).is_error
    assert authorize(browser, bench.client_id, challenge=pkce()[1]).status_code == 303


def test_disabling_a_person_over_the_api_tells_the_rps(
    svc: Services, browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.lina)
    tokens = _tokens(browser, bench)
    _, claims = verified(browser, tokens["id_token"])
    admin = bearer(svc, ActorKind.SCHOOL_ADMIN, "91007")
    answer = browser.post(f"/api/v1/users/{bench.people.lina_id}/disable", headers=admin)
    assert answer.status_code == 200, answer.text
    [job] = _backchannel_jobs(svc)
    assert (job["client_id"], job["sid"]) == (bench.client_id, claims["sid"])
    # Disabling again ends nothing more, and tells nobody twice.
    browser.post(f"/api/v1/users/{bench.people.lina_id}/disable", headers=admin)
    assert len(_backchannel_jobs(svc)) == 1
    assert refresh(browser, tokens["refresh_token"], bench.client_id, bench.secret).is_error


def test_taking_the_last_role_away_tells_the_rps_too(
    svc: Services, browser: TestClient, bench: Bench
) -> None:
    sign_in(browser, bench.people.lina)
    _tokens(browser, bench)
    [context] = persons.load_readable(svc, OPERATOR, bench.people.lina).contexts
    persons.remove_context(svc, OPERATOR, bench.people.lina, context)
    assert len(_backchannel_jobs(svc)) == 1
