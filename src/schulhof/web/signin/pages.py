"""Rendering the sign-in pages: Jinja2 (autoescaped), the language, the CSRF token, and
the headers every page gets.

OIDC and SAML pages that need a form or a notice (consent, errors, the SAML POST form) use
`render` and `PageRoute` too, so they look and defend themselves the same way.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Coroutine, Mapping
from importlib import resources
from typing import Any
from urllib.parse import urlencode

import jinja2
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from schulhof.web import sso
from schulhof.web.signin import csrf, texts
from schulhof.web.signin.texts import Lang

# default-src 'self' covers the one stylesheet; no script is needed by any page.
# form-action is left out on purpose: Chromium applies it to the redirects that follow a
# form POST, and the sign-in form's redirect chain ends at a service's redirect_uri.
CSP = "default-src 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
HEADERS: Mapping[str, str] = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}

_PACKAGE = resources.files("schulhof.web.signin")
CSS = (_PACKAGE / "static" / "signin.css").read_bytes()
CSS_PATH = f"/assets/signin.css?v={hashlib.sha256(CSS).hexdigest()[:12]}"

_env = jinja2.Environment(
    loader=jinja2.PackageLoader("schulhof.web.signin", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,  # a misspelt name fails the test, not the page
    trim_blocks=True,
    lstrip_blocks=True,
)


def secure_headers(response: Response) -> Response:
    """`HEADERS` on `response`, where it has not set its own (the stylesheet is cached)."""
    for name, value in HEADERS.items():
        response.headers.setdefault(name, value)
    return response


class PageRoute(APIRoute):
    """A route whose every answer (pages and redirects alike) carries `HEADERS`."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def with_headers(request: Request) -> Response:
            return secure_headers(await handler(request))

        return with_headers


def switch_url(request: Request, lang: Lang, next_url: str | None) -> str:
    """The same page in the other language, as a GET; only `next` is carried over (a
    form's other fields do not belong in a URL)."""
    other = Lang.EN if lang is Lang.DE else Lang.DE
    query = {"lang": other.value}
    if next_url:
        query["next"] = next_url
    return f"{request.url.path}?{urlencode(query)}"


def render(
    request: Request,
    template: str,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    next_url: str | None = None,
    **context: Any,
) -> HTMLResponse:
    """`template` filled with `context`, plus what every page needs: `t` (the catalogue in
    the page's language), the CSRF field, the language switch (keeping `next_url`)."""
    lang, remember = texts.choose(request)
    token, fresh_cookie = csrf.token_for(request)

    def t(key: str, **fields: object) -> str:
        return texts.text(lang, key, **fields)

    context.setdefault("errors", [])
    context.setdefault("form_error", None)
    context.setdefault("notice", None)
    html = _env.get_template(template).render(
        lang=lang.value,
        t=t,
        csrf_field=csrf.FIELD,
        csrf_token=token,
        switch_url=switch_url(request, lang, next_url),
        next_url=next_url or "",
        css_url=CSS_PATH,
        **context,
    )
    response = HTMLResponse(
        html,
        status_code=status,
        headers={**HEADERS, "Content-Language": lang.value, **(headers or {})},
    )
    secure = sso.is_secure(request)
    if remember:
        response.set_cookie(
            texts.LANG_COOKIE,
            lang.value,
            max_age=365 * 24 * 3600,
            samesite="lax",
            secure=secure,
            path="/",
        )
    if fresh_cookie is not None:
        csrf.set_cookie(response, fresh_cookie, secure=secure)
    return response


def stylesheet() -> Response:
    # Named by its hash in CSS_PATH, so it may be cached for long.
    return Response(
        CSS,
        media_type="text/css",
        headers={"Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )
