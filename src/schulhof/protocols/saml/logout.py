"""Single logout (SAML Profiles §4.4), started by an SP.

An SP's LogoutRequest ends the SSO session it names — by its SessionIndex (which works
without the session cookie, e.g. for a cross-site POST) or else by the browser's session —
if that session signed in to that SP under that NameID. The session's other SAML SPs that
have a SingleLogoutService are then sent a LogoutRequest each, in turn, through the browser
(front channel); each answers to our SLO endpoint and the next one follows. Last, the SP
that started gets its LogoutResponse. The chain's state travels in a sealed cookie (who is
left, whom to answer), so nothing is kept on the server; an SP that never answers ends the
chain there — the SSO session is over in any case, and OIDC clients have already been told
through the back channel (`app.state.on_signout`).

A session ended at Schulhof's own sign-out page goes through the same chain (`signed_out`):
each SAML SP of the session with a SingleLogoutService gets its LogoutRequest in turn, and
the chain ends with a redirect to a local page instead of a LogoutResponse. A session that
ends without a browser at hand (expiry, an administrator, an OIDC logout with an
id_token_hint) does not reach SAML SPs: SOAP back-channel logout is not offered, and their
own sessions end by their own timeouts (docs/saml.md).
"""

from __future__ import annotations

import hmac
import time
from dataclasses import dataclass
from typing import Any

from saml2 import BINDING_HTTP_POST
from saml2.request import LogoutRequest

from schulhof.protocols.saml import idp
from schulhof.protocols.saml.config import Paths
from schulhof.protocols.saml.flow import (
    PROTOCOL,
    Outbound,
    PostForm,
    Redirect,
    engine_for,
    sid_of,
)
from schulhof.protocols.saml.idp import LogoutRequestInfo, RequestError
from schulhof.protocols.saml.pending import MAX_RELAY_STATE, seal_data, unseal_data
from schulhof.services import saml_events, sessions
from schulhof.services.runtime import Services
from schulhof.services.secrets import server_secret
from schulhof.services.sessions import Session

CHAIN_MAX_AGE_SECONDS = 300


@dataclass(frozen=True, slots=True)
class LogoutOutcome:
    ended: Session | None  # the session this request ended (None: none was live)
    reply: Outbound  # where the browser goes next
    chain: str  # the chain's state for the cookie; "" when it is over


def _chain_key(svc: Services) -> bytes:
    return server_secret(svc, "saml-logout-chain")


def logout(
    svc: Services,
    paths: Paths,
    *,
    binding: str,
    message: str,
    relay_state: str | None,
    sigalg: str | None = None,
    signature: str | None = None,
    browser_session: Session | None = None,
) -> LogoutOutcome:
    """Handle an SP's LogoutRequest; raises RequestError when it cannot be answered."""
    if relay_state is not None and len(relay_state) > MAX_RELAY_STATE:
        raise RequestError("the RelayState is too long")
    issuer = idp.issuer_of(message, binding, LogoutRequest)
    client, engine = engine_for(svc, paths, issuer)
    info = engine.parse_logout_request(
        message, binding, relay_state=relay_state, sigalg=sigalg, signature=signature
    )
    candidates = [s for s in (sid_of(svc, i, client.id) for i in info.session_indexes) if s]
    if not info.session_indexes and browser_session is not None:
        candidates.append(browser_session.sid)
    known: list[str] = []
    ended: Session | None = None
    for sid in candidates:
        if not _signed_in_as(svc, sid, client.id, info.name_id):
            continue
        known.append(sid)
        now_ended = sessions.end(svc, sid)
        if now_ended is not None:
            ended = now_ended
            saml_events.record(
                svc, "saml.logout", sp=client.id, person_id=now_ended.person_id, detail={}
            )
    state: dict[str, Any] = {
        "sids": known,
        "todo": _others(svc, known, client.id),
        "reply": {"sp": client.id, "id": info.id, "relay": relay_state, "ok": bool(known)},
        "at": int(time.time()),
    }
    reply, chain = _advance(svc, paths, state)
    return LogoutOutcome(ended, reply, chain)


