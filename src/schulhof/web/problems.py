"""Errors as `application/problem+json` (RFC 9457), mapped from the one error tree."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from schulhof.domain.errors import (
    ConfigurationError,
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    SchulhofError,
    StaleWriteError,
    ValidationError,
)

PROBLEM = "application/problem+json"

# First match wins (subclasses before their bases).
STATUS: list[tuple[type[SchulhofError], int, str]] = [
    (ValidationError, 422, "invalid-input"),
    (NotFoundError, 404, "not-found"),
    (StaleWriteError, 412, "stale-write"),
    (ConflictError, 409, "conflict"),
    (PermissionDeniedError, 403, "forbidden"),
    (ConfigurationError, 500, "configuration"),
    (SchulhofError, 400, "bad-request"),
]


def problem(status: int, kind: str, detail: str, **extra: object) -> JSONResponse:
    body: dict[str, object] = {
        "type": f"https://schulhof.invalid/problems/{kind}",
        "title": kind.replace("-", " "),
        "status": status,
        "detail": detail,
        **extra,
    }
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="schulhof"'
    retry = extra.get("retry_after")
    if status == 429 and isinstance(retry, int):
        headers["Retry-After"] = str(retry)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def install(app: FastAPI) -> None:
    @app.exception_handler(SchulhofError)
    async def _domain(_: Request, exc: SchulhofError) -> JSONResponse:
        status, kind = next((s, k) for t, s, k in STATUS if isinstance(exc, t))
        field = getattr(exc, "field", None)
        extra = {"field": field} if field else {}
        return problem(status, kind, str(exc), **extra)

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"field": ".".join(str(p) for p in e.get("loc", ())[1:]), "message": e.get("msg", "")}
            for e in exc.errors()
        ]
        return problem(422, "invalid-input", "the request is not valid", errors=errors)

    @app.exception_handler(HTTPException)
    async def _http(_: Request, exc: HTTPException) -> JSONResponse:
        kind = {
            401: "unauthorized",
            404: "not-found",
            405: "method-not-allowed",
            428: "precondition-required",
            429: "too-many-requests",
        }.get(exc.status_code, "error")
        extra: dict[str, object] = {}
        if exc.headers and "Retry-After" in exc.headers:
            extra["retry_after"] = int(exc.headers["Retry-After"])
        return problem(exc.status_code, kind, str(exc.detail), **extra)
