"""The SSO session as the web faces see it: the `schulhof_session` cookie, the current
session behind it, and the way to the sign-in page.

Shared by the sign-in pages (web/signin), the OIDC and the SAML routes, so all three read
and write the cookie the same way (docs/design/signin.md, "Sessions").
"""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from schulhof.services import sessions
from schulhof.services.runtime import Services
from schulhof.services.sessions import Session

COOKIE = "schulhof_session"
SIGNIN = "/signin"
DEFAULT_NEXT = "/account"


def public_url(request: Request) -> str:
    """The URL people reach this server under, without a trailing slash: `serve
    --public-url`, else what the request was addressed to (e.g. http://127.0.0.1:8000)."""
    configured: str | None = getattr(request.app.state, "public_url", None)
    if configured:
        return configured.rstrip("/")
    return str(request.base_url).rstrip("/")


def is_secure(request: Request) -> bool:
    return urlsplit(public_url(request)).scheme == "https"


def current_session(request: Request) -> Session | None:
    """The live session behind the cookie, or None (no cookie, unknown, expired, ended).
    May write `last_seen_at`, so call it from a worker thread (a sync route)."""
    svc: Services = request.app.state.services
    return sessions.current(svc, request.cookies.get(COOKIE))


def safe_next(value: str | None, default: str = DEFAULT_NEXT) -> str:
    """`value` if it is a path on this site, else `default`: no open redirect.

    Accepted: one leading "/" followed by anything but "/" or "\\" (browsers read "//x"
    and "/\\x" as another host), no control characters or whitespace (which browsers strip
    before parsing, turning "/\\t/x" into "//x"), and no scheme or host once parsed."""
    if not value or not value.startswith("/") or len(value) > 2000:
        return default
    if value[1:2] in ("/", "\\"):
        return default
    if any(ord(ch) < 0x21 or ch == "\x7f" for ch in value):
        return default
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return default
    return value


def signin_redirect(request: Request, next_url: str) -> RedirectResponse:
    """303 to the sign-in page, coming back to `next_url` (a local path) afterwards."""
    target = f"{SIGNIN}?next={quote(safe_next(next_url), safe='')}"
    return RedirectResponse(target, status_code=303)


def set_session_cookie(response: Response, cookie_value: str, request: Request) -> None:
    # No max-age: a browser-session cookie, gone when the browser closes; the server ends
    # the session itself after 8 h (1 h idle) in any case.
    response.set_cookie(
        COOKIE,
        cookie_value,
        httponly=True,
        samesite="lax",
        secure=is_secure(request),
        path="/",
    )


def clear_session_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax")
