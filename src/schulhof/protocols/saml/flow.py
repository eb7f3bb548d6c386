"""The IdP's steps for single sign-on, between the web routes and the services: accept an
AuthnRequest, answer it for a session (single logout: `logout.py`).

Who may be signed in to an SP and what it learns is `services.release`'s decision; a
refusal becomes a Response without an assertion (status Responder / RequestDenied), sent
to the SP's registered ACS like any answer. A request that cannot be trusted at all
(unknown SP, ACS URL not in its metadata, bad signature) gets no Response: `RequestError`.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from saml2.request import AuthnRequest
from saml2.saml import NAMEID_FORMAT_PERSISTENT
from saml2.samlp import (
    STATUS_INVALID_NAMEID_POLICY,
    STATUS_NO_PASSIVE,
    STATUS_REQUEST_DENIED,
    STATUS_REQUESTER,
    STATUS_RESPONDER,
)

from schulhof.domain.errors import NotFoundError
from schulhof.protocols.saml import attributes, idp
from schulhof.protocols.saml.config import (
    NAME_ID_FORMATS,
    NAMEID_UNSPECIFIED,
    KeyPair,
    Paths,
    idp_metadata,
)
from schulhof.protocols.saml.idp import RequestError, SpEngine
from schulhof.protocols.saml.metadata import MetadataError
from schulhof.protocols.saml.pending import MAX_RELAY_STATE, MAX_SEALED, Pending, seal, unseal
from schulhof.services import clients, keys, release, saml_events, sessions
from schulhof.services.clients import ServiceClient
from schulhof.services.runtime import Services
from schulhof.services.secrets import server_secret
from schulhof.services.sessions import Session

PROTOCOL = "saml"


@dataclass(frozen=True, slots=True)
class PostForm:
    """An HTTP-POST binding message (§3.5): an auto-submitting form to `url`."""

    url: str
    field: str  # SAMLResponse or SAMLRequest
    value: str
    relay_state: str | None


@dataclass(frozen=True, slots=True)
class Redirect:
    """An HTTP-Redirect binding message (§3.4): the whole message is in `url`."""

    url: str


Outbound = PostForm | Redirect


def key_pair(svc: Services) -> KeyPair:
    key = keys.signing_key(svc, PROTOCOL)
    if key.certificate_pem is None:  # keys made for SAML always have one
        raise RuntimeError("the SAML signing key has no certificate")
    return KeyPair(key.kid, key.private_pem, key.certificate_pem)


_metadata_cache: dict[tuple[str, tuple[str, ...], bool], str] = {}


def metadata_xml(svc: Services, paths: Paths, *, signed: bool) -> str:
    """The IdP's metadata; made once per public URL and set of published keys (making it
    loads pysaml2's configuration and runs xmlsec1: 130 ms, 260 ms signed)."""
    active = key_pair(svc)
    older = [
        k for k in keys.published_keys(svc, PROTOCOL) if k.kid != active.kid and k.certificate_pem
    ]
    cache_key = (paths.base, (active.kid, *(k.kid for k in older)), signed)
    found = _metadata_cache.get(cache_key)
    if found is None:
        certs = [k.certificate_pem for k in older if k.certificate_pem]
        found = idp_metadata(paths, active, certs, signed=signed)
        if len(_metadata_cache) > 16:
            _metadata_cache.clear()
        _metadata_cache[cache_key] = found
    return found


def _registered(svc: Services, entity_id: str) -> ServiceClient:
    client = clients.get(svc, entity_id)
    if client is None or client.protocol != PROTOCOL or "metadata" not in client.config:
        raise RequestError("the service provider is not registered here")
    return client


def engine_for(svc: Services, paths: Paths, entity_id: str) -> tuple[ServiceClient, SpEngine]:
    client = _registered(svc, entity_id)
    try:
        return client, idp.engine(paths, key_pair(svc), str(client.config["metadata"]))
    except MetadataError as exc:  # checked at registration; a pysaml2 upgrade might differ
        raise RequestError(f"the service provider's metadata is not usable ({exc})") from exc


def _pending_key(svc: Services) -> bytes:
    return server_secret(svc, "saml-pending")


def accept(
    svc: Services,
    paths: Paths,
    *,
    binding: str,
    message: str,
    relay_state: str | None,
    sigalg: str | None = None,
    signature: str | None = None,
) -> str:
    """Check an AuthnRequest (SAML Core §3.4.1, Profiles §4.1.4.1) and seal what the
    answer needs; raises RequestError when no Response may be sent anywhere."""
    if relay_state is not None and len(relay_state) > MAX_RELAY_STATE:
        raise RequestError("the RelayState is too long")
    issuer = idp.issuer_of(message, binding, AuthnRequest)
    client, engine = engine_for(svc, paths, issuer)
    info = engine.parse_authn_request(
        message, binding, relay_state=relay_state, sigalg=sigalg, signature=signature
    )
    acs = engine.sp.acs_for(info.acs_url, info.acs_index)
    if acs is None:
        # Profiles §4.1.4.1: the ACS must be verified against the SP's metadata, or an
        # attacker could have a valid assertion delivered to a site of their own.
        raise RequestError("the AssertionConsumerServiceURL is not in the SP's metadata")
    pending = Pending(
        sp=client.id,
        request_id=info.id,
        acs_url=acs.location,
        name_id_format=info.name_id_format,
        force_authn=info.force_authn,
        is_passive=info.is_passive,
        relay_state=relay_state,
        at=round(svc.clock().timestamp(), 3),
    )
    sealed = seal(_pending_key(svc), pending)
    if len(sealed) > MAX_SEALED:
        raise RequestError("the request is too large (RelayState or ACS URL)")
    return sealed


