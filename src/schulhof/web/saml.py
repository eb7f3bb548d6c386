"""SAML 2.0 IdP routes: metadata, single sign-on and single logout in the HTTP-Redirect and
HTTP-POST bindings (docs/saml.md). The SAML work is `protocols.saml.flow`; this module
reads requests, picks the page and keeps to the web's rules — the session cookie through
`web.sso`, answers to the SP only as an auto-submitting form, never a foreign redirect
except an SP's own registered SLO endpoint.

Both SSO routes check the AuthnRequest at once and then send the browser on to
`/saml/sso/continue` with the accepted request sealed in the URL: an HTTP-POST request
arrives cross-site, where a SameSite=Lax session cookie is not sent, and the URL survives
the sign-in page and a forced password change.

`logout_chain` is the sign-out page's way into single logout (installed as
`app.state.signout_chain`, so web/signin knows no SAML): the browser visits the SAML SPs
of the ended session in turn and comes back to a local page.
"""

from __future__ import annotations

import html
import logging
from typing import Annotated
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, FastAPI, Form, Query, Request
from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from starlette.responses import RedirectResponse, Response

from schulhof.protocols.saml import flow, logout
from schulhof.protocols.saml.config import Paths
from schulhof.protocols.saml.idp import RequestError
from schulhof.services import saml_reauth
from schulhof.services.runtime import Services
from schulhof.services.sessions import Session
from schulhof.services.signin import SignInRefused
from schulhof.web import saml_pages as pages
from schulhof.web import sso
from schulhof.web.saml_pages import REAUTH
from schulhof.web.signin import csrf

log = logging.getLogger(__name__)

router = APIRouter(include_in_schema=False)

CONTINUE = "/saml/sso/continue"
SLO_COOKIE = "schulhof_saml_slo"
PASSWORD_CHANGE = "/password/change"  # noqa: S105 (a path, not a password)
OptionalForm = Annotated[str | None, Form()]
OptionalQuery = Annotated[str | None, Query()]


def install(app: FastAPI) -> None:
    app.include_router(router)
    # The sign-out page sends the browser through the SAML SPs (web/signin/routes.py).
    app.state.signout_chain = logout_chain


