"""Sign in, the account page, sign out (and the pages' stylesheet).

Routes are plain `def`s: FastAPI runs them in its thread pool, where the slow parts (argon2,
the database) may block. Each POST checks its CSRF token before anything else and answers
403 when it is wrong. The only redirect targets are local paths (`sso.safe_next`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

from fastapi import APIRouter, Request
from starlette.responses import Response

from schulhof.services import audit, sessions, signin
from schulhof.services.sessions import Session
from schulhof.services.signin import SignInRefused
from schulhof.web import sso
from schulhof.web.signin import csrf, pages, texts
from schulhof.web.signin.forms import (
    CsrfForm,
    FormText,
    NextForm,
    NextQuery,
    address,
    error_list,
    forbidden,
    here,
    lang_of,
    myself,
    onward,
    see_other,
    svc_of,
    throttled_message,
)
from schulhof.web.signin.pages import render

log = logging.getLogger(__name__)

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)

SignOutHook = Callable[[Session], None]
# (request, ended session, local path to end at) -> the browser's first hop, or None.
SignOutChain = Callable[[Request, Session, str], Response | None]


def sign_out(request: Request) -> Session | None:
    """End this browser's session (if live): audit it and tell the OIDC/SAML parts through
    `app.state.on_signout`, so they can log the person out of the services too."""
    cookie = request.cookies.get(sso.COOKIE)
    if not cookie:
        return None
    svc = svc_of(request)
    ended = sessions.end(svc, cookie)
    if ended is None:
        return None
    person = myself(svc, ended.person_id)
    audit.record_event(
        svc,
        actor=f"person:{person.username}" if person else "anonymous",
        action="signout",
        target_id=ended.person_id,
        school=person.school_numbers[0] if person and person.school_numbers else None,
        detail={"channel": "web", "address": address(request), "sid": ended.sid},
    )
    hooks: list[SignOutHook] = getattr(request.app.state, "on_signout", [])
    for hook in hooks:
        try:
            hook(ended)
        except Exception:  # one failing service must not keep the person signed in
            log.exception("sign-out hook %r failed for session %s", hook, ended.sid)
    return ended


def _signout_chain(request: Request, ended: Session | None, done: str) -> Response | None:
    """Services told through the browser (SAML single logout, `web.saml.logout_chain`,
    registered in `app.state.signout_chain`): the browser visits each in turn and comes back
    to `done`. OIDC services were told by `on_signout`, server to server."""
    chain: SignOutChain | None = getattr(request.app.state, "signout_chain", None)
    if ended is None or chain is None:
        return None
    try:
        return chain(request, ended, done)
    except Exception:  # the session is over in any case; the person sees the page
        log.exception("sign-out chain failed for session %s", ended.sid)
        return None


# --- sign in ---


def _signin_page(
    request: Request,
    next_url: str,
    *,
    username: str = "",
    status: int = 200,
    field_errors: Mapping[str, str] | None = None,
    form_error: str | None = None,
    notice: str | None = None,
    headers: Mapping[str, str] | None = None,
    signed_in_as: str | None = None,
) -> Response:
    """The form; `form_error` is a failed sign-in: one message for the form (it cannot say
    which field was wrong without telling who exists), the password field focused."""
    field_errors = field_errors or {}
    focus = next(iter(field_errors), "username" if not username else "password")
    return render(
        request,
        "signin.html",
        signed_in_as=signed_in_as,
        form_error=form_error,
        status=status,
        headers=headers,
        next_url=next_url,
        title=texts.text(lang_of(request), "signin_title"),
        username=username,
        errors=error_list(field_errors),
        field_errors=field_errors,
        focus=focus,
        notice=notice,
    )


@router.get("/signin")
def signin_form(
    request: Request, next_raw: NextQuery = None, signed_out: str | None = None
) -> Response:
    next_url = sso.safe_next(next_raw)
    session = sso.current_session(request)
    if session is not None and session.must_change:
        return onward(session, next_url)
    if session is not None:
        # Signed in already: offer to go on, but show the form, so that the next student
        # at a shared computer can sign in as themselves (and a service may ask for a
        # fresh sign-in).
        person = myself(svc_of(request), session.person_id)
        if person is not None:
            name = f"{person.given_name} {person.family_name}"
            return _signin_page(request, next_url, signed_in_as=name)
    lang = lang_of(request)
    notice = None
    stale = bool(request.cookies.get(sso.COOKIE))
    if signed_out:
        notice = texts.text(lang, "signed_out_notice")
    elif stale:
        notice = texts.text(lang, "expired_notice")
    response = _signin_page(request, next_url, notice=notice)
    if stale:
        sso.clear_session_cookie(response)
    return response


@router.post("/signin")
def signin_submit(
    request: Request,
    username: FormText = "",
    password: FormText = "",
    token: CsrfForm = "",
    next_raw: NextForm = "",
) -> Response:
    next_url = sso.safe_next(next_raw)
    if not csrf.verify(request, token):
        return forbidden(request, "/signin", next_url)
    lang = lang_of(request)
    username = username.strip()
    if not username or not password:
        missing = "username" if not username else "password"
        return _signin_page(
            request,
            next_url,
            username=username,
            status=400,
            field_errors={missing: texts.text(lang, "signin_missing")},
        )
    svc = svc_of(request)
    try:
        verified = signin.verify_password(
            svc, username, password, address=address(request), channel="web"
        )
    except SignInRefused as refused:
        if refused.reason == "throttled":
            wait = max(1, refused.retry_after)
            message = throttled_message(lang, wait)
            return _signin_page(
                request,
                next_url,
                username=username,
                status=429,
                form_error=message,
                headers={"Retry-After": str(wait)},
            )
        # "invalid" and "disabled" read the same: the page tells no one who exists.
        return _signin_page(
            request,
            next_url,
            username=username,
            status=401,
            form_error=texts.text(lang, "signin_failed"),
        )
    # Whoever was signed in at this browser before (a shared classroom PC) is signed out.
    sign_out(request)
    cookie, session = sessions.start(
        svc, verified.person.id, address=address(request), must_change=verified.must_change
    )
    response = onward(session, next_url)
    sso.set_session_cookie(response, cookie, request)
    return response


# --- account ---


@router.get("/account")
def account(request: Request, changed: str | None = None) -> Response:
    session = sso.current_session(request)
    if session is None:
        return sso.signin_redirect(request, here(request))
    if session.must_change:
        return onward(session, sso.DEFAULT_NEXT)
    person = myself(svc_of(request), session.person_id)
    if person is None:
        return sso.signin_redirect(request, here(request))
    lang = lang_of(request)
    return render(
        request,
        "account.html",
        title=texts.text(lang, "account_title"),
        name=f"{person.given_name} {person.family_name}",
        username=person.username,
        notice=texts.text(lang, "changed_notice") if changed else None,
    )


# --- sign out ---


@router.get("/signout")
def signout_form(request: Request, next_raw: NextQuery = None) -> Response:
    next_url = sso.safe_next(next_raw, default="")
    lang = lang_of(request)
    return render(
        request,
        "signout.html",
        next_url=next_url,
        title=texts.text(lang, "signout_title"),
        signed_in=sso.current_session(request) is not None,
    )


@router.post("/signout")
def signout_submit(request: Request, token: CsrfForm = "", next_raw: NextForm = "") -> Response:
    next_url = sso.safe_next(next_raw, default="")
    if not csrf.verify(request, token):
        return forbidden(request, "/signout", next_url)
    ended = sign_out(request)
    done = next_url or "/signin?signed_out=1"
    response = _signout_chain(request, ended, done) or see_other(done)
    sso.clear_session_cookie(response)
    return response


# --- the stylesheet ---


@router.get("/assets/signin.css")
def stylesheet() -> Response:
    return pages.stylesheet()
