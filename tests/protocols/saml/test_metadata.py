"""The IdP's metadata as an SP reads it, and SP metadata as the registry reads it."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from lxml import etree  # type: ignore[import-untyped]  # no stubs
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from schulhof.access.actors import OPERATOR
from schulhof.domain.errors import ValidationError
from schulhof.protocols.saml.registration import register
from schulhof.services import clients, keys
from schulhof.services.runtime import Services, open_services
from tests.cli.runner import run, run_json
from tests.protocols.saml.conftest import Bench
from tests.protocols.saml.sp import POST, REDIRECT, ServiceProvider
from tests.protocols.saml.support import NS


def _body(pem: str) -> str:
    return "".join(line for line in pem.splitlines() if "-----" not in line)


def test_idp_metadata_names_both_bindings_and_the_signing_certificate(bench: Bench) -> None:
    xml = httpx.get(f"{bench.base}/saml/metadata").text
    parsed = OneLogin_Saml2_IdPMetadataParser.parse(xml)["idp"]
    assert parsed["entityId"] == f"{bench.base}/saml/metadata"
    cert = keys.signing_key(bench.svc, "saml").certificate_pem
    assert cert is not None
    assert parsed["x509cert"] == _body(cert)
    root = etree.fromstring(xml.encode())
    endpoints = {
        (e.tag.split("}")[1], e.get("Binding"), e.get("Location"))
        for e in root.iterfind(".//md:IDPSSODescriptor/*", NS)
        if e.get("Binding")
    }
    assert endpoints == {
        ("SingleSignOnService", REDIRECT, f"{bench.base}/saml/sso/redirect"),
        ("SingleSignOnService", POST, f"{bench.base}/saml/sso/post"),
        ("SingleLogoutService", REDIRECT, f"{bench.base}/saml/slo/redirect"),
        ("SingleLogoutService", POST, f"{bench.base}/saml/slo/post"),
    }
    formats = {f.text for f in root.iterfind(".//md:NameIDFormat", NS)}
    assert formats == {
        "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent",
        "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
    }


def test_signed_idp_metadata_verifies_with_rsa_sha256(bench: Bench) -> None:
    xml = httpx.get(f"{bench.base}/saml/metadata", params={"signed": "true"}).text
    cert = keys.signing_key(bench.svc, "saml").certificate_pem
    assert OneLogin_Saml2_Utils.validate_metadata_sign(xml, cert=cert)
    method = etree.fromstring(xml.encode()).find(".//ds:SignatureMethod", NS)
    assert method is not None
    assert method.get("Algorithm") == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


def test_after_a_key_rotation_the_old_certificate_stays_published(bench: Bench) -> None:
    old = keys.signing_key(bench.svc, "saml").certificate_pem
    new = keys.rotate(bench.svc, OPERATOR, "saml").certificate_pem
    assert old
    assert new
    xml = httpx.get(f"{bench.base}/saml/metadata").text
    certs = [c.text for c in etree.fromstring(xml.encode()).iterfind(".//ds:X509Certificate", NS)]
    assert certs == [_body(new), _body(old)]


def _sp(host: str = "wiki.example") -> str:
    return ServiceProvider(host, "http://127.0.0.1:1", "").metadata()


@pytest.mark.parametrize(
    ("xml", "message"),
    [
        ("", "the file is empty"),
        ("<html>not metadata</html>", "no EntityDescriptor with an SPSSODescriptor"),
        ("<md:EntityDescriptor", "not SAML metadata XML"),
        (
            _sp().replace("urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST", "urn:x:none"),
            "no AssertionConsumerService with the HTTP-POST binding",
        ),
        (
            _sp().replace('Location="https://wiki.example/saml/acs"', 'Location="javascript:x"'),
            "is not an http(s) URL",
        ),
        (
            '<md:EntitiesDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata">'
            + _sp("a.example").split("?>", 1)[-1]
            + _sp("b.example").split("?>", 1)[-1]
            + "</md:EntitiesDescriptor>",
            "2 service providers in one file",
        ),
    ],
)
def test_bad_metadata_is_refused_naming_the_file_and_nothing_is_stored(
    svc: Services, xml: str, message: str
) -> None:
    with pytest.raises(ValidationError) as refused:
        register(svc, OPERATOR, xml, source="/etc/sp/wiki.xml")
    assert str(refused.value).startswith("/etc/sp/wiki.xml: ")
    assert message in str(refused.value)
    assert clients.list_clients(svc, OPERATOR) == []


def test_unknown_attributes_are_refused(svc: Services) -> None:
    with pytest.raises(ValidationError, match="unknown attribute 'shoeSize'"):
        register(svc, OPERATOR, _sp(), source="wiki.xml", attribute_names=["uid", "shoeSize"])
    assert clients.list_clients(svc, OPERATOR) == []


def test_without_attributes_the_sp_gets_what_its_metadata_requests_that_we_know(
    svc: Services,
) -> None:
    sp = ServiceProvider(
        "wiki.example",
        "http://127.0.0.1:1",
        "",
        requested=("urn:oid:0.9.2342.19200300.100.1.3", "urn:oid:1.2.3.4.5"),
    )
    made = register(svc, OPERATOR, sp.metadata(), source="wiki.xml")
    assert made.attributes == ("mail",)
    assert made.client.release == ("email",)
    assert made.client.config["pairwise"] is True


def test_cli_adds_an_sp_from_its_metadata(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "wiki.xml"
    path.write_text(_sp(), encoding="utf-8")
    out = run_json(
        db_url, "clients", "add", "saml", "--metadata", str(path),
        "--attributes", "uid, mail,urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "--name", "Wiki",
    )  # fmt: skip
    assert out == {
        "entity_id": "https://wiki.example/saml/metadata",
        "name": "Wiki",
        "acs_urls": ["https://wiki.example/saml/acs"],
        "slo_urls": ["https://wiki.example/saml/sls"],
        "attributes": ["uid", "mail", "eduPersonAffiliation"],
        "schools": [],
        "name_id": "persistent (pairwise) unless the SP asks for transient",
    }
    again = run(db_url, "clients", "add", "saml", "--metadata", str(path), "--json")
    assert again.returncode == 4, again.stderr  # the entity id is registered


def test_cli_names_the_file_when_the_metadata_is_bad(db_url: str, tmp_path: Path) -> None:
    path = tmp_path / "broken.xml"
    path.write_text("<EntityDescriptor", encoding="utf-8")
    done = run(db_url, "clients", "add", "saml", "--metadata", str(path), "--json")
    assert done.returncode == 2
    assert str(path) in done.stderr
    assert "not SAML metadata XML" in done.stderr
    svc = open_services(db_url)
    try:
        assert clients.list_clients(svc, OPERATOR) == []
    finally:
        svc.engine.dispose()
