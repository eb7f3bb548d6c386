"""Sign-out at Schulhof's own page reaches the SAML SPs (SQLite and PostgreSQL): the browser
is sent to each SP of the session that has a SingleLogoutService, one after another, with a
signed (RSA-SHA256) LogoutRequest each SP (python3-saml, strict) accepts, and ends on the
signed-out page. An SP without an SLO endpoint is skipped."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from schulhof.access.actors import OPERATOR
from schulhof.protocols.oidc.registration import client_config
from schulhof.protocols.saml.registration import register
from schulhof.services import clients, keys
from tests.protocols.saml.browser import Browser
from tests.protocols.saml.conftest import Bench
from tests.protocols.saml.sp import POST, RSA_SHA256, Outcome, ServiceProvider, inflate
from tests.protocols.saml.support import accepted, sign_in
from tests.protocols.saml.test_slo import _live_sessions
from tests.web.signin.people import LINA_PASSWORD, csrf_token


def _strict_about_signatures(sp: ServiceProvider) -> None:
    """From now on the SP refuses unsigned logout messages (set after the sign-in, whose
    Response the IdP signs in the assertion)."""
    sp.settings["security"]["wantMessagesSigned"] = True


def _sign_out(browser: Browser, next_url: str | None = None) -> httpx.Response:
    """The sign-out page's form, submitted; the answer is not followed off the IdP."""
    fields = {"csrf": csrf_token(browser.get("/signout"))}
    if next_url is not None:
        fields["next"] = next_url
    return browser.post("/signout", fields)


def _request_at(sp: ServiceProvider, hop: httpx.Response, signed_in: Outcome) -> str:
    """The SP's SLS gets the redirect: it must accept the LogoutRequest (signature, NameID,
    SessionIndex) and answers with the URL of its LogoutResponse at the IdP."""
    assert hop.status_code == 303, hop.text[:300]
    url = hop.headers["location"]
    assert url.startswith(sp.sls + "?SAMLRequest=")
    query = parse_qs(urlsplit(url).query)
    assert query["SigAlg"] == [RSA_SHA256]
    xml = inflate(query["SAMLRequest"][0])
    assert signed_in.name_id
    assert signed_in.name_id in xml
    assert signed_in.session_index
    assert signed_in.session_index in xml
    errors, answer = sp.logout_requested(url)
    assert errors == []
    assert answer is not None
    return answer


def test_sign_out_sends_the_browser_through_every_sp_and_back(
    bench: Bench, browser: Browser
) -> None:
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    at_platform = accepted(bench.platform, form, rid)
    form, rid = sign_in(browser, bench.library, None, None)
    at_library = accepted(bench.library, form, rid)
    _strict_about_signatures(bench.library)
    _strict_about_signatures(bench.platform)
    assert _live_sessions(bench) == 1
    hop = _sign_out(browser)
    assert _live_sessions(bench) == 0  # over at once, whatever the SPs do
    assert "schulhof_session" not in browser.http.cookies
    # The SPs in turn (by entity id): the learning platform, then the library.
    answer = _request_at(bench.platform, hop, at_platform)
    assert answer.startswith(f"{bench.base}/saml/slo/redirect?SAMLResponse=")
    hop = browser.http.get(answer)
    answer = _request_at(bench.library, hop, at_library)
    done = browser.get(answer)
    assert done.status_code == 200
    assert urlsplit(str(done.url)).path == "/signin"
    assert "signed_out=1" in str(done.url)
    assert "schulhof_saml_slo" not in browser.http.cookies
    # The chain is over: a replayed answer leads nowhere else.
    again = browser.get(answer)
    assert again.status_code == 200
    assert "abgemeldet" in again.text


def test_sign_out_ends_at_the_local_next_page(bench: Bench, browser: Browser) -> None:
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    at_platform = accepted(bench.platform, form, rid)
    hop = _sign_out(browser, "/signin?next=%2Faccount")
    answer = _request_at(bench.platform, hop, at_platform)
    last = browser.http.get(answer)
    assert last.status_code == 303
    assert last.headers["location"] == "/signin?next=%2Faccount"


def test_an_sp_without_an_slo_endpoint_is_skipped(bench: Bench, browser: Browser) -> None:
    cert = keys.signing_key(bench.svc, "saml").certificate_pem
    assert cert is not None
    quiet = ServiceProvider("stundenplan.example", bench.base, cert)
    del quiet.settings["sp"]["singleLogoutService"]
    assert "SingleLogoutService" not in quiet.metadata()
    register(bench.svc, OPERATOR, quiet.metadata(), source="quiet.xml", attribute_names=["uid"])
    form, rid = sign_in(browser, quiet, bench.people.lina, LINA_PASSWORD)
    accepted(quiet, form, rid)
    form, rid = sign_in(browser, bench.platform, None, None)
    at_platform = accepted(bench.platform, form, rid)
    hop = _sign_out(browser)
    answer = _request_at(bench.platform, hop, at_platform)  # straight to the platform
    done = browser.get(answer)
    assert urlsplit(str(done.url)).path == "/signin"
    assert _live_sessions(bench) == 0


