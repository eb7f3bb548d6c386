"""Our JWTs: RS256 with the `kid` of the signing key (joserfc), and their verification
against the published keys (the active one and those kept after a rotation)."""

from __future__ import annotations

import base64
import hashlib
import threading
from collections.abc import Sequence
from typing import Any

from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from schulhof.services.keys import SigningKey

ALG = "RS256"

_imported: dict[str, RSAKey] = {}  # kid -> key: parsing a PEM costs more than signing
_lock = threading.Lock()


def rsa_key(key: SigningKey) -> RSAKey:
    found = _imported.get(key.kid)
    if found is None:
        found = RSAKey.import_key(key.private_pem)
        with _lock:
            _imported[key.kid] = found
    return found


def sign(key: SigningKey, claims: dict[str, Any], *, typ: str = "JWT") -> str:
    return jwt.encode({"alg": ALG, "kid": key.kid, "typ": typ}, claims, rsa_key(key), [ALG])


def verify(
    token: str, keys: Sequence[SigningKey], *, now: int, typ: str = "JWT"
) -> dict[str, Any] | None:
    """The claims of `token` if one of `keys` (chosen by `kid`) signed it with RS256, its
    `typ` matches and it has not expired; None otherwise."""
    try:
        decoded = jwt.decode(token, KeySet([rsa_key(k) for k in keys]), algorithms=[ALG])
    except (JoseError, ValueError):
        return None
    if decoded.header.get("typ", "JWT") != typ or "kid" not in decoded.header:
        return None
    exp = decoded.claims.get("exp")
    if not isinstance(exp, int) or exp <= now:
        return None
    return dict(decoded.claims)


def half_hash(value: str) -> str:
    """`at_hash` / `c_hash` for RS256 (OIDC Core §3.1.3.6): the left half of SHA-256."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()
