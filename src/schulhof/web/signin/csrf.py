"""CSRF tokens bound to a cookie (docs/design/signin.md, "CSRF").

The browser holds a random value in the `schulhof_csrf` cookie (HttpOnly, SameSite=Strict);
each form carries HMAC(server secret, that value). Another site can make the browser send
the cookie with a forged POST only where SameSite allows it, and can never read or compute
the matching form field. The cookie is renewed only when missing: rotating it on every page
would break a second open tab.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from schulhof.services import secrets as server_secrets
from schulhof.services.runtime import Services

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
    response.set_cookie(
        CSRF_COOKIE, value, httponly=True, samesite="strict", secure=secure, path="/"
    )


def verify(request: Request, presented: str | None) -> bool:
    """Whether the form field matches the cookie; compared in constant time."""
    cookie = _cookie(request)
    if cookie is None or not presented:
        return False
    return hmac.compare_digest(_mac(_key(request), cookie), presented)
