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
    if not isinstance(value, dict):
        raise ValidationError("the cursor is not valid", field="cursor")
    return value


def page(items: list[dict[str, Any]], next_key: dict[str, Any] | None) -> dict[str, Any]:
    return {"items": items, "next": encode(next_key) if next_key is not None else None}
