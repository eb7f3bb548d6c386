"""Signing keys for OIDC (JWKS) and SAML: RSA 2048, RS256 / RSA-SHA256.

One key per use is active. `rotate` makes a new active key and keeps the old one published
until `keep_old_for` has passed, so tokens it signed still verify (the longest-lived signed
token is an ID token of one hour). Keys are read from the database at most every 30 s per
process, so a rotation reaches every worker within that time.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import threading
import time
from dataclasses import dataclass
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from schulhof.access.actors import Actor
from schulhof.access.rules import may_manage_tokens
from schulhof.domain.errors import PermissionDeniedError, ValidationError
from schulhof.services import audit
from schulhof.services.runtime import Services
from schulhof.store import signing_keys as key_store
from schulhof.store.audit import AuditEntry
from schulhof.store.database import read_connection, write_connection

USES = ("oidc", "saml")
KEEP_OLD_FOR = dt.timedelta(hours=2)
_CACHE_SECONDS = 30.0


@dataclass(frozen=True, slots=True)
class SigningKey:
    kid: str
    use: str
    alg: str
    private_pem: str
    certificate_pem: str | None
    created_at: dt.datetime
    active: bool
    retire_at: dt.datetime | None

    def public_jwk(self) -> dict[str, Any]:
        """The public half as a JWK (RFC 7517), with `kid`, `use` and `alg`."""
        key = serialization.load_pem_private_key(self.private_pem.encode(), password=None)
        assert isinstance(key, rsa.RSAPrivateKey)
        numbers = key.public_key().public_numbers()
        return {
            "kty": "RSA",
            "kid": self.kid,
            "use": "sig",
            "alg": self.alg,
            "n": _b64_int(numbers.n),
            "e": _b64_int(numbers.e),
        }


def _b64_int(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _thumbprint(n: str, e: str) -> str:
    """RFC 7638 JWK thumbprint: a stable key id."""
    canonical = f'{{"e":"{e}","kty":"RSA","n":"{n}"}}'.encode()
    return base64.urlsafe_b64encode(hashlib.sha256(canonical).digest()).rstrip(b"=").decode()


_lock = threading.Lock()


def _check_use(use: str) -> None:
    if use not in USES:
        raise ValidationError(f"a key is for one of {', '.join(USES)}", field="use")


def _load(svc: Services, use: str) -> list[SigningKey]:
    with read_connection(svc.engine) as conn:
        return [_key(r) for r in key_store.for_use(conn, use)]


def _key(row: key_store.KeyRow) -> SigningKey:
    return SigningKey(**dataclasses.asdict(row))


def _keys(svc: Services, use: str) -> list[SigningKey]:
    _check_use(use)
    key = ("keys", use)
    hit: tuple[float, list[SigningKey]] | None = svc.memo.get(key)
    if hit is not None and time.monotonic() - hit[0] < _CACHE_SECONDS:
        return hit[1]
    with _lock:
        found = _load(svc, use)
        if not any(k.active for k in found):
            _create(svc, use, retire_old_at=None)
            found = _load(svc, use)
        svc.memo[key] = (time.monotonic(), found)
        return found


def forget_cache(svc: Services) -> None:
    for use in USES:
        svc.memo.pop(("keys", use), None)


def signing_key(svc: Services, use: str) -> SigningKey:
    """The active key for `use` (made on first use)."""
    return next(k for k in _keys(svc, use) if k.active)


def published_keys(svc: Services, use: str) -> list[SigningKey]:
    """The active key and old ones whose tokens may still be in use."""
    now = svc.clock()
    return [k for k in _keys(svc, use) if k.active or (k.retire_at and k.retire_at > now)]


def rotate(
    svc: Services, actor: Actor, use: str, *, keep_old_for: dt.timedelta = KEEP_OLD_FOR
) -> SigningKey:
    _check_use(use)
    if not may_manage_tokens(actor):
        raise PermissionDeniedError("only the city's administrators rotate signing keys")
    made = _create(svc, use, retire_old_at=svc.clock() + keep_old_for, actor=actor)
    svc.memo.pop(("keys", use), None)
    return made


def _create(
    svc: Services, use: str, *, retire_old_at: dt.datetime | None, actor: Actor | None = None
) -> SigningKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    numbers = private.public_key().public_numbers()
    kid = _thumbprint(_b64_int(numbers.n), _b64_int(numbers.e))
    now = svc.clock()
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    cert = _self_signed(private, now) if use == "saml" else None
    row = key_store.KeyRow(kid, use, "RS256", pem, cert, now, True, None)
    with write_connection(svc.engine) as conn:
        key_store.lock_use(conn, use)
        if retire_old_at is None and any(k.active for k in key_store.for_use(conn, use)):
            # Another worker made the first key meanwhile: use that one.
            return next(_key(k) for k in key_store.for_use(conn, use) if k.active)
        if retire_old_at is not None:
            key_store.retire_active(conn, use, retire_old_at)
            key_store.delete_retired(conn, use, now)
        key_store.insert(conn, row)
        audit.record(
            conn,
            [
                AuditEntry(
                    now,
                    actor.label if actor else "system:keys",
                    "keys.rotate" if retire_old_at else "keys.create",
                    "key",
                    kid,
                    None,
                    {"use": use},
                )
            ],
        )
    return _key(row)


def _self_signed(private: rsa.RSAPrivateKey, now: dt.datetime) -> str:
    """SAML metadata carries a certificate; SPs pin it, nobody checks its chain."""
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Schulhof SAML signing")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=3650))
        .sign(private, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.PEM).decode()
