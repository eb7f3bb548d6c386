"""CSRF tokens bound to a cookie (docs/design/signin.md, "CSRF").

The browser holds a random value in the `schulhof_csrf` cookie (HttpOnly, SameSite=Lax);
each form carries HMAC(server secret, that value). A cross-site POST carries no Lax cookie,
and another site can never read or compute the matching form field. Lax, not Strict: a
person arriving from another site (every OIDC/SAML sign-in) would otherwise get no cookie
on that navigation, a fresh one in its place, and a form open in another tab would fail.
The cookie is renewed only when missing: rotating it on every page would break a second
open tab.

A POST whose `Origin` header names another origin than the public URL is refused as well
(a second, independent check); a missing `Origin` is allowed for old browsers, the token
still protects. Our pages send `Referrer-Policy: same-origin`, under which browsers send the
real `Origin` with a same-origin POST (`no-referrer` makes it "null").
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from schulhof.services import secrets as server_secrets
from schulhof.services.runtime import Services
from schulhof.web import sso

CSRF_COOKIE = "schulhof_csrf"
FIELD = "csrf"
_COOKIE_BYTES = 32


def _key(request: Request) -> bytes:
    # One database read per process: the secret never changes once made.
    cached: bytes | None = getattr(request.app.state, "csrf_key", None)
    if cached is None:
        svc: Services = request.app.state.services
        cached = server_secrets.server_secret(svc, "csrf")
        request.app.state.csrf_key = cached
    return cached


def _mac(key: bytes, cookie: str) -> str:
    return hmac.new(key, cookie.encode(), hashlib.sha256).hexdigest()


def _cookie(request: Request) -> str | None:
    value = request.cookies.get(CSRF_COOKIE)
    if value is None or not 40 <= len(value) <= 64 or not value.isascii():
        return None
    return value


def token_for(request: Request) -> tuple[str, str | None]:
    """(form field value, a new cookie value to set or None if the browser has one)."""
    cookie = _cookie(request)
    if cookie is None:
        fresh = secrets.token_urlsafe(_COOKIE_BYTES)
        return _mac(_key(request), fresh), fresh
    return _mac(_key(request), cookie), None


def set_cookie(response: Response, value: str, *, secure: bool) -> None:
    response.set_cookie(CSRF_COOKIE, value, httponly=True, samesite="lax", secure=secure, path="/")


def same_origin(request: Request) -> bool:
    """Whether the request's `Origin` header, if any, is this server's public origin."""
    origin = request.headers.get("origin")
    if origin is None:
        return True  # old browsers send none; the token alone decides
    public = urlsplit(sso.public_url(request))
    return origin == f"{public.scheme}://{public.netloc}".lower()


def verify(request: Request, presented: str | None) -> bool:
    """Whether the POST comes from our own origin (`same_origin`) and the form field
    matches the cookie (compared in constant time)."""
    if not same_origin(request):
        return False
    cookie = _cookie(request)
    if cookie is None or not presented:
        return False
    return hmac.compare_digest(_mac(_key(request), cookie), presented)
