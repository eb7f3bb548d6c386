"""Entity tags and conditional requests (RFC 9110 §8.8.3, §13).

A person's tag is its version, weak (`W/"7"`): the body differs by reader (a service sees
only its attributes) while the version names the state. `If-Match` on a person takes that
tag — weak or not — and the service refuses a stale write atomically (412). Strictly,
If-Match compares strongly (§13.1.1); accepting the weak tag is deliberate, since the
version is exactly what the write is conditional on.

Schools and groups have no version: their tag is a hash of their JSON state, good for
caching (`If-None-Match` → 304), not for conditional writes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Annotated, Any

from fastapi import Header, HTTPException, Response

from schulhof.domain.errors import StaleWriteError


def version_etag(version: int) -> str:
    return f'W/"{version}"'


def state_etag(state: dict[str, Any]) -> str:
    raw = json.dumps(state, sort_keys=True, separators=(",", ":")).encode()
    return f'"{hashlib.sha256(raw).hexdigest()[:32]}"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


IfMatch = Annotated[
    str | None, Header(description='The ETag you read, e.g. `W/"3"` (`*`: any version).')
]
IfNoneMatch = Annotated[str | None, Header(description="ETags you hold: 304 if unchanged.")]


def not_modified(header: str | None, etag: str) -> Response | None:
    """A 304 if `If-None-Match` names `etag` (weak comparison, §13.1.2), else None."""
    if header is None:
        return None
    tags = [t for t in header.split(",") if t.strip()]
    if any(t.strip() == "*" or _opaque(t) == _opaque(etag) for t in tags):
        return Response(status_code=304, headers={"ETag": etag})
    return None


def expected_version(header: str | None) -> int | None:
    """The version `If-Match` names; None for `*` (any). Missing: 428 (RFC 6585 §3), so a
    client cannot overwrite what it has not seen. A tag that is not a version of ours
    cannot match: 412."""
    if header is None or not header.strip():
        raise HTTPException(428, 'this change needs If-Match: W/"<version>" (the ETag)')
    tags = [t.strip() for t in header.split(",") if t.strip()]
    if "*" in tags:
        return None
    for tag in tags:
        opaque = _opaque(tag)
        if len(opaque) >= 3 and opaque[0] == opaque[-1] == '"' and opaque[1:-1].isdigit():
            return int(opaque[1:-1])
    raise StaleWriteError("If-Match names no version of this person")