def signed_out(svc: Services, paths: Paths, ended: Session, return_to: str) -> LogoutOutcome:
    """The chain for a session ended at Schulhof itself (the sign-out page): a LogoutRequest
    to each SAML SP of the session that has an SLO endpoint, then `return_to` (a local
    path, checked by the caller). `chain` is "" when no SP is to be told."""
    state: dict[str, Any] = {
        "sids": [ended.sid],
        "todo": _others(svc, [ended.sid], initiator=""),
        "reply": {"to": return_to},
        "at": int(time.time()),
    }
    reply, chain = _advance(svc, paths, state)
    return LogoutOutcome(ended, reply, chain)


def resume(svc: Services, paths: Paths, chain: str | None) -> LogoutOutcome | None:
    """An SP of the chain answered: go on to the next one, or answer the SP that started.
    None: no chain is under way (no cookie, forged, or too old)."""
    state = unseal_data(_chain_key(svc), chain or "")
    if state is None or not 0 <= time.time() - int(state.get("at", 0)) <= CHAIN_MAX_AGE_SECONDS:
        return None
    reply, new_chain = _advance(svc, paths, state)
    return LogoutOutcome(None, reply, new_chain)


def _advance(svc: Services, paths: Paths, state: dict[str, Any]) -> tuple[Outbound, str]:
    """The next LogoutRequest of the chain (and the state after it), or the final
    LogoutResponse (and "" to clear the state)."""
    todo: list[list[str]] = state["todo"]
    while todo:
        sid, sp = todo.pop(0)
        detail = next(
            (d for p, c, d in sessions.clients_of(svc, sid) if p == PROTOCOL and c == sp), None
        )
        if detail is None:
            continue
        try:
            _, engine = engine_for(svc, paths, sp)
            endpoint, xml = engine.logout_request(
                str(detail.get("name_id", "")),
                str(detail.get("format", "")),
                str(detail.get("session_index", "")),
            )
        except RequestError:  # removed meanwhile, or no usable SLO endpoint
            continue
        message: Outbound
        if endpoint.binding == BINDING_HTTP_POST:
            message = PostForm(endpoint.location, "SAMLRequest", idp.post_value(xml), None)
        else:
            message = Redirect(engine.redirect_url(endpoint.location, xml, None, response=False))
        return message, seal_data(_chain_key(svc), state)
    return _final(svc, paths, state["reply"]), ""


def _final(svc: Services, paths: Paths, reply: dict[str, Any]) -> Outbound:
    if "to" in reply:  # started at the sign-out page: back to a local page (sealed state)
        return Redirect(str(reply["to"]))
    _, engine = engine_for(svc, paths, str(reply["sp"]))
    request = LogoutRequestInfo(str(reply["id"]), str(reply["sp"]), "", ())
    endpoint, xml = engine.logout_response(request, success=bool(reply["ok"]))
    target = endpoint.response_location or endpoint.location
    relay = reply.get("relay")
    relay_state = str(relay) if relay is not None else None
    if endpoint.binding == BINDING_HTTP_POST:
        return PostForm(target, "SAMLResponse", idp.post_value(xml), relay_state)
    return Redirect(engine.redirect_url(target, xml, relay_state, response=True))


def _others(svc: Services, sids: list[str], initiator: str) -> list[list[str]]:
    """The other SAML SPs these sessions signed in to, as [sid, entity id] pairs."""
    found: list[list[str]] = []
    for sid in sids:
        for protocol, client_id, _ in sorted(sessions.clients_of(svc, sid), key=lambda c: c[1]):
            if protocol == PROTOCOL and client_id != initiator:
                found.append([sid, client_id])
    return found


def _signed_in_as(svc: Services, sid: str, sp: str, name_id: str) -> bool:
    for protocol, client_id, detail in sessions.clients_of(svc, sid):
        if protocol == PROTOCOL and client_id == sp:
            noted = str(detail.get("name_id", ""))
            return hmac.compare_digest(noted.encode(), name_id.encode())
    return False
