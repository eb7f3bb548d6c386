"""A service provider built on python3-saml (OneLogin), the independent SAML library: it
makes the AuthnRequests and LogoutRequests and judges our answers in strict mode.

The SP never listens anywhere: the "browser" (tests/protocols/saml/browser.py) carries
messages between the IdP and it, and hands the SP the request data its ACS would see.
"""

from __future__ import annotations

import base64
import datetime as dt
import zlib
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from onelogin.saml2.auth import OneLogin_Saml2_Auth
from onelogin.saml2.authn_request import OneLogin_Saml2_Authn_Request
from onelogin.saml2.settings import OneLogin_Saml2_Settings
from onelogin.saml2.utils import OneLogin_Saml2_Utils

POST = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST"
REDIRECT = "urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect"
PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
SHA256 = "http://www.w3.org/2001/04/xmlenc#sha256"


@dataclass(frozen=True, slots=True)
class Outcome:
    errors: list[str]
    reason: str | None
    name_id: str | None
    name_id_format: str | None
    session_index: str | None
    attributes: dict[str, list[str]]
    friendly: dict[str, list[str]]


class ServiceProvider:
    def __init__(
        self,
        host: str,
        idp_base: str,
        idp_cert_pem: str,
        *,
        name_id_format: str = PERSISTENT,
        requested: tuple[str, ...] = (),
        signing: tuple[str, str] | None = None,
    ) -> None:
        """`signing`: (private key PEM, certificate PEM) to sign AuthnRequests with."""
        self.host = host
        self.entity_id = f"https://{host}/saml/metadata"
        self.acs = f"https://{host}/saml/acs"
        self.sls = f"https://{host}/saml/sls"
        self.requested = requested
        cert = "".join(line for line in idp_cert_pem.splitlines() if "-----" not in line)
        sp: dict[str, Any] = {
            "entityId": self.entity_id,
            "assertionConsumerService": {"url": self.acs, "binding": POST},
            "singleLogoutService": {"url": self.sls, "binding": REDIRECT},
            "NameIDFormat": name_id_format,
        }
        self.signing = signing
        if signing is not None:
            sp["privateKey"], sp["x509cert"] = signing
        if requested:
            sp["attributeConsumingService"] = {
                "serviceName": "Test SP",
                "requestedAttributes": [
                    {"name": oid, "nameFormat": "urn:oasis:names:tc:SAML:2.0:attrname-format:uri",
                     "isRequired": False}
                    for oid in requested
                ],
            }  # fmt: skip
        self.settings: dict[str, Any] = {
            "strict": True,
            "debug": False,
            "sp": sp,
            "idp": {
                "entityId": f"{idp_base}/saml/metadata",
                "singleSignOnService": {
                    "url": f"{idp_base}/saml/sso/redirect", "binding": REDIRECT
                },
                "singleLogoutService": {
                    "url": f"{idp_base}/saml/slo/redirect", "binding": REDIRECT
                },
                "x509cert": cert,
            },
            "security": {
                "wantAssertionsSigned": True,
                "wantMessagesSigned": False,
                "requestedAuthnContext": False,
                "signatureAlgorithm": RSA_SHA256,
                "digestAlgorithm": SHA256,
                "rejectDeprecatedAlgorithm": True,
                "wantNameId": True,
                "authnRequestsSigned": signing is not None,
            },
        }  # fmt: skip

    def metadata(self) -> str:
        xml = OneLogin_Saml2_Settings(self.settings, sp_validation_only=True).get_sp_metadata()
        return xml.decode() if isinstance(xml, bytes) else str(xml)

    def _auth(
        self,
        get: dict[str, str] | None = None,
        post: dict[str, str] | None = None,
        path: str = "/saml/acs",
    ) -> OneLogin_Saml2_Auth:
        request = {
            "https": "on",
            "http_host": self.host,
            "script_name": path,
            "get_data": get or {},
            "post_data": post or {},
        }
        return OneLogin_Saml2_Auth(request, self.settings)

    def login_url(
        self, relay_state: str = "/kurs/7", *, is_passive: bool = False, force: bool = False
    ) -> tuple[str, str]:
        """SP-initiated sign-in, HTTP-Redirect binding: (URL at the IdP, request id)."""
        auth = self._auth()
        url = auth.login(return_to=relay_state, is_passive=is_passive, force_authn=force)
        return str(url), str(auth.get_last_request_id())

    def login_post(self, relay_state: str = "/kurs/7") -> tuple[dict[str, str], str]:
        """SP-initiated sign-in, HTTP-POST binding: (form fields, request id)."""
        # An SP that posts its requests names the IdP's POST endpoint as Destination.
        idp = dict(self.settings["idp"])
        sso = str(idp["singleSignOnService"]["url"]).replace("/sso/redirect", "/sso/post")
        idp["singleSignOnService"] = {"url": sso, "binding": POST}
        settings = OneLogin_Saml2_Settings({**self.settings, "idp": idp})
        request = OneLogin_Saml2_Authn_Request(settings)
        encoded = request.get_request(deflate=False)
        if self.signing is not None:  # an enveloped signature (Bindings §3.5.4)
            signed = OneLogin_Saml2_Utils.add_sign(
                request.get_xml(), self.signing[0], self.signing[1],
                sign_algorithm=RSA_SHA256, digest_algorithm=SHA256,
            )  # fmt: skip
            encoded = base64.b64encode(signed).decode()
        return {"SAMLRequest": encoded, "RelayState": relay_state}, str(request.get_id())

    def consume(self, form: dict[str, str], request_id: str) -> Outcome:
        """What the SP's ACS makes of a posted Response."""
        auth = self._auth(post=form)
        auth.process_response(request_id=request_id)
        return Outcome(
            errors=list(auth.get_errors()),
            reason=auth.get_last_error_reason(),
            name_id=auth.get_nameid(),
            name_id_format=auth.get_nameid_format(),
            session_index=auth.get_session_index(),
            attributes=dict(auth.get_attributes()),
            friendly=dict(auth.get_friendlyname_attributes()),
        )

    def logout_url(self, name_id: str, session_index: str | None, name_id_format: str) -> str:
        auth = self._auth()
        return str(
            auth.logout(
                return_to="/bye", name_id=name_id, session_index=session_index,
                name_id_format=name_id_format,
                spnq=None,
            )
        )  # fmt: skip

    def logout_requested(self, url: str) -> tuple[list[str], str | None]:
        """What the SP's SLS does with a LogoutRequest sent by redirect: its errors, and
        the URL of its LogoutResponse at the IdP."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        auth = self._auth(get=query, path="/saml/sls")
        answer = auth.process_slo(keep_local_session=True)
        return list(auth.get_errors()), answer

    def logout_result(self, url: str) -> list[str]:
        """What the SP's SLS makes of a LogoutResponse sent by redirect: its errors."""
        query = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
        auth = self._auth(get=query, path="/saml/sls")
        auth.process_slo(keep_local_session=True)
        return list(auth.get_errors())


def inflate(value: str) -> str:
    return zlib.decompress(base64.b64decode(value), -15).decode()


def key_and_certificate(name: str) -> tuple[str, str]:
    """A throwaway RSA key and self-signed certificate for an SP."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return pem.decode(), cert.public_bytes(serialization.Encoding.PEM).decode()