def test_only_sps_without_slo_means_no_chain(bench: Bench, browser: Browser) -> None:
    cert = keys.signing_key(bench.svc, "saml").certificate_pem
    assert cert is not None
    quiet = ServiceProvider("stundenplan.example", bench.base, cert)
    del quiet.settings["sp"]["singleLogoutService"]
    register(bench.svc, OPERATOR, quiet.metadata(), source="quiet.xml", attribute_names=["uid"])
    form, rid = sign_in(browser, quiet, bench.people.lina, LINA_PASSWORD)
    accepted(quiet, form, rid)
    fields = {"csrf": csrf_token(browser.get("/signout"))}
    answer = browser.http.post(urljoin(bench.base, "/signout"), data=fields)
    assert answer.status_code == 303
    assert answer.headers["location"] == "/signin?signed_out=1"
    assert "schulhof_saml_slo" not in browser.http.cookies
    assert _live_sessions(bench) == 0


def test_an_sp_with_a_post_slo_endpoint_gets_a_signed_post(bench: Bench, browser: Browser) -> None:
    cert = keys.signing_key(bench.svc, "saml").certificate_pem
    assert cert is not None
    kurse = ServiceProvider("kurse.example", bench.base, cert)
    kurse.settings["sp"]["singleLogoutService"]["binding"] = POST
    register(bench.svc, OPERATOR, kurse.metadata(), source="kurse.xml", attribute_names=["uid"])
    form, rid = sign_in(browser, kurse, bench.people.lina, LINA_PASSWORD)
    at_kurse = accepted(kurse, form, rid)
    form, rid = sign_in(browser, bench.platform, None, None)
    at_platform = accepted(bench.platform, form, rid)
    _strict_about_signatures(bench.platform)
    page = _sign_out(browser)
    # kurse.example comes first: an auto-submitting form to its SLS.
    message = browser.saml_form(page)
    assert message.action == kurse.sls
    xml = base64.b64decode(message.fields["SAMLRequest"]).decode()
    xpath = "/samlp:LogoutRequest/ds:Signature"
    assert OneLogin_Saml2_Utils.validate_sign(xml.encode(), cert=cert, xpath=xpath)
    assert 'Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"' in xml
    request = OneLogin_Saml2_Logout_Request(
        OneLogin_Saml2_Settings(kurse.settings), message.fields["SAMLRequest"]
    )
    sls = {"https": "on", "http_host": kurse.host, "script_name": "/saml/sls",
           "get_data": {}, "post_data": message.fields}  # fmt: skip
    assert request.is_valid(sls, raise_exceptions=True)
    assert OneLogin_Saml2_Logout_Request.get_nameid(xml) == at_kurse.name_id
    assert OneLogin_Saml2_Logout_Request.get_session_indexes(xml) == [at_kurse.session_index]
    # kurse.example answers by redirect (a top-level GET: the Lax chain cookie goes along).
    hop = browser.http.get(f"{bench.base}/saml/slo/redirect?SAMLResponse=answer")
    answer = _request_at(bench.platform, hop, at_platform)
    done = browser.get(answer)
    assert urlsplit(str(done.url)).path == "/signin"


def test_rp_initiated_oidc_logout_also_tells_the_saml_sps(bench: Bench, browser: Browser) -> None:
    """The same session signed in to a SAML SP and an OIDC RP; the RP's logout (with
    id_token_hint) sends the browser through the SP's SLO, then on to the RP's registered
    post-logout URI with its state."""
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    at_platform = accepted(bench.platform, form, rid)
    _strict_about_signatures(bench.platform)
    rp, secret = clients.add(
        bench.svc,
        OPERATOR,
        protocol="oidc",
        name="Videokonferenz",
        config=client_config(
            redirect_uris=["https://video.example/cb"],
            post_logout_redirect_uris=["https://video.example/bye"],
        ),
        secret=True,
    )
    assert secret is not None
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode({
        "response_type": "code", "client_id": rp.id, "redirect_uri": "https://video.example/cb",
        "scope": "openid", "state": "s", "nonce": "n", "code_challenge_method": "S256",
        "code_challenge": challenge.rstrip(b"=").decode(),
    })  # fmt: skip
    to_rp = browser.get(f"/oidc/authorize?{query}")
    code = parse_qs(urlsplit(to_rp.headers["location"]).query)["code"][0]
    tokens = browser.http.post(
        f"{bench.base}/oidc/token",
        data={"grant_type": "authorization_code", "code": code, "code_verifier": verifier,
              "redirect_uri": "https://video.example/cb"},
        auth=(rp.id, secret),
    ).json()  # fmt: skip
    logout = urlencode({
        "id_token_hint": tokens["id_token"], "state": "back-again",
        "post_logout_redirect_uri": "https://video.example/bye",
    })  # fmt: skip
    hop = browser.get(f"/oidc/logout?{logout}")
    assert _live_sessions(bench) == 0
    answer = _request_at(bench.platform, hop, at_platform)
    last = browser.get(answer)  # the SP's answer, then our forwarding page
    assert last.status_code == 302
    assert last.headers["location"] == "https://video.example/bye?state=back-again"
    # The forwarding page forwards nowhere else.
    forged = browser.http.get(
        f"{bench.base}/oidc/logout/continue?"
        + urlencode({"to": "https://evil.example/", "mac": "x"})
    )
    assert forged.status_code == 400
