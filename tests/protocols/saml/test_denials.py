"""Who gets no assertion: unknown SPs, foreign ACS URLs, people outside the SP's schools,
disabled people, people who must change their initial password, expired sessions."""

from __future__ import annotations

import sqlalchemy as sa

from schulhof.access.actors import OPERATOR
from schulhof.services import keys, persons
from schulhof.store.tables import audit_log
from tests.protocols.saml.browser import Browser, forms
from tests.protocols.saml.conftest import MINH_PASSWORD, Bench
from tests.protocols.saml.sp import ServiceProvider
from tests.protocols.saml.support import NS, accepted, response_xml, sign_in
from tests.web.signin.people import LINA_PASSWORD, PETRA_INITIAL, csrf_token

SIGNIN = "/signin"


def _path(page: object) -> str:
    from urllib.parse import urlsplit

    return urlsplit(str(page.url)).path  # type: ignore[attr-defined]


def _no_saml_form(page: object) -> None:
    found = forms(page)  # type: ignore[arg-type]
    assert not any("SAMLResponse" in f for _, f in found)


def test_an_unknown_sp_gets_an_error_page_and_nothing_else(bench: Bench, browser: Browser) -> None:
    cert = keys.signing_key(bench.svc, "saml").certificate_pem
    assert cert is not None
    stranger = ServiceProvider("fremd.example", bench.base, cert)
    url, _ = stranger.login_url()
    page = browser.get(url)
    assert page.status_code == 400
    assert "not registered" in page.text
    _no_saml_form(page)


def test_an_acs_url_not_in_the_metadata_is_refused_before_sign_in(
    bench: Bench, browser: Browser
) -> None:
    cert = keys.signing_key(bench.svc, "saml").certificate_pem
    assert cert is not None
    # The registered SP's entity id, but an ACS of somebody else's.
    forged = ServiceProvider("lernplattform.example", bench.base, cert)
    forged.settings["sp"]["assertionConsumerService"]["url"] = "https://evil.example/acs"
    url, _ = forged.login_url()
    page = browser.get(url)
    assert page.status_code == 400
    assert "AssertionConsumerServiceURL" in page.text
    assert "evil.example" not in page.text.replace("AssertionConsumerServiceURL", "")
    _no_saml_form(page)


def test_a_person_of_another_school_gets_request_denied_without_an_assertion(
    bench: Bench, browser: Browser
) -> None:
    form, request_id = sign_in(browser, bench.platform, bench.minh, MINH_PASSWORD)
    xml = response_xml(form)
    assert xml.find(".//saml:Assertion", NS) is None
    codes = [c.get("Value") for c in xml.iterfind(".//samlp:StatusCode", NS)]
    assert codes == [
        "urn:oasis:names:tc:SAML:2.0:status:Responder",
        "urn:oasis:names:tc:SAML:2.0:status:RequestDenied",
    ]
    outcome = bench.platform.consume(form.fields, request_id)
    assert outcome.errors
    assert outcome.name_id is None
    assert "Responder" in (outcome.reason or "")
    # The media library serves every school: Minh may use that one.
    form, request_id = sign_in(browser, bench.library, None, None)
    assert accepted(bench.library, form, request_id).friendly == {"uid": [bench.minh]}
    with bench.svc.engine.connect() as conn:
        denied = conn.execute(
            sa.select(audit_log.c.target_id).where(audit_log.c.action == "saml.denied")
        ).all()
    assert [r.target_id for r in denied] == [bench.minh_id]


def test_a_disabled_person_cannot_sign_in(bench: Bench, browser: Browser) -> None:
    url, _ = bench.platform.login_url()
    page = browser.sign_in(browser.get(url), bench.people.otto, LINA_PASSWORD)
    assert _path(page) == SIGNIN
    _no_saml_form(page)


def test_a_person_disabled_while_signed_in_gets_no_further_assertion(
    bench: Bench, browser: Browser
) -> None:
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    accepted(bench.platform, form, rid)
    persons.disable_person(bench.svc, OPERATOR, bench.people.lina)
    url, _ = bench.platform.login_url()
    page = browser.get(url)
    assert _path(page) == SIGNIN
    _no_saml_form(page)


def test_an_initial_password_must_be_changed_before_any_assertion(
    bench: Bench, browser: Browser
) -> None:
    url, _ = bench.platform.login_url()
    page = browser.sign_in(browser.get(url), bench.people.petra, PETRA_INITIAL)
    assert _path(page) == "/password/change"
    _no_saml_form(page)
    # Coming back to the request with the restricted session changes nothing.
    again, _ = bench.platform.login_url()
    page = browser.get(again)
    assert _path(page) == "/password/change"
    _no_saml_form(page)
    # Once changed, the pending request is answered.
    fields = next(f for _, f in forms(page) if "new_password" in f)
    new = "Kreide-Tafel-Schwamm-81"
    fields.update(
        current_password=PETRA_INITIAL,
        new_password=new,
        repeat_password=new,
        csrf=csrf_token(page),
    )
    page = browser.post("/password/change", fields)
    form = browser.saml_form(page)
    outcome = accepted(bench.platform, form, _request_id_of(again))
    assert outcome.friendly["uid"] == [bench.people.petra]
    assert outcome.friendly["eduPersonAffiliation"] == ["faculty", "member"]


def _request_id_of(url: str) -> str:
    import base64
    import zlib
    from urllib.parse import parse_qs, urlsplit

    from lxml import etree  # type: ignore[import-untyped]  # no stubs

    raw = parse_qs(urlsplit(url).query)["SAMLRequest"][0]
    xml = etree.fromstring(zlib.decompress(base64.b64decode(raw), -15))
    return str(xml.get("ID"))


def test_an_expired_session_leads_to_the_sign_in_page(bench: Bench, browser: Browser) -> None:
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    accepted(bench.platform, form, rid)
    bench.clock.advance(hours=8, minutes=1)
    url, _ = bench.platform.login_url()
    page = browser.get(url)
    assert _path(page) == SIGNIN
    _no_saml_form(page)


def test_is_passive_without_a_session_answers_no_passive(bench: Bench, browser: Browser) -> None:
    url, request_id = bench.platform.login_url(is_passive=True)
    form = browser.saml_form(browser.get(url))
    codes = [c.get("Value") for c in response_xml(form).iterfind(".//samlp:StatusCode", NS)]
    assert codes[-1] == "urn:oasis:names:tc:SAML:2.0:status:NoPassive"
    assert bench.platform.consume(form.fields, request_id).errors


def test_a_tampered_resume_link_is_refused(bench: Bench, browser: Browser) -> None:
    url, _ = bench.platform.login_url()
    first = browser.http.get(url)
    assert first.status_code == 303
    location = first.headers["location"]
    body, _, tag = location.partition("?p=")[2].partition(".")
    forged = browser.get(f"/saml/sso/continue?p={body}.{tag[:-2]}AA")
    assert forged.status_code == 400
    _no_saml_form(forged)
