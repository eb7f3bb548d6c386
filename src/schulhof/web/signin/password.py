"""Changing one's password: the initial one (the session is restricted until then) or
any time later. The policy is the services' (`domain/password_policy.py`); this page words
its rejections, each on its field.
"""

from __future__ import annotations

from collections.abc import Mapping

from fastapi import APIRouter, Request
from starlette.responses import Response

from schulhof.domain.password_policy import PasswordRejected
from schulhof.services import passwords, signin
from schulhof.services.sessions import Session
from schulhof.services.signin import SignInRefused
from schulhof.web import sso
from schulhof.web.signin import csrf, pages, texts
from schulhof.web.signin.forms import (
    CHANGE,
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
    see_other,
    svc_of,
    throttled_message,
    with_next,
)
from schulhof.web.signin.pages import render
from schulhof.web.signin.texts import Lang

router = APIRouter(route_class=pages.PageRoute, include_in_schema=False)

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
    svc = svc_of(request)
    person = myself(svc, session.person_id)
    if person is None:
        return sso.signin_redirect(request, with_next(CHANGE, next_url))
    lang = lang_of(request)
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
        errors=error_list(field_errors),
        field_errors=field_errors,
        focus=next(iter(field_errors), "current_password"),
    )


@router.get(CHANGE)
def change_form(request: Request, next_raw: NextQuery = None) -> Response:
    next_url = sso.safe_next(next_raw)
    session = sso.current_session(request)
    if session is None:
        return sso.signin_redirect(request, here(request))
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
        return forbidden(request, CHANGE, next_url)
    session = sso.current_session(request)
    if session is None:
        return sso.signin_redirect(request, with_next(CHANGE, next_url))
    lang = lang_of(request)
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
            svc_of(request),
            session.person_id,
            current_password,
            new_password,
            address=address(request),
            keep_sid=session.sid,
        )
    except SignInRefused as refused:
        if refused.reason == "throttled":
            wait = max(1, refused.retry_after)
            message = throttled_message(lang, wait)
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
        return see_other(f"{sso.DEFAULT_NEXT}?changed=1")
    return see_other(next_url)
