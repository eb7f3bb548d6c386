"""Single logout started by an SP (SAML Profiles §4.4): the SSO session ends, the SP gets a
LogoutResponse it accepts, and the next sign-in asks for the password again."""

from __future__ import annotations

import base64
from urllib.parse import parse_qs, urlsplit

import sqlalchemy as sa
from lxml import etree  # type: ignore[import-untyped]  # no stubs
from onelogin.saml2.logout_request import OneLogin_Saml2_Logout_Request
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from schulhof.access.actors import OPERATOR
from schulhof.protocols.saml.registration import register
from schulhof.services import keys, sessions
from schulhof.store.tables import sso_sessions
from tests.protocols.saml.browser import Browser
from tests.protocols.saml.conftest import Bench
from tests.protocols.saml.sp import PERSISTENT, POST, ServiceProvider, inflate
from tests.protocols.saml.support import NS, accepted, sign_in
from tests.web.signin.people import LINA_PASSWORD


def _live_sessions(bench: Bench) -> int:
    with bench.svc.engine.connect() as conn:
        return len(
            conn.execute(
                sa.select(sso_sessions.c.sid).where(sso_sessions.c.revoked_at.is_(None))
            ).all()
        )


def test_sp_initiated_logout_round_trip(bench: Bench, browser: Browser) -> None:
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    signed_in = accepted(bench.platform, form, rid)
    assert signed_in.name_id
    assert signed_in.session_index
    assert _live_sessions(bench) == 1
    url = bench.platform.logout_url(signed_in.name_id, signed_in.session_index, PERSISTENT)
    answer = browser.get(url)
    assert answer.status_code == 303
    target = answer.headers["location"]
    assert target.startswith(bench.platform.sls + "?")
    assert "SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256" in target
    assert bench.platform.logout_result(target) == []
    assert _live_sessions(bench) == 0
    # Signed out everywhere: the next request leads to the sign-in page.
    url, _ = bench.platform.login_url()
    assert urlsplit(str(browser.get(url).url)).path == "/signin"


def test_logout_works_without_the_cookie_by_session_index(bench: Bench, browser: Browser) -> None:
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    signed_in = accepted(bench.platform, form, rid)
    assert signed_in.name_id
    assert signed_in.session_index
    cookieless = Browser(bench.base)
    try:
        url = bench.platform.logout_url(signed_in.name_id, signed_in.session_index, PERSISTENT)
        answer = cookieless.http.get(url)
        assert answer.status_code == 303
        assert bench.platform.logout_result(answer.headers["location"]) == []
    finally:
        cookieless.close()
    assert _live_sessions(bench) == 0


def test_a_logout_request_for_another_name_id_ends_nothing(bench: Bench, browser: Browser) -> None:
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    signed_in = accepted(bench.platform, form, rid)
    assert signed_in.session_index
    url = bench.platform.logout_url("somebody-else", signed_in.session_index, PERSISTENT)
    answer = browser.http.get(url)
    assert answer.status_code == 303
    errors = bench.platform.logout_result(answer.headers["location"])
    assert errors == ["logout_not_success"]
    assert _live_sessions(bench) == 1


def test_the_session_index_of_one_sp_is_worthless_at_another(
    bench: Bench, browser: Browser
) -> None:
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    at_platform = accepted(bench.platform, form, rid)
    form, rid = sign_in(browser, bench.library, None, None)
    at_library = accepted(bench.library, form, rid)
    assert at_platform.session_index != at_library.session_index
    assert at_library.name_id
    assert at_platform.session_index
    # The library replays the platform's SessionIndex under its own entity id: no match.
    url = bench.library.logout_url(at_library.name_id, at_platform.session_index, PERSISTENT)
    answer = Browser(bench.base)
    try:
        reply = answer.http.get(url)
        assert bench.library.logout_result(reply.headers["location"]) == ["logout_not_success"]
    finally:
        answer.close()
    assert _live_sessions(bench) == 1
    assert sessions.clients_of(bench.svc, _only_sid(bench))


def _only_sid(bench: Bench) -> str:
    with bench.svc.engine.connect() as conn:
        return str(conn.execute(sa.select(sso_sessions.c.sid)).scalar_one())


