"""pysaml2 as this IdP's SAML engine: a `saml2.server.Server` per (SP, signing key), built
from memory (`config.py`) with that one SP's metadata, and what it makes: parsed requests,
signed Responses, LogoutRequests and LogoutResponses.

Signing spawns xmlsec1 once per signed element (~45 ms), so an assertion is signed and the
Response around it is not (SAML Core §4.1.3.5: a signed assertion suffices).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import threading
import zlib
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT, samlp
from saml2.assertion import Policy
from saml2.mdstore import MetadataStore
from saml2.request import AuthnRequest as ParsedAuthnRequest
from saml2.s_utils import factory, status_message_factory
from saml2.saml import (
    NAME_FORMAT_URI,
    AuthnContext,
    AuthnContextClassRef,
    AuthnStatement,
    NameID,
)
from saml2.server import Server
from saml2.time_util import instant

from schulhof.protocols.saml import metadata
from schulhof.protocols.saml.config import (
    ASSERTION_LIFETIME_MINUTES,
    AUTHN_CLASS,
    DIGEST_ALG,
    SIGN_ALG,
    KeyPair,
    Paths,
    idp_config,
)


class _Server(Server):  # type: ignore[misc]
    # pysaml2 keeps every assertion it makes in memory for AssertionIDRequest and
    # AuthnQuery, which this IdP does not offer: without this it would grow forever.
    def support_AssertionIDRequest(self) -> bool:  # noqa: N802 (pysaml2's name)
        return False

    def support_AuthnQuery(self) -> bool:  # noqa: N802
        return False


# --- the per-SP engine -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuthnRequestInfo:
    """What an AuthnRequest asks for, after its checks (SAML Core §3.4.1)."""

    id: str
    issuer: str
    acs_url: str | None
    acs_index: int | None
    name_id_format: str | None
    force_authn: bool
    is_passive: bool


@dataclass(frozen=True, slots=True)
class LogoutRequestInfo:
    id: str
    issuer: str
    name_id: str
    session_indexes: tuple[str, ...]


class RequestError(ValueError):
    """A SAML request that cannot be answered at all (no Response may go anywhere)."""


# Bounds before pysaml2 sees a message: an HTTP-Redirect message is deflated, and a small
# URL could otherwise inflate to many megabytes.
MAX_ENCODED = 64 * 1024
MAX_XML = 256 * 1024


def _decoded(message: str, binding: str) -> str:
    if len(message) > MAX_ENCODED:
        raise RequestError("the SAML message is too large")
    raw = base64.b64decode(message)
    if binding != BINDING_HTTP_REDIRECT:
        return raw.decode("utf-8")
    inflater = zlib.decompressobj(-15)  # raw DEFLATE (SAML Bindings §3.4.4.1)
    xml = inflater.decompress(raw, MAX_XML)
    if inflater.unconsumed_tail:
        raise RequestError("the SAML message is too large")
    return xml.decode("utf-8")


def issuer_of(message: str, binding: str, kind: type[Any]) -> str:
    """The Issuer of an encoded request, read *before* any check: it says which SP's
    metadata to check the request with."""
    try:
        xml = _decoded(message, binding)
        parsed = (
            samlp.authn_request_from_string(xml)
            if kind is ParsedAuthnRequest
            else samlp.logout_request_from_string(xml)
        )
    except RequestError:
        raise
    except Exception as exc:  # anything from binascii and zlib to XML errors
        raise RequestError("the SAML message cannot be decoded") from exc
    if parsed is None or parsed.issuer is None or not (parsed.issuer.text or "").strip():
        raise RequestError("the SAML message names no Issuer")
    return str(parsed.issuer.text).strip()


class SpEngine:
    """pysaml2 configured for one registered SP."""

    def __init__(self, paths: Paths, key: KeyPair, sp_xml: str) -> None:
        self.paths = paths
        self.sp = metadata.parse(sp_xml)
        cfg = idp_config(paths, key, want_signed_requests=self.sp.authn_requests_signed)
        store = MetadataStore(cfg.attribute_converters, cfg, check_validity=False)
        store.metadata[self.sp.entity_id] = metadata.load(sp_xml)
        cfg.metadata = store
        self.server = _Server(config=cfg)
        self.policy = Policy(
            {
                "default": {
                    "lifetime": {"minutes": ASSERTION_LIFETIME_MINUTES},
                    "name_form": NAME_FORMAT_URI,
                }
            },
            mds=None,  # what is released is decided by services.release, not by pysaml2
        )

    def parse_authn_request(
        self,
        message: str,
        binding: str,
        *,
        relay_state: str | None,
        sigalg: str | None,
        signature: str | None,
    ) -> AuthnRequestInfo:
        try:
            parsed = self.server.parse_authn_request(
                message, binding, relay_state=relay_state, sigalg=sigalg, signature=signature
            )
        except Exception as exc:  # signature, destination, version, time: all refusals
            raise RequestError(f"the AuthnRequest is not acceptable ({_short(exc)})") from exc
        if parsed is None or parsed.message is None:
            raise RequestError("the AuthnRequest is not acceptable")
        req = parsed.message
        if req.protocol_binding and req.protocol_binding != BINDING_HTTP_POST:
            raise RequestError("only the HTTP-POST binding is offered for the Response")
        policy = req.name_id_policy
        index = req.assertion_consumer_service_index
        return AuthnRequestInfo(
            id=str(req.id),
            issuer=str(req.issuer.text).strip(),
            acs_url=req.assertion_consumer_service_url,
            acs_index=int(index) if index is not None and str(index).isdigit() else None,
            name_id_format=policy.format if policy is not None else None,
            force_authn=str(req.force_authn).lower() == "true",
            is_passive=str(req.is_passive).lower() == "true",
        )

    def parse_logout_request(
        self,
        message: str,
        binding: str,
        *,
        relay_state: str | None,
        sigalg: str | None,
        signature: str | None,
    ) -> LogoutRequestInfo:
        try:
            parsed = self.server.parse_logout_request(
                message, binding, relay_state=relay_state, sigalg=sigalg, signature=signature
            )
        except Exception as exc:
            raise RequestError(f"the LogoutRequest is not acceptable ({_short(exc)})") from exc
        if parsed is None or parsed.message is None:
            raise RequestError("the LogoutRequest is not acceptable")
        req = parsed.message
        return LogoutRequestInfo(
            id=str(req.id),
            issuer=str(req.issuer.text).strip(),
            name_id=str(req.name_id.text or "") if req.name_id is not None else "",
            session_indexes=tuple(str(s.text) for s in req.session_index if s.text),
        )

    def authn_response(
        self,
        request: AuthnRequestInfo,
        acs_url: str,
        *,
        name_id: str,
        name_id_format: str,
        attributes_: dict[str, list[str]],
        auth_time: dt.datetime,
        session_index: str,
        session_not_on_or_after: dt.datetime,
    ) -> str:
        """A Response with one signed assertion; the XML."""
        nid = NameID(
            format=name_id_format,
            text=name_id,
            name_qualifier=self.paths.entity_id,
            sp_name_qualifier=self.sp.entity_id,
        )
        statement = factory(
            AuthnStatement,
            authn_instant=instant(time_stamp=int(auth_time.timestamp())),
            session_index=session_index,
            session_not_on_or_after=_iso(session_not_on_or_after),
            authn_context=AuthnContext(
                authn_context_class_ref=AuthnContextClassRef(text=AUTHN_CLASS)
            ),
        )
        response = self.server._authn_response(  # the public wrapper takes no AuthnStatement
            request.id,
            acs_url,
            self.sp.entity_id,
            identity=attributes_,
            name_id=nid,
            policy=self.policy,
            authn_statement=statement,
            sign_assertion=True,
            sign_response=False,
            sign_alg=SIGN_ALG,
            digest_alg=DIGEST_ALG,
        )
        return str(response)

    def error_response(
        self, request_id: str | None, acs_url: str, status: str, sub_status: str, message: str
    ) -> str:
        """A Response without an assertion: `status` (SAML Core §3.2.2.2) with
        `sub_status`, e.g. Responder / RequestDenied. Signed, so the SP can trust it."""
        response = self.server._response(
            request_id,
            acs_url,
            status=status_message_factory(message, sub_status, fro=status),
            sign=True,
            sign_alg=SIGN_ALG,
            digest_alg=DIGEST_ALG,
        )
        return str(response)

    def logout_response(
        self, request: LogoutRequestInfo, *, success: bool
    ) -> tuple[metadata.Endpoint, str]:
        """A signed LogoutResponse and where it goes (the SP's SLO endpoint, POST preferred)."""
        endpoint = self.slo_endpoint()
        if endpoint is None:
            raise RequestError("the SP has no SingleLogoutService for HTTP-Redirect or POST")
        status = (
            None
            if success
            else samlp.Status(
                status_code=samlp.StatusCode(value=samlp.STATUS_RESPONDER),
                status_message=samlp.StatusMessage(text="no such session"),
            )
        )
        destination = endpoint.response_location or endpoint.location
        response = self.server._status_response(
            samlp.LogoutResponse,
            self.server._issuer(),
            status,
            sign=endpoint.binding == BINDING_HTTP_POST,  # Redirect: the query is signed
            sign_alg=SIGN_ALG,
            digest_alg=DIGEST_ALG,
            in_response_to=request.id,
            destination=destination,
        )
        return endpoint, str(response)

    def logout_request(
        self, name_id: str, name_id_format: str, session_index: str
    ) -> tuple[metadata.Endpoint, str]:
        """A LogoutRequest for this SP (SAML Core §3.7.1) naming the subject as it was
        given to it, and where it goes; signed in the XML for POST, else in the query."""
        endpoint = self.slo_endpoint()
        if endpoint is None:
            raise RequestError("the SP has no SingleLogoutService for HTTP-Redirect or POST")
        nid = NameID(
            format=name_id_format,
            text=name_id,
            name_qualifier=self.paths.entity_id,
            sp_name_qualifier=self.sp.entity_id,
        )
        _, request = self.server.create_logout_request(
            endpoint.location,
            self.sp.entity_id,
            name_id=nid,
            reason="urn:oasis:names:tc:SAML:2.0:logout:user",
            session_indexes=[session_index],
            sign=endpoint.binding == BINDING_HTTP_POST,
            sign_alg=SIGN_ALG,
            digest_alg=DIGEST_ALG,
        )
        return endpoint, str(request)

    def slo_endpoint(self) -> metadata.Endpoint | None:
        by_binding = {e.binding: e for e in reversed(self.sp.slo)}
        return by_binding.get(BINDING_HTTP_POST) or by_binding.get(BINDING_HTTP_REDIRECT)

    def redirect_url(
        self, destination: str, xml: str, relay_state: str | None, *, response: bool
    ) -> str:
        """HTTP-Redirect binding (§3.4): deflated, signed over the query string."""
        info = self.server.apply_binding(
            BINDING_HTTP_REDIRECT,
            xml,
            destination,
            relay_state or "",
            response=response,
            sign=True,
            sigalg=SIGN_ALG,
        )
        return str(dict(info["headers"])["Location"])


def post_value(xml: str) -> str:
    """The SAMLResponse/SAMLRequest form value of the HTTP-POST binding (§3.5.4)."""
    return base64.b64encode(xml.encode()).decode()


def _iso(value: dt.datetime) -> str:
    return value.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _short(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return text[:160]


# --- a small cache: building a Server parses XML and checks xmlsec1 (~80 ms) -----------

_engines: OrderedDict[tuple[str, str, str], SpEngine] = OrderedDict()
_engines_lock = threading.Lock()
_MAX_ENGINES = 64


def engine(paths: Paths, key: KeyPair, sp_xml: str) -> SpEngine:
    """The engine for this SP, key and public URL, cached per process (a new key or new
    metadata makes a new one)."""
    cache_key = (paths.base, key.kid, hashlib.sha256(sp_xml.encode()).hexdigest())
    with _engines_lock:
        found = _engines.get(cache_key)
        if found is not None:
            _engines.move_to_end(cache_key)
            return found
    made = SpEngine(paths, key, sp_xml)
    with _engines_lock:
        _engines[cache_key] = made
        while len(_engines) > _MAX_ENGINES:
            _engines.popitem(last=False)
    return made
