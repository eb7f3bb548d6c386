"""The SAML pages: the auto-submitting form that carries a message to an SP (HTTP-POST
binding), the error page, and the password prompt of ForceAuthn — German by default,
English when chosen (`web.signin.texts.choose`), the sign-in pages' stylesheet, and strict
headers: nothing but our stylesheet loads, and the one inline script runs by its nonce.
"""

from __future__ import annotations

import html
import secrets

from starlette.requests import Request
from starlette.responses import HTMLResponse

from schulhof.protocols.saml import flow
from schulhof.web import sso
from schulhof.web.signin import csrf, texts
from schulhof.web.signin.pages import CSS_PATH

REAUTH = "/saml/sso/reauth"

_TEXT = {
    "de": {
        "title": "Weiterleitung",
        "noscript": "JavaScript ist ausgeschaltet. Bitte klicken Sie auf „Weiter“, um zum "
        "Dienst zu gelangen.",
        "continue": "Weiter",
        "error_title": "Anmeldung beim Dienst nicht möglich",
        "error_intro": "Die Anfrage des Dienstes kann nicht beantwortet werden:",
        "signed_out": "Sie sind abgemeldet.",
        "reauth_title": "Passwort bestätigen",
        "reauth_intro": "Der Dienst verlangt, dass Sie sich erneut anmelden. Bitte geben Sie "
        "Ihr Passwort ein.",
        "password": "Passwort",
        "reauth_button": "Bestätigen",
        "reauth_wrong": "Das Passwort ist falsch.",
        "reauth_wait": "Zu viele Fehlversuche. Bitte warten Sie {seconds} Sekunden.",
    },
    "en": {
        "title": "Redirecting",
        "noscript": "JavaScript is turned off. Please click “Continue” to go on to the service.",
        "continue": "Continue",
        "error_title": "Cannot sign in to the service",
        "error_intro": "The service's request cannot be answered:",
        "signed_out": "You are signed out.",
        "reauth_title": "Confirm your password",
        "reauth_intro": "The service asks you to sign in again. Please enter your password.",
        "password": "Password",
        "reauth_button": "Confirm",
        "reauth_wrong": "The password is wrong.",
        "reauth_wait": "Too many failed attempts. Please wait {seconds} seconds.",
    },
}


def text(request: Request) -> dict[str, str]:
    return _TEXT[texts.choose(request)[0].value]


def headers(nonce: str | None = None) -> dict[str, str]:
    script = f"script-src 'nonce-{nonce}'; " if nonce else ""
    # form-action is left out: Chromium applies it to the redirect an SP's ACS answers with.
    csp = f"default-src 'none'; {script}style-src 'self'; base-uri 'none'; frame-ancestors 'none'"
    return {
        "Content-Security-Policy": csp,
        "X-Frame-Options": "DENY",
        "Referrer-Policy": "same-origin",
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }


def page(
    request: Request, title: str, body: str, *, status: int = 200, nonce: str | None = None
) -> HTMLResponse:
    lang = texts.choose(request)[0].value
    doc = (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(title)}</title>"
        f'<link rel="stylesheet" href="{html.escape(CSS_PATH)}"></head>'
        f"<body><main>{body}</main></body></html>"
    )
    return HTMLResponse(doc, status_code=status, headers=headers(nonce))


def post_form(request: Request, message: flow.PostForm) -> HTMLResponse:
    """The HTTP-POST binding (SAML Bindings §3.5.2): a form posted by a nonce'd inline
    script, with a button for browsers without JavaScript."""
    t = text(request)
    nonce = secrets.token_urlsafe(16)
    relay = (
        f'<input type="hidden" name="RelayState" value="{html.escape(message.relay_state)}">'
        if message.relay_state is not None
        else ""
    )
    body = (
        f'<form method="post" action="{html.escape(message.url)}">'
        f'<input type="hidden" name="{message.field}" value="{html.escape(message.value)}">'
        f"{relay}<noscript><p>{html.escape(t['noscript'])}</p>"
        f'<button type="submit">{html.escape(t["continue"])}</button></noscript></form>'
        f'<script nonce="{nonce}">document.forms[0].submit();</script>'
    )
    return page(request, t["title"], body, nonce=nonce)


def error_page(request: Request, reason: str, *, status: int = 400) -> HTMLResponse:
    t = text(request)
    body = (
        f"<h1>{html.escape(t['error_title'])}</h1><p>{html.escape(t['error_intro'])}</p>"
        f'<p role="alert">{html.escape(reason)}</p>'
    )
    return page(request, t["error_title"], body, status=status)


# --- metadata ---


def reauth_page(
    request: Request,
    token: str,
    *,
    field: str = "p",
    action: str = REAUTH,
    error: str | None = None,
    status: int = 200,
    retry_after: int | None = None,
) -> HTMLResponse:
    """ForceAuthn (and OIDC's prompt=login / max_age): the signed-in person types the
    password again (no username field: the session says who it is). `token` goes back in
    the hidden form field `field` to `action`."""
    t = text(request)
    csrf_value, fresh_cookie = csrf.token_for(request)
    alert = (
        f'<p role="alert" id="password-error" class="error">{html.escape(error)}</p>'
        if error
        else ""
    )
    described = ' aria-describedby="password-error" aria-invalid="true"' if error else ""
    body = (
        f"<h1>{html.escape(t['reauth_title'])}</h1><p>{html.escape(t['reauth_intro'])}</p>"
        f'{alert}<form method="post" action="{html.escape(action)}">'
        f'<input type="hidden" name="{html.escape(field)}" value="{html.escape(token)}">'
        f'<input type="hidden" name="{csrf.FIELD}" value="{html.escape(csrf_value)}">'
        f'<label for="password">{html.escape(t["password"])}</label>'
        f'<input id="password" name="password" type="password" autocomplete="current-password"'
        f" required autofocus{described}>"
        f'<button type="submit">{html.escape(t["reauth_button"])}</button></form>'
    )
    response = page(request, t["reauth_title"], body, status=status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    if fresh_cookie is not None:
        csrf.set_cookie(response, fresh_cookie, secure=sso.is_secure(request))
    return response