def test_logout_at_one_sp_reaches_the_sessions_other_sps_through_the_browser(
    bench: Bench, browser: Browser
) -> None:
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    at_platform = accepted(bench.platform, form, rid)
    form, rid = sign_in(browser, bench.library, None, None)
    at_library = accepted(bench.library, form, rid)
    assert at_platform.name_id
    assert at_library.name_id
    assert at_library.session_index
    url = bench.platform.logout_url(at_platform.name_id, at_platform.session_index, PERSISTENT)
    # 1. The IdP ends the session and sends the browser to the library's SLS.
    hop = browser.get(url)
    assert hop.status_code == 303
    to_library = hop.headers["location"]
    assert to_library.startswith(bench.library.sls + "?SAMLRequest=")
    assert _live_sessions(bench) == 0
    # 2. The library (python3-saml, strict) accepts the LogoutRequest for its NameID and
    #    SessionIndex, and answers the IdP.
    errors, answer = bench.library.logout_requested(to_library)
    assert errors == []
    request_xml = inflate(parse_qs(urlsplit(to_library).query)["SAMLRequest"][0])
    assert at_library.name_id in request_xml
    assert at_library.session_index in request_xml
    assert answer is not None
    assert answer.startswith(f"{bench.base}/saml/slo/redirect?SAMLResponse=")
    # 3. Back at the IdP, the chain is done: the platform gets its LogoutResponse.
    final = browser.get(answer)
    assert final.status_code == 303
    assert final.headers["location"].startswith(bench.platform.sls + "?SAMLResponse=")
    assert bench.platform.logout_result(final.headers["location"]) == []
    assert "schulhof_saml_slo" not in browser.http.cookies


def test_a_logout_response_without_a_chain_shows_the_signed_out_page(
    bench: Bench, browser: Browser
) -> None:
    page = browser.get("/saml/slo/redirect?SAMLResponse=anything")
    assert page.status_code == 200
    assert "abgemeldet" in page.text


def test_post_binding_logout_without_the_cookie_answers_by_signed_post(
    bench: Bench, browser: Browser
) -> None:
    cert = keys.signing_key(bench.svc, "saml").certificate_pem
    assert cert is not None
    sp = ServiceProvider("kurse.example", bench.base, cert)
    sp.settings["sp"]["singleLogoutService"]["binding"] = POST
    sp.settings["idp"]["singleLogoutService"] = {
        "url": f"{bench.base}/saml/slo/post",
        "binding": POST,
    }
    register(bench.svc, OPERATOR, sp.metadata(), source="kurse.xml", attribute_names=["uid"])
    form, rid = sign_in(browser, sp, bench.people.lina, LINA_PASSWORD)
    signed_in = accepted(sp, form, rid)
    request = OneLogin_Saml2_Logout_Request(
        OneLogin_Saml2_Settings(sp.settings),
        name_id=signed_in.name_id,
        session_index=signed_in.session_index,
        name_id_format=PERSISTENT,
    )
    fields = {"SAMLRequest": base64.b64encode(request.get_xml().encode()).decode()}
    cross_site = Browser(bench.base)  # a cross-site POST carries no Lax cookie
    try:
        page = cross_site.post("/saml/slo/post", {**fields, "RelayState": "/abgemeldet"})
        answer = cross_site.saml_form(page)
    finally:
        cross_site.close()
    assert _live_sessions(bench) == 0
    assert answer.action == sp.sls
    assert answer.fields["RelayState"] == "/abgemeldet"
    xml = base64.b64decode(answer.fields["SAMLResponse"]).decode()
    xpath = "/samlp:LogoutResponse/ds:Signature"
    assert OneLogin_Saml2_Utils.validate_sign(xml.encode(), cert=cert, xpath=xpath)
    forged = xml.replace(f'InResponseTo="{request.id}"', 'InResponseTo="_other"').encode()
    assert not OneLogin_Saml2_Utils.validate_sign(forged, cert=cert, xpath=xpath)
    root = etree.fromstring(xml.encode())
    assert root.get("InResponseTo") == request.id
    assert root.get("Destination") == sp.sls
    status = root.find("samlp:Status/samlp:StatusCode", NS)
    assert status is not None
    assert status.get("Value") == "urn:oasis:names:tc:SAML:2.0:status:Success"
    method = root.find("ds:Signature/ds:SignedInfo/ds:SignatureMethod", NS)
    assert method is not None
    assert method.get("Algorithm") == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
