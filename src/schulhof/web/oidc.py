"""The OpenID Connect provider's routes (docs/oidc.md). The issuer is the public URL
(`serve --public-url`, else the address the request came to).

Protocol rules live in protocols/oidc (authlib glue); here: the HTTP shapes, the SSO
session, and the answers a browser gets. authlib and the services block (database,
signing): everything past reading the request runs in the thread pool.

Refusals at the authorization endpoint follow RFC 6749 §4.1.2.1: an error goes back to
the client only when its redirect URI is a registered one; otherwise the browser gets an
error page (never a redirect to an unchecked address).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import html
import logging
import secrets
from typing import Any
from urllib.parse import parse_qs, parse_qsl, unquote, urlencode, urlsplit

from authlib.oauth2.rfc6749 import (  # type: ignore[import-untyped]
    InsecureTransportError,
    OAuth2Error,
)
from fastapi import APIRouter, FastAPI, HTTPException, Request
from starlette.concurrency import run_in_threadpool
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from schulhof.domain.errors import NotFoundError
from schulhof.protocols.oidc import claims, jwt, logout, models
from schulhof.protocols.oidc import server as oidc
from schulhof.services import clients, keys, oidc_grants, release, saml_reauth, sessions
from schulhof.services import secrets as server_secrets
from schulhof.services.clients import ServiceClient
from schulhof.services.runtime import Services
from schulhof.services.sessions import Session
from schulhof.services.signin import SignInRefused
from schulhof.web import sso
from schulhof.web.signin import csrf
from schulhof.web.signin.routes import sign_out

router = APIRouter(include_in_schema=False)

AUTHORIZE = "/oidc/authorize"
TOKEN = "/oidc/token"  # noqa: S105 (a path, not a secret)
USERINFO = "/oidc/userinfo"
JWKS = "/oidc/jwks"
LOGOUT = "/oidc/logout"
LOGOUT_CONTINUE = "/oidc/logout/continue"
log = logging.getLogger(__name__)
REAUTH = "/oidc/reauth"
FRESH = "schulhof_oidc_fresh"  # the one-time marker: a query parameter and a cookie
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


def install(app: FastAPI) -> None:
    """Register the routes and the sign-out hook (back-channel logout, token revocation)."""
    app.include_router(router)
    hooks: list[Any] = getattr(app.state, "on_signout", None) or []
    app.state.on_signout = hooks

    def on_signout(session: Session) -> None:
        # Each client is told the issuer it signed in with (kept with the session); this
        # is only the fallback.
        logout.session_ended(app.state.services, sso_issuer(app), session)

    hooks.append(on_signout)


def sso_issuer(app: FastAPI) -> str:
    configured: str | None = getattr(app.state, "public_url", None)
    return configured.rstrip("/") if configured else "http://127.0.0.1"


def _svc(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def _server(request: Request) -> oidc.Server:
    issuer = sso.public_url(request)
    found: oidc.Server | None = getattr(request.app.state, "oidc_server", None)
    if found is None or found.issuer != issuer:
        found = oidc.Server(_svc(request), issuer)
        request.app.state.oidc_server = found
    return found


async def _request(request: Request, server: oidc.Server) -> models.Request:
    """authlib's view of the request, addressed under the issuer (so a TLS-terminating
    proxy in front does not make authlib think the transport is insecure)."""
    form: list[tuple[str, str]] = []
    if request.method == "POST":
        body = await request.form()
        form = [(k, v) for k, v in body.multi_items() if isinstance(v, str)]
    query = request.url.query
    uri = server.issuer + request.url.path + (f"?{query}" if query else "")
    try:
        return models.Request(
            request.method, uri, request.headers, list(request.query_params.multi_items()), form
        )
    except InsecureTransportError:
        # Plain http is for loopback addresses only (docs/oidc.md, "Testing with plain http").
        raise HTTPException(400, "OIDC needs an https public URL (serve --public-url)") from None


def _response(result: tuple[int, Any, list[tuple[str, str]]]) -> Response:
    status, body, headers = result
    if isinstance(body, dict):
        return JSONResponse(body, status_code=status, headers=dict(headers))
    return Response(body or b"", status_code=status, headers=dict(headers))


def _error_page(status: int, title: str, detail: str) -> HTMLResponse:
    page = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(title)}</title></head><body><main><h1>{html.escape(title)}</h1>"
        f"<p>{html.escape(detail)}</p></main></body></html>"
    )
    return HTMLResponse(page, status_code=status, headers=NO_STORE)


# --- discovery and keys ---


@router.get("/.well-known/openid-configuration")
def discovery(request: Request) -> JSONResponse:
    iss = sso.public_url(request)
    return JSONResponse(
        {
            "issuer": iss,
            "authorization_endpoint": iss + AUTHORIZE,
            "token_endpoint": iss + TOKEN,
            "userinfo_endpoint": iss + USERINFO,
            "jwks_uri": iss + JWKS,
            "end_session_endpoint": iss + LOGOUT,
            "scopes_supported": list(claims.SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": [jwt.ALG],
            "token_endpoint_auth_methods_supported": oidc.AUTH_METHODS,
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "sub",
                "iss",
                "aud",
                "exp",
                "iat",
                "auth_time",
                "nonce",
                "sid",
                "at_hash",
                *(c for cs in claims.SCOPE_CLAIMS.values() for c in cs),
            ],
            "backchannel_logout_supported": True,
            "backchannel_logout_session_supported": True,
            "frontchannel_logout_supported": False,
        },
        headers={"Access-Control-Allow-Origin": "*"},
    )


# kid -> public JWK: deriving it parses the private PEM (~20 ms of CPU); keys never change.
_public_jwks: dict[str, dict[str, Any]] = {}


@router.get(JWKS)
def jwks(request: Request) -> JSONResponse:
    published = keys.published_keys(_svc(request), "oidc")
    for k in published:
        if k.kid not in _public_jwks:
            _public_jwks[k.kid] = k.public_jwk()
    return JSONResponse(
        {"keys": [_public_jwks[k.kid] for k in published]},
        headers={"Cache-Control": "public, max-age=300", "Access-Control-Allow-Origin": "*"},
    )


# --- authorization endpoint (OIDC Core §3.1.2) ---


@router.api_route(AUTHORIZE, methods=["GET", "POST"])
async def authorize(request: Request) -> Response:
    server = _server(request)
    req = await _request(request, server)
    # Where to come back to after signing in: a GET with all parameters (a POSTed request
    # is turned into its GET form, RFC 6749 §3.1 allows both), less our own marker.
    pairs = [(k, v) for k, vs in req.payload.datalist.items() for v in vs if k != FRESH]
    local = AUTHORIZE + (f"?{urlencode(pairs)}" if pairs else "")
    marker = request.query_params.get(FRESH)
    return await run_in_threadpool(_authorize, request, server, req, local, marker=marker)


def _authorize(
    request: Request,
    server: oidc.Server,
    req: models.Request,
    local: str,
    *,
    marker: str | None = None,
    fresh: dt.datetime | None = None,
) -> Response:
    """Answer an authorization request. `marker`: the one-time marker of a sign-in this
    request sent the browser to; `fresh`: the password was just typed again (reauth)."""
    svc = server.svc
    session = sso.current_session(request)
    try:
        grant = server.get_consent_grant(req, end_user=session)
    except OAuth2Error as error:
        return _authorize_error(server, req, error)
    data = req.payload.data
    prompts = set(data.get("prompt", "").split())
    max_age = _max_age(data.get("max_age"))
    if max_age == -1:
        return _redirect_error(grant.redirect_uri, req, "invalid_request",
                               "max_age must be a non-negative integer")  # fmt: skip
    if session is None or session.must_change:
        # Signed out (or the session expired): sign in and come back. A restricted session
        # gets no code: the sign-in pages lead it to the password change first.
        if "none" in prompts:
            # §3.1.2.6: with a session that needs the password change first, the person
            # could go on, but only through a page: interaction_required.
            code = "login_required" if session is None else "interaction_required"
            return _redirect_error(grant.redirect_uri, req, code)
        if session is None and ("login" in prompts or max_age is not None):
            # This sign-in is the fresh one the client asked for: bind it to this request
            # with a one-time marker, so the way back does not ask for the password again.
            return _signin_with_marker(request, local)
        return sso.signin_redirect(request, local)
    if "select_account" in prompts and fresh is None:
        # One person per browser session: no account choice to offer (docs/oidc.md).
        return _redirect_error(grant.redirect_uri, req, "account_selection_required")
    marked = marker is not None and _marker_holds(request, marker, session)
    if fresh is None and not marked and _needs_fresh(svc, session, prompts, max_age):
        if "none" in prompts:  # only with max_age ("none login" is refused by authlib)
            return _redirect_error(grant.redirect_uri, req, "login_required")
        return _reauth_page(request, local)
    client: models.Client = grant.client
    family = ""  # known once the code is exchanged
    auth_time = fresh or session.auth_time
    person = models.grantee(svc, client, session.person_id, session.sid, auth_time, family)
    if person is None:  # other school, disabled, or gone: the client is told no
        return _response(server.create_authorization_response(req, None, grant))
    result = server.create_authorization_response(req, person, grant)
    location = urlsplit(dict(result[2]).get("Location", ""))
    if "code" in parse_qs(location.query):
        sessions.note_client(svc, session.sid, "oidc", client.client_id,
                             {"sub": person.release.subject, "sid": person.client_sid,
                              "iss": server.issuer})  # fmt: skip
    response = _response(result)
    if marker is not None:
        response.delete_cookie(FRESH, path=AUTHORIZE, httponly=True, samesite="lax")
    return response


def _max_age(value: str | None) -> int | None:
    """max_age in seconds; None if absent, -1 if malformed."""
    if value is None:
        return None
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else -1


def _needs_fresh(svc: Services, session: Session, prompts: set[str], max_age: int | None) -> bool:
    """OIDC Core §3.1.2.1: prompt=login, or the sign-in is older than max_age (0: always)."""
    if "login" in prompts:
        return True
    if max_age is None:
        return False
    return max_age == 0 or svc.clock() - session.auth_time > dt.timedelta(seconds=max_age)


# --- the one-time marker: a sign-in this authorization request sent the browser to ---
#
# "<issued at>.<nonce>.<mac>", in the `next` URL and in a cookie on the authorize path.
# It holds once, for a session that began after it was issued: the cookie is deleted when
# the code is issued, so the same URL from the browser history asks for the password.


def _marker_mac(svc: Services, body: str) -> str:
    key = server_secrets.server_secret(svc, "oidc-fresh")
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()[:32]


def _signin_with_marker(request: Request, local: str) -> Response:
    svc = _svc(request)
    body = f"{int(svc.clock().timestamp())}.{secrets.token_urlsafe(16)}"
    marker = f"{body}.{_marker_mac(svc, body)}"
    sep = "&" if "?" in local else "?"
    response = sso.signin_redirect(request, f"{local}{sep}{urlencode({FRESH: marker})}")
    response.set_cookie(FRESH, marker, httponly=True, samesite="lax", path=AUTHORIZE,
                        secure=sso.is_secure(request))  # fmt: skip
    return response


def _marker_holds(request: Request, marker: str, session: Session) -> bool:
    cookie = request.cookies.get(FRESH)
    if cookie is None or len(marker) > 100 or not hmac.compare_digest(cookie, marker):
        return False
    issued, _, rest = marker.partition(".")
    nonce, _, mac = rest.partition(".")
    if not issued.isdigit() or not hmac.compare_digest(
        _marker_mac(_svc(request), f"{issued}.{nonce}"), mac
    ):
        return False
    # The session began after the marker was issued: its sign-in is the one asked for.
    return session.auth_time.timestamp() >= int(issued)


# --- the password typed again (prompt=login, max_age) ---


def _reauth_page(
    request: Request,
    local: str,
    *,
    error: str | None = None,
    status: int = 200,
    retry_after: int | None = None,
) -> Response:
    """The signed-in person types the password again; the form carries the authorization
    request itself, so the answer to it is the code (no redirect back, no loop)."""
    # The SAML ForceAuthn prompt, with our form field and action. Imported here: saml_pages
    # imports the sign-in package, which imports web.saml, which imports saml_pages again.
    from schulhof.web import saml_pages

    return saml_pages.reauth_page(
        request,
        urlsplit(local).query,
        field="request",
        action=REAUTH,
        error=error,
        status=status,
        retry_after=retry_after,
    )


@router.post(REAUTH)
async def reauthenticate(request: Request) -> Response:
    server = _server(request)
    form = await request.form()
    values = {k: v for k, v in form.items() if isinstance(v, str)}
    return await run_in_threadpool(_reauthenticate, request, server, values)


def _reauthenticate(request: Request, server: oidc.Server, form: dict[str, str]) -> Response:
    svc = server.svc
    query = form.get("request", "")
    if not csrf.verify(request, form.get(csrf.FIELD)) or len(query) > 8000:
        return _error_page(403, "Sign-in request refused", "the form has expired; start again")
    local = AUTHORIZE + (f"?{query}" if query else "")
    session = sso.current_session(request)
    if session is None or session.must_change:
        return RedirectResponse(local, status_code=303)  # signed out meanwhile: start over
    address = request.client.host if request.client else "unknown"
    try:
        saml_reauth.confirm_password(svc, session.person_id, form.get("password", ""),
                                     address=address, channel="oidc")  # fmt: skip
    except SignInRefused as refused:
        from schulhof.web import saml_pages

        t = saml_pages.text(request)
        if refused.reason == "throttled":
            message = t["reauth_wait"].format(seconds=refused.retry_after)
            return _reauth_page(request, local, error=message, status=429,
                                retry_after=refused.retry_after)  # fmt: skip
        return _reauth_page(request, local, error=t["reauth_wrong"], status=401)
    pairs = [(k, v) for k, v in parse_qsl(query, keep_blank_values=True) if k != FRESH]
    uri = server.issuer + local
    req = models.Request("GET", uri, request.headers, pairs, [])
    return _authorize(request, server, req, local, fresh=svc.clock())


def _authorize_error(server: oidc.Server, req: models.Request, error: OAuth2Error) -> Response:
    if error.redirect_uri:  # authlib sets it only for a registered redirect URI
        return _response(server.handle_error_response(req, error))
    return _error_page(400, "Sign-in request refused", f"{error.error}: {error.description}")


def _redirect_error(
    redirect_uri: str, req: models.Request, code: str, description: str | None = None
) -> Response:
    params = {"error": code}
    if description:
        params["error_description"] = description
    state = req.payload.state
    if state:
        params["state"] = state
    sep = "&" if urlsplit(redirect_uri).query else "?"
    return RedirectResponse(redirect_uri + sep + urlencode(params), status_code=302)


# --- token endpoint (RFC 6749 §3.2) ---


@router.post(TOKEN)
async def token(request: Request) -> Response:
    server = _server(request)
    req = await _request(request, server)
    response = _response(await run_in_threadpool(server.create_token_response, req))
    origin = request.headers.get("origin")
    client_id = req.payload.client_id or _basic_user(request)
    if origin and client_id:
        found = await run_in_threadpool(clients.get, server.svc, client_id)
        _allow_origin(response, origin, found)
    return response


# --- userinfo (OIDC Core §5.3) ---


@router.api_route(USERINFO, methods=["GET", "POST"])
async def userinfo(request: Request) -> Response:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        return _bearer_error(None)
    response, client = await run_in_threadpool(_userinfo, _server(request), value.strip())
    origin = request.headers.get("origin")
    if origin:
        _allow_origin(response, origin, client)
    return response


def _userinfo(server: oidc.Server, token: str) -> tuple[Response, ServiceClient | None]:
    """The answer, and the client the token was issued to (for CORS)."""
    svc = server.svc
    now = int(svc.clock().timestamp())
    found = jwt.verify(token, keys.published_keys(svc, "oidc"), now=now, typ="at+jwt")
    if found is None or found.get("iss") != server.issuer:
        return _bearer_error("invalid_token"), None
    client = clients.get(svc, str(found.get("client_id")))
    grant = oidc_grants.active_family(svc, str(found.get("grant")))
    if client is None or grant is None or grant.client_id != client.id:
        return _bearer_error("invalid_token"), None  # removed client, revoked/expired grant
    try:
        person = release.release_for(svc, client, grant.person_id)
    except NotFoundError:
        return _bearer_error("invalid_token"), client
    scopes = str(found.get("scope", "")).split()
    return JSONResponse(claims.claims_for(person, scopes), headers=NO_STORE), client


def _bearer_error(code: str | None) -> Response:
    # RFC 6750 §3: no error code when no token was sent at all.
    challenge = 'Bearer realm="schulhof"' + (f', error="{code}"' if code else "")
    return JSONResponse(
        {"error": code or "invalid_request"},
        status_code=401,
        headers={"WWW-Authenticate": challenge, **NO_STORE},
    )


# --- CORS, for public clients running in a browser (single-page apps) ---
#
# Discovery and JWKS are public: any origin. The token and userinfo answers are readable
# by the origins of the client's own registered redirect URIs only. A preflight names no
# client yet, so it is answered for any origin: it reveals nothing, and the answer to the
# request itself decides (no credentials: cookies never go cross-origin to these routes).


def _origin_of(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def _allow_origin(response: Response, origin: str, client: ServiceClient | None) -> None:
    response.headers["Vary"] = "Origin"
    if client is None or client.protocol != "oidc":
        return
    mine = {_origin_of(u) for u in client.config.get("redirect_uris", [])}
    if origin in mine:
        response.headers["Access-Control-Allow-Origin"] = origin


def _basic_user(request: Request) -> str | None:
    scheme, _, value = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode()
    except (ValueError, UnicodeDecodeError):
        return None
    return unquote(decoded.partition(":")[0]) or None


@router.options(TOKEN)
@router.options(USERINFO)
def preflight(request: Request) -> Response:
    origin = request.headers.get("origin")
    if not origin:
        return Response(status_code=204)
    return Response(
        status_code=204,
        headers={
            "Access-Control-Allow-Origin": origin,
            "Access-Control-Allow-Methods": "GET, POST",
            "Access-Control-Allow-Headers": "Authorization, Content-Type",
            "Access-Control-Max-Age": "600",
            "Vary": "Origin",
        },
    )


# --- RP-initiated logout (OIDC RP-Initiated Logout 1.0 §2–3) ---


@router.api_route(LOGOUT, methods=["GET", "POST"])
async def end_session(request: Request) -> Response:
    server = _server(request)
    req = await _request(request, server)
    return await run_in_threadpool(_end_session, request, server, req.payload.data)


def _end_session(request: Request, server: oidc.Server, data: dict[str, str]) -> Response:
    svc = server.svc
    hint: dict[str, Any] | None = None
    if data.get("id_token_hint"):
        # An expired ID token is still a fine hint (§2): check the signature, not `exp`.
        hint = jwt.verify(data["id_token_hint"], keys.published_keys(svc, "oidc"),
                          now=0)  # fmt: skip
        if hint is None or hint.get("iss") != server.issuer:
            return _error_page(400, "Sign-out request refused", "the id_token_hint is invalid")
    client_id = data.get("client_id") or (str(hint["aud"]) if hint else None)
    if hint and data.get("client_id") and data["client_id"] != hint.get("aud"):
        return _error_page(400, "Sign-out request refused", "client_id and hint disagree")
    target = data.get("post_logout_redirect_uri")
    client = clients.get(svc, client_id) if client_id else None
    if target:
        allowed = client.config.get("post_logout_redirect_uris", []) if client else []
        if client is None or client.protocol != "oidc" or target not in allowed:
            return _error_page(
                400, "Sign-out request refused", "post_logout_redirect_uri is not registered"
            )
    session = sso.current_session(request)
    this_session = (
        hint is not None
        and session is not None
        and client is not None
        and hint.get("sid") == models.sid_for(svc, client, session.sid)
    )
    if session is not None and not this_session:
        # Without a hint naming this very session, a link could sign people out behind
        # their back: ask (the sign-out page's form carries a CSRF token).
        return RedirectResponse("/signout", status_code=303)
    ended: Session | None = None
    if session is not None:
        ended = sign_out(request)  # audits, then on_signout: tokens revoked, back-channel
    elif hint is not None and hint.get("sid"):
        lost = sessions.end(svc, str(hint["sid"]))  # this browser had lost its cookie
        if lost is not None:
            logout.session_ended(svc, server.issuer, lost)
    if target:
        state = data.get("state")
        sep = "&" if urlsplit(target).query else "?"
        final = target + (sep + urlencode({"state": state}) if state else "")
        done = _continue_url(svc, final)
    else:
        final = done = "/signin?signed_out=1"
    # The session's SAML services are told too: through the browser, one after another,
    # ending at `done` (a local page; for the RP's URI one that forwards there).
    chain = getattr(request.app.state, "signout_chain", None)
    hop = None
    if chain is not None and ended is not None:
        try:
            hop = chain(request, ended, done)
        except ValueError:  # a post-logout URI too long to carry: those SPs are not told
            log.warning("SAML logout chain skipped for session %s", ended.sid)
    response: Response = hop or RedirectResponse(final, status_code=302 if target else 303)
    sso.clear_session_cookie(response)
    return response


def _logout_mac(svc: Services, target: str) -> str:
    secret = server_secrets.server_secret(svc, "oidc-logout")
    digest = hmac.new(secret, target.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _continue_url(svc: Services, target: str) -> str:
    """A local page that forwards to `target` (a registered post-logout URI, checked above)
    after the SAML logout chain; the MAC keeps it from forwarding anywhere else."""
    return f"{LOGOUT_CONTINUE}?" + urlencode({"to": target, "mac": _logout_mac(svc, target)})


@router.get(LOGOUT_CONTINUE)
def logout_continue(request: Request, to: str = "", mac: str = "") -> Response:
    if not to or not hmac.compare_digest(_logout_mac(_svc(request), to), mac):
        return _error_page(400, "Sign-out request refused", "the link is not valid")
    return RedirectResponse(to, status_code=302, headers=NO_STORE)
