"""An accepted AuthnRequest, carried through the sign-in page in the resume URL.

The request is checked once, when it arrives (issuer, ACS, signature); what the answer
needs is then sealed — zlib-compressed JSON with an HMAC-SHA256 tag — so nothing is kept on
the server and the request is not lost on the way through sign-in or a password change. A
sealed request is good for `MAX_AGE`; the tag is compared in constant time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import zlib
from dataclasses import asdict, dataclass
from typing import Any

MAX_AGE_SECONDS = 3600  # a child may take a while to type a password; sessions idle 1 h
MAX_RELAY_STATE = 512  # SAML Bindings §3.4.3 says 80 bytes; real SPs send URLs
# The sealed request rides in the sign-in page's `next`, which takes at most 2000 characters.
MAX_SEALED = 1900


@dataclass(frozen=True, slots=True)
class Pending:
    sp: str  # the SP's entity id
    request_id: str
    acs_url: str
    name_id_format: str | None
    force_authn: bool
    is_passive: bool
    relay_state: str | None
    at: float  # when accepted, seconds since the epoch (the services' clock)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def seal_data(key: bytes, data: dict[str, Any]) -> str:
    """`data` as compressed JSON with an HMAC-SHA256 tag: readable, not forgeable."""
    body = _b64(zlib.compress(json.dumps(data, separators=(",", ":")).encode()))
    tag = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    return f"{body}.{tag}"


def unseal_data(key: bytes, token: str) -> dict[str, Any] | None:
    """What `seal_data` sealed, or None: forged or damaged."""
    body, _, tag = token.partition(".")
    if not body or not tag or len(token) > 4000:
        return None
    expected = _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())
    if not hmac.compare_digest(expected, tag):
        return None
    try:
        data = json.loads(zlib.decompress(_unb64(body), bufsize=8192))
    except (ValueError, zlib.error):
        return None
    return data if isinstance(data, dict) else None


def seal(key: bytes, pending: Pending) -> str:
    return seal_data(key, asdict(pending))


def unseal(key: bytes, token: str, now: float) -> Pending | None:
    """The request, or None: forged, damaged or too old."""
    data = unseal_data(key, token)
    if data is None:
        return None
    try:
        pending = Pending(**data)
    except TypeError:
        return None
    if not 0 <= now - pending.at <= MAX_AGE_SECONDS:
        return None
    return pending
