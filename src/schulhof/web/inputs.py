"""What every request's text is checked for before a route sees it: no NUL characters.

PostgreSQL text cannot hold NUL (psycopg refuses to send it, which was a 500) and SQLite
would store it silently; a name, number or search with NUL is never meant. So one
dependency of the app refuses NUL in the path, the query and a JSON body with 422, the
same on both backends. Cursors are checked where they are decoded (`pagination`).

A body is looked at only where the route has already read it (a JSON body field): an
upload is not read here, before the route's own checks of size and rights.
"""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.params import Form
from fastapi.routing import APIRoute

from schulhof.domain.errors import ValidationError

NUL = "\x00"


def _nul_at(value: Any, where: str) -> str | None:
    """The place (`a.b.0`) of the first string with NUL in a JSON value, else None."""
    if isinstance(value, str):
        return where if NUL in value else None
    if isinstance(value, dict):
        for key, item in value.items():
            inner = f"{where}.{key}" if where else str(key)
            if NUL in key:
                return inner
            found = _nul_at(item, inner)
            if found is not None:
                return found
    if isinstance(value, list):
        for i, item in enumerate(value):
            found = _nul_at(item, f"{where}.{i}" if where else str(i))
            if found is not None:
                return found
    return None


def _refuse(field: str) -> ValidationError:
    return ValidationError("text may not contain NUL characters", field=field)


async def reject_nul(request: Request) -> None:
    """An app-wide dependency: 422 for NUL in the path, the query or a JSON body."""
    if NUL in request.scope.get("path", ""):
        raise _refuse("path")
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            raise _refuse(name.replace(NUL, "") or "query")
    route = request.scope.get("route")
    if not isinstance(route, APIRoute) or route.body_field is None:
        return
    if isinstance(route.body_field.field_info, Form):
        return
    body = await request.body()  # read already by FastAPI for the body field
    if b"\\u0000" not in body:  # JSON carries NUL only escaped (a raw one is invalid)
        return
    try:
        parsed = json.loads(body)
    except ValueError:
        return  # not JSON: the body field's validation answers
    found = _nul_at(parsed, "")
    if found is not None:
        raise _refuse(found or "body")
