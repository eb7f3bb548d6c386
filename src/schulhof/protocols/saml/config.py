"""This IdP as pysaml2 sees it: entity id and endpoints under the public URL, the NameID
formats, the signing algorithms, and the key and certificate on disk for xmlsec1; and the
IdP's own metadata made from that.

Every signature is RSA-SHA256 over SHA-256 digests: pysaml2 would use SHA-1 unless told
per call (`SIGN_ALG`, `DIGEST_ALG` are passed to each signing call).
"""

from __future__ import annotations

import atexit
import hashlib
import os
import shutil
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.md import KeyDescriptor
from saml2.metadata import entity_descriptor, sign_entity_descriptor
from saml2.saml import NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT
from saml2.sigver import security_context
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256, KeyInfo, X509Certificate, X509Data

from schulhof.protocols.saml import metadata

XMLSEC1 = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"
SIGN_ALG = SIG_RSA_SHA256
DIGEST_ALG = DIGEST_SHA256
ASSERTION_LIFETIME_MINUTES = 5
# PasswordProtectedTransport: a password, over TLS in production (SAML AuthnContext §3.4.14)
AUTHN_CLASS = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
NAME_ID_FORMATS = (NAMEID_FORMAT_PERSISTENT, NAMEID_FORMAT_TRANSIENT)
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"


@dataclass(frozen=True, slots=True)
class Paths:
    """The IdP's URLs under the public URL (docs/saml.md)."""

    base: str

    @property
    def entity_id(self) -> str:
        return f"{self.base}/saml/metadata"

    def sso(self, binding: str) -> str:
        return f"{self.base}/saml/sso/{'post' if binding == BINDING_HTTP_POST else 'redirect'}"

    def slo(self, binding: str) -> str:
        return f"{self.base}/saml/slo/{'post' if binding == BINDING_HTTP_POST else 'redirect'}"


@dataclass(frozen=True, slots=True)
class KeyPair:
    kid: str
    private_pem: str
    certificate_pem: str


# --- key files: xmlsec1 reads keys from files only ------------------------------------

_key_dir: str | None = None
_key_lock = threading.Lock()


def _key_files(key: KeyPair) -> tuple[str, str]:
    """The key and certificate as files in a private (0700) directory of this process,
    removed at exit. xmlsec1 is a separate program and takes no key on stdin."""
    global _key_dir
    with _key_lock:
        if _key_dir is None:
            _key_dir = tempfile.mkdtemp(prefix="schulhof-saml-")
            atexit.register(shutil.rmtree, _key_dir, True)
        name = hashlib.sha256(key.kid.encode()).hexdigest()[:16]
        key_path = os.path.join(_key_dir, f"{name}.key")
        cert_path = os.path.join(_key_dir, f"{name}.crt")
        if not os.path.exists(key_path):
            fd = os.open(key_path + ".tmp", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            with os.fdopen(fd, "w") as f:
                f.write(key.private_pem)
            os.replace(key_path + ".tmp", key_path)
            with open(cert_path, "w") as f:
                f.write(key.certificate_pem)
        return key_path, cert_path


def idp_config(paths: Paths, key: KeyPair, *, want_signed_requests: bool) -> IdPConfig:
    key_file, cert_file = _key_files(key)
    conf: dict[str, Any] = {
        "entityid": paths.entity_id,
        "xmlsec_binary": XMLSEC1,
        "key_file": key_file,
        "cert_file": cert_file,
        "metadata": {},
        "service": {
            "idp": {
                "endpoints": {
                    "single_sign_on_service": [
                        (paths.sso(BINDING_HTTP_REDIRECT), BINDING_HTTP_REDIRECT),
                        (paths.sso(BINDING_HTTP_POST), BINDING_HTTP_POST),
                    ],
                    "single_logout_service": [
                        (paths.slo(BINDING_HTTP_REDIRECT), BINDING_HTTP_REDIRECT),
                        (paths.slo(BINDING_HTTP_POST), BINDING_HTTP_POST),
                    ],
                },
                "name_id_format": list(NAME_ID_FORMATS),
                "want_authn_requests_signed": want_signed_requests,
                "sign_response": False,
                "sign_assertion": True,
            }
        },
    }
    cfg = IdPConfig().load(conf)
    cfg.attribute_converters = metadata.attributes_converters()
    return cfg


def idp_metadata(paths: Paths, key: KeyPair, extra_certs: list[str], *, signed: bool) -> str:
    """This IdP's metadata: entity id, both SSO and SLO bindings, NameID formats, the
    signing certificate (and any older one still published, for SPs mid-rotation)."""
    cfg = idp_config(paths, key, want_signed_requests=False)
    ed = entity_descriptor(cfg)
    descriptor = ed.idpsso_descriptor
    for pem in extra_certs:
        extra = _key_descriptor(pem)
        descriptor.key_descriptor.append(extra)
    if not signed:
        return str(ed)
    sec = security_context(cfg)
    _, xml = sign_entity_descriptor(ed, None, sec, sign_alg=SIGN_ALG, digest_alg=DIGEST_ALG)
    return str(xml)


def _key_descriptor(pem: str) -> Any:
    body = "".join(line for line in pem.splitlines() if "-----" not in line)
    return KeyDescriptor(
        use="signing",
        key_info=KeyInfo(x509_data=[X509Data(x509_certificate=X509Certificate(text=body))]),
    )
