"""The sign-in pages: sign in, change the password, the account page, sign out.

Routes are plain `def`s: FastAPI runs them in its thread pool, where the slow parts (argon2,
the database) may block. Each POST checks its CSRF token before anything else and answers
403 when it is wrong. The only redirect targets are local paths (`sso.safe_next`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter, Form, Query, Request
from starlette.responses import RedirectResponse, Response

from schulhof.access.actors import Actor, ActorKind
from schulhof.domain.errors import NotFoundError
from schulhof.domain.model import Person
from schulhof.domain.password_policy import PasswordRejected
from schulhof.services import audit, passwords, persons, sessions, signin
from schulhof.services.runtime import Services
from schulhof.services.sessions import Session
from schulhof.services.signin import SignInRefused
from schulhof.web import sso
from schulhof.web.signin import csrf, pages, texts
from schulhof.web.signin.pages import render
from schulhof.web.signin.texts import Lang

log = logging.getLogger(__name__)

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)

CHANGE = "/password/change"
SignOutHook = Callable[[Session], None]
FormText = Annotated[str, Form()]
NextForm = Annotated[str, Form(alias="next")]
CsrfForm = Annotated[str, Form(alias=csrf.FIELD)]
NextQuery = Annotated[str | None, Query(alias="next")]


# --- helpers ---


def _svc(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def _address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _lang(request: Request) -> Lang:
    return texts.choose(request)[0]


def _with_next(path: str, next_url: str) -> str:
    return f"{path}?next={quote(next_url, safe='')}"


def _here(request: Request) -> str:
    """This GET request's local URL, to come back to after signing in."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def _see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _onward(session: Session, next_url: str) -> RedirectResponse:
    """Where a signed-in browser goes: on to `next_url`, unless the initial password must
    be changed first (a restricted session is good for nothing else)."""
    if session.must_change:
        return _see_other(_with_next(CHANGE, next_url))
    return _see_other(next_url)


def _forbidden(request: Request, back: str, next_url: str) -> Response:
    """The answer to a missing or wrong CSRF token: nothing was done."""
    lang = _lang(request)
    return render(
        request,
        "csrf.html",
        status=403,
        title=texts.text(lang, "csrf_title"),
        back=_with_next(back, next_url),
        next_url=next_url,
    )


def _myself(svc: Services, person_id: str) -> Person | None:
    me = Actor(ActorKind.PERSON, "self", person_id=person_id)
    try:
        return persons.load_readable(svc, me, person_id)
    except NotFoundError:
        return None  # deleted since the session began


def _errors(field_errors: Mapping[str, str]) -> list[dict[str, str]]:
    return [{"field": f, "message": m} for f, m in field_errors.items()]


def sign_out(request: Request) -> Session | None:
    """End this browser's session (if live): audit it and tell the OIDC/SAML parts through
    `app.state.on_signout`, so they can log the person out of the services too."""
    cookie = request.cookies.get(sso.COOKIE)
    if not cookie:
        return None
    svc = _svc(request)
    ended = sessions.end(svc, cookie)
    if ended is None:
        return None
    person = _myself(svc, ended.person_id)
    audit.record_event(
        svc,
        actor=f"person:{person.username}" if person else "anonymous",
        action="signout",
        target_id=ended.person_id,
        school=person.school_numbers[0] if person and person.school_numbers else None,
        detail={"channel": "web", "address": _address(request), "sid": ended.sid},
    )
    hooks: list[SignOutHook] = getattr(request.app.state, "on_signout", [])
    for hook in hooks:
        try:
            hook(ended)
        except Exception:  # one failing service must not keep the person signed in
            log.exception("sign-out hook %r failed for session %s", hook, ended.sid)
    return ended


# --- sign in ---


