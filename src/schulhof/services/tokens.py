"""API tokens: created once and shown once, stored as a hash, turned back into an Actor.

A token reads `shf_<id>_<secret>`: 16 hex digits of id, 43 characters of secret
(256 bits). High-entropy secrets need no slow hash: SHA-256 and a constant-time compare.
Verified tokens are cached per process for a few seconds, so a busy API does not read the
token row on every request; a revocation takes effect within that time.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from schulhof.access.actors import Actor, ActorKind
from schulhof.access.rules import GRANTABLE_ATTRIBUTES, may_manage_tokens
from schulhof.domain.errors import NotFoundError, PermissionDeniedError, ValidationError
from schulhof.services.runtime import Services
from schulhof.services.schools import list_schools
from schulhof.store import persons as person_store
from schulhof.store import tokens as token_store
from schulhof.store.database import read_connection, write_connection
from schulhof.store.tokens import TokenRow

PREFIX = "shf_"
CACHE_SECONDS = 5.0
ROLES = (ActorKind.CITY_ADMIN, ActorKind.SCHOOL_ADMIN, ActorKind.TEACHER, ActorKind.SERVICE)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class NewToken:
    token: str  # shown once
    row: TokenRow


def create_token(
    svc: Services,
    actor: Actor,
    *,
    role: ActorKind,
    name: str,
    schools: tuple[str, ...] = (),
    person: str | None = None,
    attributes: tuple[str, ...] | None = None,
    expires_days: int | None = None,
) -> NewToken:
    if not may_manage_tokens(actor):
        raise PermissionDeniedError("only the authority may create tokens")
    if role not in ROLES:
        raise ValidationError(f"role must be one of {', '.join(ROLES)}", field="role")
    known = {s.number for s in list_schools(svc)}
    unknown = sorted(set(schools) - known)
    if unknown:
        raise NotFoundError(f"no school {', '.join(unknown)}")
    if role in (ActorKind.SCHOOL_ADMIN, ActorKind.SERVICE) and not schools:
        raise ValidationError(f"a {role} token needs --school", field="school")
    if role is ActorKind.TEACHER and person is None:
        raise ValidationError("a teacher token needs --person", field="person")
    if attributes is not None:
        bad = sorted(set(attributes) - GRANTABLE_ATTRIBUTES)
        if bad:
            raise ValidationError(f"unknown attributes: {', '.join(bad)}", field="attributes")
    if expires_days is not None and expires_days <= 0:
        raise ValidationError("expiry must be at least one day", field="expires")
    now = svc.clock()
    person_id = None
    with write_connection(svc.engine) as conn:
        if person is not None:
            person_id = person_store.id_by_username(conn, person)
            if person_id is None:
                raise NotFoundError(f"no person {person}")
        token_id = secrets.token_hex(8)
        secret = secrets.token_urlsafe(32)
        row = TokenRow(
            token_id, name or f"{role} token", role.value, tuple(sorted(set(schools))), person_id,
            tuple(sorted(set(attributes))) if attributes is not None else None, _hash(secret),
            now, actor.label, now + dt.timedelta(days=expires_days) if expires_days else None,
            None, None,
        )  # fmt: skip
        token_store.insert(conn, row)
    return NewToken(f"{PREFIX}{token_id}_{secret}", row)


def list_tokens(svc: Services, actor: Actor) -> list[TokenRow]:
    if not may_manage_tokens(actor):
        raise PermissionDeniedError("only the authority may list tokens")
    with read_connection(svc.engine) as conn:
        return token_store.list_all(conn)


def revoke_token(svc: Services, actor: Actor, token_id: str) -> None:
    if not may_manage_tokens(actor):
        raise PermissionDeniedError("only the authority may revoke tokens")
    with write_connection(svc.engine) as conn:
        if not token_store.revoke(conn, token_id, svc.clock()):
            raise NotFoundError(f"no active token {token_id}")
    _cache.clear()


class _Cache:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._items: dict[str, tuple[float, Actor]] = {}

    def get(self, key: str) -> Actor | None:
        with self._lock:
            hit = self._items.get(key)
            if hit is None or hit[0] < time.monotonic():
                return None
            return hit[1]

    def put(self, key: str, actor: Actor) -> None:
        with self._lock:
            if len(self._items) > 10_000:
                self._items.clear()
            self._items[key] = (time.monotonic() + CACHE_SECONDS, actor)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()


_cache = _Cache()


def authenticate(svc: Services, presented: str) -> Actor | None:
    """The actor a bearer token stands for, or None (unknown, wrong, expired, revoked)."""
    if not presented.startswith(PREFIX):
        return None
    token_id, sep, secret = presented[len(PREFIX) :].partition("_")
    if not sep or len(token_id) != 16 or not secret:
        return None
    cache_key = _hash(presented)
    cached = _cache.get(cache_key)
    if cached is not None:
        return cached
    now = svc.clock()
    with read_connection(svc.engine) as conn:
        row = token_store.get(conn, token_id)
        if row is None:
            _hash(secret)  # the same work for an unknown id as for a wrong secret
            return None
        if not hmac.compare_digest(row.secret_hash, _hash(secret)):
            return None
        if row.revoked_at is not None or (row.expires_at is not None and row.expires_at <= now):
            return None
        schools = frozenset(row.schools)
        if row.role == ActorKind.TEACHER and not schools and row.person_id:
            person = person_store.load_one(conn, row.person_id)
            schools = frozenset(person.school_numbers) if person else frozenset()
    actor = Actor(
        ActorKind(row.role), row.name, schools, row.person_id,
        frozenset(row.attributes) if row.attributes is not None else None, row.id,
    )  # fmt: skip
    _cache.put(cache_key, actor)
    return actor
