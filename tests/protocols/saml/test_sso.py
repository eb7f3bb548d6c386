"""SP-initiated sign-in through both bindings, judged by python3-saml in strict mode
(signature, audience, destination, InResponseTo, times)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import sqlalchemy as sa

from schulhof.services.settings import load_settings
from schulhof.store.tables import audit_log
from tests.protocols.saml.browser import Browser
from tests.protocols.saml.conftest import Bench
from tests.protocols.saml.sp import PERSISTENT, TRANSIENT
from tests.protocols.saml.support import NS, accepted, response_xml, sign_in
from tests.web.signin.people import LINA_PASSWORD

ARC = "urn:oid:2.25.263349120443567158437236745009834119174"


def test_redirect_binding_gives_the_registered_attributes(bench: Bench, browser: Browser) -> None:
    form, request_id = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    assert form.fields["RelayState"] == "/kurs/7"
    outcome = accepted(bench.platform, form, request_id)
    lina = bench.people.lina
    assert outcome.friendly == {
        "uid": [lina],
        "displayName": ["Lina Öztürk"],
        "givenName": ["Lina"],
        "sn": ["Öztürk"],
        "eduPersonAffiliation": ["member", "student"],
        "eduPersonPrincipalName": [f"{lina}@127.0.0.1"],
        "eduPersonScopedAffiliation": ["member@127.0.0.1", "student@127.0.0.1"],
        "schulhofSchoolNumber": ["91007"],
        "schulhofClass": ["91007-7b"],
    }  # no mail: Lina has no address; no course: she is in none
    assert outcome.attributes["urn:oid:0.9.2342.19200300.100.1.1"] == [lina]
    assert outcome.attributes["urn:oid:1.3.6.1.4.1.5923.1.1.1.6"] == [f"{lina}@127.0.0.1"]
    assert outcome.attributes[f"{ARC}.1.1"] == ["91007"]
    assert outcome.attributes[f"{ARC}.3.1"] == ["91007-7b"]
    assert outcome.name_id_format == PERSISTENT
    for attribute in response_xml(form).iterfind(".//saml:Attribute", NS):
        assert attribute.get("NameFormat") == "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"


def test_the_assertion_is_signed_once_with_rsa_sha256_and_sha256_digests(
    bench: Bench, browser: Browser
) -> None:
    form, request_id = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    accepted(bench.platform, form, request_id)
    xml = response_xml(form)
    signatures = xml.findall(".//ds:Signature", NS)
    assert len(signatures) == 1  # on the assertion; the Response itself is not signed again
    assert signatures[0].getparent().tag == f"{{{NS['saml']}}}Assertion"
    method = signatures[0].find("ds:SignedInfo/ds:SignatureMethod", NS)
    digest = signatures[0].find("ds:SignedInfo/ds:Reference/ds:DigestMethod", NS)
    assert method is not None
    assert digest is not None
    assert method.get("Algorithm") == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    assert digest.get("Algorithm") == "http://www.w3.org/2001/04/xmlenc#sha256"
    conditions = xml.find(".//saml:Conditions", NS)
    assert conditions is not None
    audience = conditions.find("saml:AudienceRestriction/saml:Audience", NS)
    assert audience is not None
    assert audience.text == bench.platform.entity_id
    assert xml.get("Destination") == bench.platform.acs
    assert xml.get("InResponseTo") == request_id


def test_post_binding_gives_only_uid_to_the_library(bench: Bench, browser: Browser) -> None:
    form, request_id = sign_in(browser, bench.library, bench.people.lina, LINA_PASSWORD, post=True)
    outcome = accepted(bench.library, form, request_id)
    assert outcome.friendly == {"uid": [bench.people.lina]}


def test_persistent_name_id_is_stable_per_sp_and_differs_between_sps(
    bench: Bench, browser: Browser
) -> None:
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    first = accepted(bench.platform, form, rid).name_id
    form, rid = sign_in(browser, bench.platform, None, None)  # SSO: no password again
    again = accepted(bench.platform, form, rid).name_id
    form, rid = sign_in(browser, bench.library, None, None, post=True)
    library = accepted(bench.library, form, rid)
    assert first
    assert first == again
    assert library.name_id_format == PERSISTENT
    assert library.name_id
    assert library.name_id != first
    assert bench.people.lina_id not in {first, library.name_id}  # pairwise, not the id
    # A new session (another browser) gets the same pairwise identifier.
    with_other = Browser(bench.base)
    try:
        form, rid = sign_in(with_other, bench.platform, bench.people.lina, LINA_PASSWORD)
        assert accepted(bench.platform, form, rid).name_id == first
    finally:
        with_other.close()


def test_transient_name_id_differs_per_sign_in(bench: Bench, browser: Browser) -> None:
    sp = bench.library_transient
    form, rid = sign_in(browser, sp, bench.people.lina, LINA_PASSWORD)
    one = accepted(sp, form, rid)
    form, rid = sign_in(browser, sp, None, None)
    two = accepted(sp, form, rid)
    assert one.name_id_format == two.name_id_format == TRANSIENT
    assert one.name_id
    assert two.name_id
    assert one.name_id != two.name_id


def test_the_answer_page_posts_itself_with_a_nonce_and_no_external_assets(
    bench: Bench, browser: Browser
) -> None:
    url, _ = bench.platform.login_url()
    page = browser.sign_in(browser.get(url), bench.people.lina, LINA_PASSWORD)
    csp = page.headers["content-security-policy"]
    nonce = re.search(r"script-src 'nonce-([^']+)'", csp)
    assert nonce is not None
    assert "default-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert f'<script nonce="{nonce.group(1)}">' in page.text
    assert "<noscript>" in page.text
    assert "<button" in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-frame-options"] == "DENY"
    # The only URL outside this server is the form's target.
    assert set(re.findall(r'(?:href|src|action)="(https?://[^"]+)"', page.text)) == {
        bench.platform.acs
    }


def test_the_scope_comes_from_the_settings_file(
    bench: Bench, browser: Browser, tmp_path: Path
) -> None:
    toml = tmp_path / "schulhof.toml"
    toml.write_text('[saml]\nscope = "schulen.example.de"\n', encoding="utf-8")
    bench.svc.settings = load_settings(toml)
    form, rid = sign_in(browser, bench.platform, bench.people.lina, LINA_PASSWORD)
    outcome = accepted(bench.platform, form, rid)
    assert outcome.friendly["eduPersonPrincipalName"] == [f"{bench.people.lina}@schulen.example.de"]
    assert outcome.friendly["eduPersonScopedAffiliation"] == [
        "member@schulen.example.de",
        "student@schulen.example.de",
    ]


def test_each_assertion_is_audited_with_the_sp_and_the_attributes(
    bench: Bench, browser: Browser
) -> None:
    form, rid = sign_in(browser, bench.library, bench.people.lina, LINA_PASSWORD)
    accepted(bench.library, form, rid)
    with bench.svc.engine.connect() as conn:
        rows = conn.execute(
            sa.select(audit_log.c.actor, audit_log.c.target_id, audit_log.c.school,
                      audit_log.c.detail).where(audit_log.c.action == "saml.assertion")
        ).all()  # fmt: skip
    assert len(rows) == 1
    actor, target, school, detail = rows[0]
    assert (actor, target, school) == (f"person:{bench.people.lina}", bench.people.lina_id, "91007")
    detail = json.loads(detail) if isinstance(detail, str) else detail
    assert detail == {
        "sp": bench.library.entity_id,
        "name_id_format": PERSISTENT,
        "attributes": ["uid"],
    }
