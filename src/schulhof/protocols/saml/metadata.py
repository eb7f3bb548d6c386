"""An SP's metadata (SAML 2.0 Metadata, saml-metadata-2.0-os): read, checked, summarised.

The registry keeps the SP's own XML; this module says whether it is usable and what it
declares — where assertions may go (§2.4.4 AssertionConsumerService; only these URLs ever
receive one), where logout goes, whether it wants signed assertions, which NameID formats
it knows and which attributes it asks for.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, SAMLError
from saml2.mdstore import InMemoryMetaData

from schulhof.protocols.saml import attributes

SLO_BINDINGS = (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST)


class MetadataError(ValueError):
    """The XML is not usable SP metadata; the message says what is wrong."""


@dataclass(frozen=True, slots=True)
class Endpoint:
    binding: str
    location: str
    index: int | None = None
    response_location: str | None = None


@dataclass(frozen=True, slots=True)
class SPMetadata:
    entity_id: str
    acs: tuple[Endpoint, ...]  # HTTP-POST only: the one binding this IdP answers with
    slo: tuple[Endpoint, ...]  # HTTP-Redirect and HTTP-POST
    want_assertions_signed: bool
    authn_requests_signed: bool
    name_id_formats: tuple[str, ...]
    requested_attributes: tuple[str, ...]  # friendly names of the known ones it asks for
    has_signing_cert: bool

    def acs_for(self, url: str | None, index: int | None) -> Endpoint | None:
        """The ACS a request names (by exact URL or by index), else the default one
        (§2.4.4.1: isDefault, else the first); None if what it names is not registered."""
        if url is not None:
            return next((e for e in self.acs if e.location == url), None)
        if index is not None:
            return next((e for e in self.acs if e.index == index), None)
        return self.acs[0] if self.acs else None


def load(xml: str) -> InMemoryMetaData:
    """pysaml2's view of the metadata. validUntil is not checked here: a registered SP
    stays registered until the city removes it (the file is the operator's, not fetched)."""
    md = InMemoryMetaData(attributes_converters(), xml, check_validity=False)
    try:
        md.load()
    except (SAMLError, ValueError, SyntaxError) as exc:
        raise MetadataError(f"not SAML metadata XML ({_first_line(exc)})") from exc
    return md


def attributes_converters() -> list[Any]:
    return [attributes.converter()]


def parse(xml: str) -> SPMetadata:
    """Check that `xml` describes exactly one SAML 2.0 SP that this IdP can serve."""
    if not xml.strip():
        raise MetadataError("the file is empty")
    md = load(xml)
    sps = [(eid, ent) for eid, ent in md.items() if ent.get("spsso_descriptor")]
    if not sps:
        raise MetadataError(
            "no EntityDescriptor with an SPSSODescriptor for SAML 2.0 "
            "(protocolSupportEnumeration must name urn:oasis:names:tc:SAML:2.0:protocol)"
        )
    if len(sps) > 1:
        raise MetadataError(f"{len(sps)} service providers in one file; register one at a time")
    entity_id, ent = sps[0]
    if not entity_id or len(entity_id) > 200:
        raise MetadataError("the entityID must be 1 to 200 characters")
    descriptors: list[dict[str, Any]] = ent["spsso_descriptor"]
    acs: list[tuple[bool, int, Endpoint]] = []
    slo: list[Endpoint] = []
    formats: list[str] = []
    requested: set[str] = set()
    want_signed = False
    requests_signed = False
    has_cert = False
    for d in descriptors:
        want_signed |= str(d.get("want_assertions_signed", "false")).lower() == "true"
        requests_signed |= str(d.get("authn_requests_signed", "false")).lower() == "true"
        for kd in d.get("key_descriptor", []):
            has_cert |= kd.get("use", "signing") == "signing"
        for n, e in enumerate(d.get("assertion_consumer_service", [])):
            if e.get("binding") != BINDING_HTTP_POST:
                continue
            location = _url(e.get("location"), "AssertionConsumerService")
            index = int(e["index"]) if str(e.get("index", "")).isdigit() else None
            default = str(e.get("is_default", "false")).lower() == "true"
            acs.append((not default, n, Endpoint(BINDING_HTTP_POST, location, index)))
        for e in d.get("single_logout_service", []):
            if e.get("binding") in SLO_BINDINGS:
                slo.append(
                    Endpoint(
                        e["binding"],
                        _url(e.get("location"), "SingleLogoutService"),
                        response_location=e.get("response_location"),
                    )
                )
        formats.extend(f["text"].strip() for f in d.get("name_id_format", []) if f.get("text"))
        for service in d.get("attribute_consuming_service", []):
            for ra in service.get("requested_attribute", []):
                known = attributes.BY_OID.get(ra.get("name", "")) or attributes.BY_NAME.get(
                    str(ra.get("friendly_name") or ra.get("name", "")).lower()
                )
                if known is not None:
                    requested.add(known.friendly)
    if not acs:
        raise MetadataError(
            "no AssertionConsumerService with the HTTP-POST binding "
            "(urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST); this IdP answers only by POST"
        )
    if requests_signed and not has_cert:
        raise MetadataError("AuthnRequestsSigned is true but no signing certificate is given")
    return SPMetadata(
        entity_id=entity_id,
        acs=tuple(e for _, _, e in sorted(acs, key=lambda t: (t[0], t[1]))),
        slo=tuple(slo),
        want_assertions_signed=want_signed,
        authn_requests_signed=requests_signed,
        name_id_formats=tuple(dict.fromkeys(formats)),
        requested_attributes=attributes.canonical(requested),
        has_signing_cert=has_cert,
    )


def _url(value: object, what: str) -> str:
    text = str(value or "").strip()
    parts = urlsplit(text)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise MetadataError(f"{what} Location {text!r} is not an http(s) URL")
    return text


def _first_line(exc: BaseException) -> str:
    cause = exc.__cause__ or exc
    return (str(cause).splitlines() or [type(cause).__name__])[0][:200]
