"""What the sign-in pages share: the request's services, address and language, the
redirects between the pages, the CSRF refusal, and the form annotations."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated
from urllib.parse import quote

from fastapi import Form, Query, Request
from starlette.responses import RedirectResponse, Response

from schulhof.access.actors import Actor, ActorKind
from schulhof.domain.errors import NotFoundError
from schulhof.domain.model import Person
from schulhof.services import persons
from schulhof.services.runtime import Services
from schulhof.services.sessions import Session
from schulhof.web.signin import csrf, texts
from schulhof.web.signin.pages import render
from schulhof.web.signin.texts import Lang

CHANGE = "/password/change"
FormText = Annotated[str, Form()]
NextForm = Annotated[str, Form(alias="next")]
CsrfForm = Annotated[str, Form(alias=csrf.FIELD)]
NextQuery = Annotated[str | None, Query(alias="next")]


def svc_of(request: Request) -> Services:
    svc: Services = request.app.state.services
    return svc


def address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def lang_of(request: Request) -> Lang:
    return texts.choose(request)[0]


def with_next(path: str, next_url: str) -> str:
    return f"{path}?next={quote(next_url, safe='')}"


def here(request: Request) -> str:
    """This GET request's local URL, to come back to after signing in."""
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")


def see_other(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def onward(session: Session, next_url: str) -> RedirectResponse:
    """Where a signed-in browser goes: on to `next_url`, unless the initial password must
    be changed first (a restricted session is good for nothing else)."""
    if session.must_change:
        return see_other(with_next(CHANGE, next_url))
    return see_other(next_url)


def forbidden(request: Request, back: str, next_url: str) -> Response:
    """The answer to a missing or wrong CSRF token: nothing was done."""
    return render(
        request,
        "csrf.html",
        status=403,
        title=texts.text(lang_of(request), "csrf_title"),
        back=with_next(back, next_url),
        next_url=next_url,
    )


def myself(svc: Services, person_id: str) -> Person | None:
    me = Actor(ActorKind.PERSON, "self", person_id=person_id)
    try:
        return persons.load_readable(svc, me, person_id)
    except NotFoundError:
        return None  # deleted since the session began


def error_list(field_errors: Mapping[str, str]) -> list[dict[str, str]]:
    """The error summary's entries, each linking to its field."""
    return [{"field": f, "message": m} for f, m in field_errors.items()]


def throttled_message(lang: Lang, wait: int) -> str:
    return texts.text(lang, "throttled", wait=texts.duration(lang, wait))