def _signin_page(
    request: Request,
    next_url: str,
    *,
    username: str = "",
    status: int = 200,
    field_errors: Mapping[str, str] | None = None,
    notice: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    field_errors = field_errors or {}
    return render(
        request,
        "signin.html",
        status=status,
        headers=headers,
        next_url=next_url,
        title=texts.text(_lang(request), "signin_title"),
        username=username,
        errors=_errors(field_errors),
        field_errors=field_errors,
        focus=next(iter(field_errors), "username" if not username else "password"),
        notice=notice,
    )


@router.get("/signin")
def signin_form(
    request: Request, next_raw: NextQuery = None, signed_out: str | None = None
) -> Response:
    next_url = sso.safe_next(next_raw)
    session = sso.current_session(request)
    if session is not None:
        return _onward(session, next_url)
    lang = _lang(request)
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
        return _forbidden(request, "/signin", next_url)
    lang = _lang(request)
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
    svc = _svc(request)
    try:
        verified = signin.verify_password(
            svc, username, password, address=_address(request), channel="web"
        )
    except SignInRefused as refused:
        if refused.reason == "throttled":
            wait = max(1, refused.retry_after)
            message = texts.text(lang, "throttled", wait=texts.duration(lang, wait))
            return _signin_page(
                request,
                next_url,
                username=username,
                status=429,
                field_errors={"password": message},
                headers={"Retry-After": str(wait)},
            )
        # "invalid" and "disabled" read the same: the page tells no one who exists.
        return _signin_page(
            request,
            next_url,
            username=username,
            status=401,
            field_errors={"password": texts.text(lang, "signin_failed")},
        )
    # Whoever was signed in at this browser before (a shared classroom PC) is signed out.
    sign_out(request)
    cookie, session = sessions.start(
        svc, verified.person.id, address=_address(request), must_change=verified.must_change
    )
    response = _onward(session, next_url)
    sso.set_session_cookie(response, cookie, request)
    return response


# --- password change ---


_POLICY_KEYS = {
    "too_short": "new_too_short",
    "too_long": "new_too_long",
    "contains_name": "new_contains_name",
    "unchanged": "new_same",
    "mismatch": "repeat_mismatch",
}


def policy_message(lang: Lang, rejected: PasswordRejected) -> str:
    """A policy rejection in the page's language, from its code and parameters."""
    if rejected.code == "too_simple":
        key = "new_too_simple" if "mixed_below" in rejected.params else "new_repeats"
    else:
        key = _POLICY_KEYS.get(rejected.code, "new_invalid")
    return texts.text(lang, key, **rejected.params)


def _change_page(
    request: Request,
    session: Session,
    next_url: str,
    *,
    status: int = 200,
    field_errors: Mapping[str, str] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    svc = _svc(request)
    person = _myself(svc, session.person_id)
    if person is None:
        return sso.signin_redirect(request, _with_next(CHANGE, next_url))
    lang = _lang(request)
    policy = passwords.password_check(svc, person).policy
    field_errors = field_errors or {}
    return render(
        request,
        "change.html",
        status=status,
        headers=headers,
        next_url=next_url,
        title=texts.text(lang, "change_title"),
        required=session.must_change,
        username=person.username,
        rules=texts.text(lang, "change_rules", min_length=policy.min_length),
        errors=_errors(field_errors),
        field_errors=field_errors,
        focus=next(iter(field_errors), "current_password"),
    )


@router.get(CHANGE)
def change_form(request: Request, next_raw: NextQuery = None) -> Response:
    next_url = sso.safe_next(next_raw)
    session = sso.current_session(request)
    if session is None:
        return sso.signin_redirect(request, _here(request))
    return _change_page(request, session, next_url)


@router.post(CHANGE)
def change_submit(
    request: Request,
    current_password: FormText = "",
    new_password: FormText = "",
    repeat_password: FormText = "",
    token: CsrfForm = "",
    next_raw: NextForm = "",
) -> Response:
    next_url = sso.safe_next(next_raw)
    if not csrf.verify(request, token):
        return _forbidden(request, CHANGE, next_url)
    session = sso.current_session(request)
    if session is None:
        return sso.signin_redirect(request, _with_next(CHANGE, next_url))
    lang = _lang(request)
    errors: dict[str, str] = {}
    if not current_password:
        errors["current_password"] = texts.text(lang, "current_missing")
    if not new_password:
        errors["new_password"] = texts.text(lang, "new_missing")
    elif new_password != repeat_password:
        errors["repeat_password"] = texts.text(lang, "repeat_mismatch")
    if errors:
        return _change_page(request, session, next_url, status=400, field_errors=errors)
    try:
        signin.change_password(
            _svc(request),
            session.person_id,
            current_password,
            new_password,
            address=_address(request),
            keep_sid=session.sid,
        )
    except SignInRefused as refused:
        if refused.reason == "throttled":
            wait = max(1, refused.retry_after)
            message = texts.text(lang, "throttled", wait=texts.duration(lang, wait))
            return _change_page(
                request,
                session,
                next_url,
                status=429,
                field_errors={"current_password": message},
                headers={"Retry-After": str(wait)},
            )
        return _change_page(
            request,
            session,
            next_url,
            status=401,
            field_errors={"current_password": texts.text(lang, "current_wrong")},
        )
    except PasswordRejected as rejected:
        field = "repeat_password" if rejected.code == "mismatch" else "new_password"
        return _change_page(
            request,
            session,
            next_url,
            status=400,
            field_errors={field: policy_message(lang, rejected)},
        )
    if next_url == sso.DEFAULT_NEXT:
        return _see_other(f"{sso.DEFAULT_NEXT}?changed=1")
    return _see_other(next_url)


# --- account ---


@router.get("/account")
def account(request: Request, changed: str | None = None) -> Response:
    session = sso.current_session(request)
    if session is None:
        return sso.signin_redirect(request, _here(request))
    if session.must_change:
        return _onward(session, sso.DEFAULT_NEXT)
    person = _myself(_svc(request), session.person_id)
    if person is None:
        return sso.signin_redirect(request, _here(request))
    lang = _lang(request)
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
    lang = _lang(request)
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
        return _forbidden(request, "/signout", next_url)
    sign_out(request)
    response = _see_other(next_url or "/signin?signed_out=1")
    sso.clear_session_cookie(response)
    return response


# --- the stylesheet ---


@router.get("/assets/signin.css")
def stylesheet() -> Response:
    return pages.stylesheet()
