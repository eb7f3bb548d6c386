"""A relying party for the demo only: `/demo/` signs in through Schulhof's own OIDC provider
like a learning platform would, and shows what the service received (ID token claims and
userinfo). Mounted by `schulhof demo`, never by `schulhof serve`.

It is a real client over HTTP — discovery, code flow with PKCE, token request with its
secret, ID token checked against the published keys — so trying it exercises what a
connected service does.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

router = APIRouter(prefix="/demo", include_in_schema=False)
_COOKIE = "schulhof_demo_rp"


@dataclass(frozen=True, slots=True)
class DemoClient:
    base: str  # where this server is reached, e.g. http://127.0.0.1:8000
    client_id: str
    client_secret: str

    @property
    def redirect_uri(self) -> str:
        return f"{self.base}/demo/callback"


def _client(request: Request) -> DemoClient:
    found: DemoClient = request.app.state.demo_client
    return found


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(
        f"<!doctype html><html lang='de'><head><meta charset='utf-8'><title>{title}</title>"
        "<meta name='viewport' content='width=device-width'></head><body style='font-family:"
        f"sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem'><h1>{title}</h1>{body}"
        "</body></html>",
        status,
        headers={"Cache-Control": "no-store"},
    )


@router.get("/")
async def start(request: Request) -> Response:
    c = _client(request)
    return _page(
        "Demo-Lernplattform",
        "<p>Diese Seite spielt einen angeschlossenen Dienst (OpenID Connect). "
        "This page plays a connected service.</p>"
        f"<p><a href='{c.base}/demo/login'>Mit Schulhof anmelden / Sign in with Schulhof</a></p>",
    )


@router.get("/login")
async def login(request: Request) -> Response:
    c = _client(request)
    state, nonce = secrets.token_urlsafe(16), secrets.token_urlsafe(16)
    verifier = secrets.token_urlsafe(48)  # RFC 7636: 43 to 128 characters
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest())
    query = urlencode({
        "response_type": "code", "client_id": c.client_id, "redirect_uri": c.redirect_uri,
        "scope": "openid profile roles schools groups", "state": state, "nonce": nonce,
        "code_challenge": challenge.rstrip(b"=").decode(), "code_challenge_method": "S256",
    })  # fmt: skip
    async with httpx.AsyncClient(timeout=10) as http:
        conf = (await http.get(f"{c.base}/.well-known/openid-configuration")).json()
    response = RedirectResponse(f"{conf['authorization_endpoint']}?{query}", 303)
    response.set_cookie(
        _COOKIE, f"{state}.{verifier}.{nonce}", httponly=True, samesite="lax", max_age=600
    )
    return response


@router.get("/callback")
async def callback(request: Request) -> Response:
    c = _client(request)
    kept = (request.cookies.get(_COOKIE) or "..").split(".")
    params = request.query_params
    if "error" in params:
        return _page("Abgelehnt / Refused", f"<p>{html.escape(params['error'])}: "
                     f"{html.escape(params.get('error_description', ''))}</p>", 403)  # fmt: skip
    if len(kept) != 3 or not secrets.compare_digest(params.get("state", ""), kept[0]):
        return _page("Fehler / Error", "<p>state does not match</p>", 400)
    async with httpx.AsyncClient(timeout=10) as http:
        conf = (await http.get(f"{c.base}/.well-known/openid-configuration")).json()
        token = await http.post(
            conf["token_endpoint"],
            data={"grant_type": "authorization_code", "code": params.get("code", ""),
                  "redirect_uri": c.redirect_uri, "code_verifier": kept[1]},
            auth=(c.client_id, c.client_secret),
        )  # fmt: skip
        if token.status_code != 200:
            return _page("Fehler / Error", f"<pre>{html.escape(token.text)}</pre>", 400)
        tokens = token.json()
        keys = KeySet.import_key_set((await http.get(conf["jwks_uri"])).json())
        info = await http.get(
            conf["userinfo_endpoint"],
            headers={"Authorization": f"Bearer {tokens['access_token']}"},
        )
    try:
        claims: dict[str, Any] = dict(jwt.decode(tokens["id_token"], keys, ["RS256"]).claims)
    except (JoseError, ValueError) as exc:
        return _page("Fehler / Error", f"<p>ID token rejected: {html.escape(str(exc))}</p>", 400)
    if claims.get("nonce") != kept[2] or claims.get("aud") not in (c.client_id, [c.client_id]):
        return _page("Fehler / Error", "<p>nonce or audience does not match</p>", 400)
    logout = f"{conf['end_session_endpoint']}?" + urlencode(
        {"id_token_hint": tokens["id_token"], "post_logout_redirect_uri": f"{c.base}/demo/"}
    )
    body = (
        "<p>Die Demo-Lernplattform hat Folgendes erhalten / The service received:</p>"
        f"<h2>ID token</h2><pre>{html.escape(json.dumps(claims, indent=2, ensure_ascii=False))}"
        "</pre><h2>userinfo</h2><pre>"
        f"{html.escape(json.dumps(info.json(), indent=2, ensure_ascii=False))}</pre>"
        f"<p><a href='{html.escape(logout)}'>Abmelden / Sign out</a></p>"
    )
    response = _page("Angemeldet / Signed in", body)
    response.delete_cookie(_COOKIE)
    return response
