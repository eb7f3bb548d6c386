"""Opaque cursors for keyset paging: `{"items": [...], "next": cursor or null}`.

A cursor is the page's last sort key, base64url-encoded JSON. It carries no secret and
grants nothing: every page is filtered by the caller's access again.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from schulhof.domain.errors import ValidationError

DEFAULT_LIMIT = 100
MAX_LIMIT = 1000


def encode(key: dict[str, Any]) -> str:
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> dict[str, Any] | None:
    if not cursor:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationError("the cursor is not valid", field="cursor") from exc
    if not isinstance(value, dict) or not _plain(value):
        raise ValidationError("the cursor is not valid", field="cursor")
    return value


def _plain(value: Any) -> bool:
    """Only what our cursors hold and the database takes: no NUL in text (PostgreSQL
    refuses it), integers within 64 bits. A cursor is the client's input like any other."""
    if isinstance(value, str):
        return "\x00" not in value
    if isinstance(value, bool) or value is None or isinstance(value, float):
        return True
    if isinstance(value, int):
        return -(2**63) <= value < 2**63
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    if isinstance(value, dict):
        return all(_plain(k) and _plain(v) for k, v in value.items())
    return False


def page(items: list[dict[str, Any]], next_key: dict[str, Any] | None) -> dict[str, Any]:
    return {"items": items, "next": encode(next_key) if next_key is not None else None}