def _svc(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def _paths(request: Request) -> Paths:
    return Paths(sso.public_url(request))


def _scope(request: Request) -> str:
    """eduPersonPrincipalName's scope: `[saml] scope` in schulhof.toml, else the host of
    the public URL."""
    configured = _svc(request).settings.saml_scope
    return configured or urlsplit(sso.public_url(request)).hostname or "localhost"


@router.get("/saml/metadata")
def metadata(request: Request, signed: bool = False) -> Response:
    """This IdP's metadata (entity id = this URL); `?signed=true` signs it."""
    xml = flow.metadata_xml(_svc(request), _paths(request), signed=signed)
    return Response(
        xml,
        media_type="application/samlmetadata+xml",
        headers={"Cache-Control": "public, max-age=300"},
    )


# --- single sign-on ---


def _accept(
    request: Request,
    binding: str,
    message: str | None,
    relay_state: str | None,
    sigalg: str | None = None,
    signature: str | None = None,
) -> Response:
    if not message:
        return pages.error_page(request, "SAMLRequest is missing")
    try:
        token = flow.accept(
            _svc(request),
            _paths(request),
            binding=binding,
            message=message,
            relay_state=relay_state,
            sigalg=sigalg,
            signature=signature,
        )
    except RequestError as exc:
        log.info("SAML AuthnRequest refused: %s", exc)
        return pages.error_page(request, str(exc))
    return RedirectResponse(f"{CONTINUE}?p={token}", status_code=303, headers=pages.headers())


@router.get("/saml/sso/redirect")
def sso_redirect(
    request: Request,
    SAMLRequest: OptionalQuery = None,  # noqa: N803 (the binding's parameter names)
    RelayState: OptionalQuery = None,  # noqa: N803
    SigAlg: OptionalQuery = None,  # noqa: N803
    Signature: OptionalQuery = None,  # noqa: N803
) -> Response:
    return _accept(request, BINDING_HTTP_REDIRECT, SAMLRequest, RelayState, SigAlg, Signature)


@router.post("/saml/sso/post")
def sso_post(
    request: Request,
    SAMLRequest: OptionalForm = None,  # noqa: N803
    RelayState: OptionalForm = None,  # noqa: N803
) -> Response:
    return _accept(request, BINDING_HTTP_POST, SAMLRequest, RelayState)


@router.get(CONTINUE)
def sso_continue(request: Request, p: str = "") -> Response:
    """Answer an accepted request for this browser's session (or send it to sign in)."""
    svc = _svc(request)
    pending = flow.resume(svc, p)
    if pending is None:
        return pages.error_page(request, "the sign-in request has expired; please start again")
    here = f"{CONTINUE}?p={p}"
    session = sso.current_session(request)
    try:
        if session is None:
            if pending.is_passive:
                return pages.post_form(request, flow.passive_refusal(svc, _paths(request), pending))
            return sso.signin_redirect(request, here)
        if session.must_change:
            # No assertion for a restricted session: the password change comes first.
            return RedirectResponse(
                f"{PASSWORD_CHANGE}?next={quote(here, safe='')}",
                status_code=303,
                headers=pages.headers(),
            )
        if flow.needs_fresh_sign_in(pending, session):
            return pages.reauth_page(request, p)
        answer = flow.answer(svc, _paths(request), pending, session, scope=_scope(request))
    except RequestError as exc:
        return pages.error_page(request, str(exc))
    return pages.post_form(request, answer)


@router.post(REAUTH)
def sso_reauthenticate(
    request: Request,
    p: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    token: Annotated[str, Form(alias=csrf.FIELD)] = "",
) -> Response:
    """The password typed again for ForceAuthn: then the request is answered, with this
    moment as the AuthnInstant."""
    svc = _svc(request)
    if not csrf.verify(request, token):
        return pages.error_page(request, "the form has expired; please start again", status=403)
    pending = flow.resume(svc, p)
    if pending is None:
        return pages.error_page(request, "the sign-in request has expired; please start again")
    session = sso.current_session(request)
    if session is None or session.must_change:
        return RedirectResponse(f"{CONTINUE}?p={p}", status_code=303, headers=pages.headers())
    address = request.client.host if request.client else "unknown"
    try:
        saml_reauth.confirm_password(svc, session.person_id, password, address=address)
    except SignInRefused as refused:
        t = pages.text(request)
        if refused.reason == "throttled":
            message = t["reauth_wait"].format(seconds=refused.retry_after)
            return pages.reauth_page(
                request, p, error=message, status=429, retry_after=refused.retry_after
            )
        return pages.reauth_page(request, p, error=t["reauth_wrong"], status=401)
    try:
        answer = flow.answer(
            svc, _paths(request), pending, session, scope=_scope(request),
            authenticated_at=svc.clock(),
        )  # fmt: skip
    except RequestError as exc:
        return pages.error_page(request, str(exc))
    return pages.post_form(request, answer)


# --- single logout ---


def _logout(
    request: Request,
    binding: str,
    message: str | None,
    response_message: str | None,
    relay_state: str | None,
    sigalg: str | None = None,
    signature: str | None = None,
) -> Response:
    svc = _svc(request)
    if not message:
        if response_message:
            # An SP of a logout chain answered (its answer changes nothing: the SSO session
            # is over either way): on to the next SP, or to the one that started.
            outcome = logout.resume(svc, _paths(request), request.cookies.get(SLO_COOKIE))
            if outcome is None:
                t = pages.text(request)
                return pages.page(
                    request, t["signed_out"], f"<p>{html.escape(t['signed_out'])}</p>"
                )
            return _deliver(request, outcome)
        return pages.error_page(request, "SAMLRequest is missing")
    try:
        outcome = logout.logout(
            svc,
            _paths(request),
            binding=binding,
            message=message,
            relay_state=relay_state,
            sigalg=sigalg,
            signature=signature,
            browser_session=sso.current_session(request),
        )
    except RequestError as exc:
        log.info("SAML LogoutRequest refused: %s", exc)
        return pages.error_page(request, str(exc))
    if outcome.ended is not None:
        _signed_out(request, outcome.ended)
    response = _deliver(request, outcome)
    ended_here = outcome.ended is not None and request.cookies.get(sso.COOKIE)
    if ended_here and sso.current_session(request) is None:
        sso.clear_session_cookie(response)
    return response


def logout_chain(request: Request, ended: Session, return_to: str) -> Response | None:
    """For the sign-out page: the browser's way through the SAML SPs that `ended` signed in
    to (a LogoutRequest to each that has an SLO endpoint, one after another), ending at
    `return_to`, a local path. None when no SAML SP is to be told."""
    if sso.safe_next(return_to, default="") != return_to:
        raise ValueError("return_to must be a local path")
    try:
        outcome = logout.signed_out(_svc(request), _paths(request), ended, return_to)
    except RequestError as exc:  # the session is over in any case
        log.warning("SAML logout chain for session %s not started: %s", ended.sid, exc)
        return None
    if not outcome.chain:
        return None
    return _deliver(request, outcome)


def _deliver(request: Request, outcome: logout.LogoutOutcome) -> Response:
    reply = outcome.reply
    if isinstance(reply, flow.Redirect):
        response: Response = RedirectResponse(reply.url, status_code=303, headers=pages.headers())
    else:
        response = pages.post_form(request, reply)
    secure = sso.is_secure(request)
    if outcome.chain:
        # The SPs answer by Redirect (a top-level GET: Lax cookies go along) or by a
        # cross-site POST, which only a SameSite=None cookie survives — and browsers take
        # those over https only.
        response.set_cookie(
            SLO_COOKIE,
            outcome.chain,
            max_age=logout.CHAIN_MAX_AGE_SECONDS,
            path="/saml/slo",
            httponly=True,
            secure=secure,
            samesite="none" if secure else "lax",
        )
    elif request.cookies.get(SLO_COOKIE):
        response.delete_cookie(SLO_COOKIE, path="/saml/slo", httponly=True, secure=secure)
    return response


def _signed_out(request: Request, ended: Session) -> None:
    """Tell the other parts (OIDC back-channel logout) as the sign-out page does."""
    for hook in getattr(request.app.state, "on_signout", []):
        try:
            hook(ended)
        except Exception:  # one failing service must not fail this logout
            log.exception("sign-out hook %r failed for session %s", hook, ended.sid)


@router.get("/saml/slo/redirect")
def slo_redirect(
    request: Request,
    SAMLRequest: OptionalQuery = None,  # noqa: N803
    SAMLResponse: OptionalQuery = None,  # noqa: N803
    RelayState: OptionalQuery = None,  # noqa: N803
    SigAlg: OptionalQuery = None,  # noqa: N803
    Signature: OptionalQuery = None,  # noqa: N803
) -> Response:
    return _logout(
        request, BINDING_HTTP_REDIRECT, SAMLRequest, SAMLResponse, RelayState, SigAlg, Signature
    )


@router.post("/saml/slo/post")
def slo_post(
    request: Request,
    SAMLRequest: OptionalForm = None,  # noqa: N803
    SAMLResponse: OptionalForm = None,  # noqa: N803
    RelayState: OptionalForm = None,  # noqa: N803
) -> Response:
    return _logout(request, BINDING_HTTP_POST, SAMLRequest, SAMLResponse, RelayState)