def resume(svc: Services, token: str) -> Pending | None:
    return unseal(_pending_key(svc), token, svc.clock().timestamp())


def choose_format(requested: str | None, sp_formats: tuple[str, ...]) -> str | None:
    """The NameID format: the request's NameIDPolicy, else the first format of the SP's
    metadata this IdP makes, else persistent. None: asked for one it does not make."""
    if requested and requested != NAMEID_UNSPECIFIED:
        return requested if requested in NAME_ID_FORMATS else None
    return next((f for f in sp_formats if f in NAME_ID_FORMATS), NAMEID_FORMAT_PERSISTENT)


def needs_fresh_sign_in(pending: Pending, session: Session) -> bool:
    """ForceAuthn (SAML Core §3.4.1): the IdP MUST authenticate the person anew rather than
    rely on a sign-in from before the request."""
    return pending.force_authn and session.auth_time.timestamp() < pending.at


def answer(
    svc: Services,
    paths: Paths,
    pending: Pending,
    session: Session,
    *,
    scope: str,
    authenticated_at: dt.datetime | None = None,
) -> PostForm:
    """The Response for a live, unrestricted session: an assertion, or a refusal.
    `authenticated_at`: when the person just typed their password again (ForceAuthn)."""
    if session.must_change:  # the web layer sends these to the password change first
        raise RequestError("the initial password must be changed first")
    client, engine = engine_for(svc, paths, pending.sp)
    fmt = choose_format(pending.name_id_format, engine.sp.name_id_formats)
    if fmt is None:
        return _refusal(
            engine,
            pending,
            STATUS_REQUESTER,
            STATUS_INVALID_NAMEID_POLICY,
            "only persistent and transient NameIDs are offered",
        )
    try:
        # SAML persistent identifiers are always pairwise (SAML Core §8.3.7): one SP's
        # identifier is worthless at another.
        rel = release.release_for(svc, client, session.person_id, pairwise=True)
    except NotFoundError:
        saml_events.record(svc, "saml.denied", sp=client.id, person_id=session.person_id, detail={})
        return _refusal(
            engine,
            pending,
            STATUS_RESPONDER,
            STATUS_REQUEST_DENIED,
            "this person may not use this service",
        )
    name_id = rel.subject if fmt == NAMEID_FORMAT_PERSISTENT else secrets.token_urlsafe(24)
    registered = tuple(client.config.get("attributes", ()))
    values = attributes.values(rel, registered, scope)
    index = session_index(svc, session.sid, client.id)
    xml = engine.authn_response(
        _info(pending),
        pending.acs_url,
        name_id=name_id,
        name_id_format=fmt,
        attributes_=values,
        auth_time=authenticated_at or session.auth_time,
        session_index=index,
        session_not_on_or_after=session.expires_at,
    )
    sessions.note_client(
        svc,
        session.sid,
        PROTOCOL,
        client.id,
        {"name_id": name_id, "format": fmt, "session_index": index},
    )
    saml_events.record(
        svc,
        "saml.assertion",
        sp=client.id,
        person_id=session.person_id,
        detail={"name_id_format": fmt, "attributes": sorted(values)},
    )
    return PostForm(pending.acs_url, "SAMLResponse", idp.post_value(xml), pending.relay_state)


def passive_refusal(svc: Services, paths: Paths, pending: Pending) -> PostForm:
    """IsPassive and nobody signed in: NoPassive (SAML Core §3.4.1), no sign-in page."""
    _, engine = engine_for(svc, paths, pending.sp)
    return _refusal(engine, pending, STATUS_RESPONDER, STATUS_NO_PASSIVE, "nobody is signed in")


def _refusal(
    engine: SpEngine, pending: Pending, status: str, sub_status: str, message: str
) -> PostForm:
    xml = engine.error_response(pending.request_id, pending.acs_url, status, sub_status, message)
    return PostForm(pending.acs_url, "SAMLResponse", idp.post_value(xml), pending.relay_state)


def _info(pending: Pending) -> idp.AuthnRequestInfo:
    return idp.AuthnRequestInfo(
        id=pending.request_id,
        issuer=pending.sp,
        acs_url=pending.acs_url,
        acs_index=None,
        name_id_format=pending.name_id_format,
        force_authn=pending.force_authn,
        is_passive=pending.is_passive,
    )


# --- SessionIndex: the session's sid, sealed per SP ------------------------------------


def session_index(svc: Services, sid: str, sp: str) -> str:
    """The SessionIndex for `sp`: the sid encrypted (AES-GCM, the SP's entity id as
    associated data). An SP's LogoutRequest names the session without a cookie, yet two
    SPs cannot tell from it that they served the same sign-in."""
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(server_secret(svc, "saml-session-index")).encrypt(
        nonce, sid.encode(), sp.encode()
    )
    return base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode()


def sid_of(svc: Services, index: str, sp: str) -> str | None:
    try:
        raw = base64.urlsafe_b64decode(index + "=" * (-len(index) % 4))
        plain = AESGCM(server_secret(svc, "saml-session-index")).decrypt(
            raw[:12], raw[12:], sp.encode()
        )
    except (ValueError, InvalidTag):
        return None
    return plain.decode()
