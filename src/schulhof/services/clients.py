"""The registry of connected services that sign people in: OIDC clients and SAML service
providers. (LDAP service accounts are service tokens: services/ldap_accounts.py.)

Only the city (operator, city admins) registers services. A confidential client's secret is
256 random bits, shown once, stored as SHA-256 and compared in constant time. What a service
learns of a person is its `release` list and its `schools` (services/release.py).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from typing import Any

from schulhof.access.actors import Actor
from schulhof.access.rules import may_manage_tokens
from schulhof.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from schulhof.services import audit
from schulhof.services.runtime import Services
from schulhof.services.schools import list_schools
from schulhof.store import service_clients as client_store
from schulhof.store.audit import AuditEntry
from schulhof.store.database import read_connection, write_connection

PROTOCOLS = ("oidc", "saml")
# What a service may be given; each protocol maps these to its claims or attributes.
RELEASABLE = (
    "username",  # preferred_username / uid, eduPersonPrincipalName
    "name",  # given, family and display name
    "email",
    "roles",  # roles at the client's schools; eduPersonAffiliation
    "schools",  # school numbers (only the client's schools)
    "groups",  # classes and courses (only at the client's schools)
)
_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True, slots=True)
class ServiceClient:
    id: str
    protocol: str
    name: str
    schools: tuple[str, ...]  # () = every school
    release: tuple[str, ...]
    config: dict[str, Any]
    confidential: bool

    def serves_school(self, numbers: tuple[str, ...]) -> bool:
        return not self.schools or bool(set(numbers) & set(self.schools))


def _client(row: client_store.ClientRow) -> ServiceClient:
    return ServiceClient(
        row.id,
        row.protocol,
        row.name,
        row.schools,
        row.release,
        row.config,
        row.secret_hash is not None,
    )


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def add(
    svc: Services,
    actor: Actor,
    *,
    protocol: str,
    name: str,
    config: dict[str, Any],
    schools: tuple[str, ...] = (),
    release: tuple[str, ...] = (),
    secret: bool = False,
    client_id: str | None = None,
) -> tuple[ServiceClient, str | None]:
    """Register a service; returns it and its secret (shown once) if it has one."""
    if not may_manage_tokens(actor):
        raise PermissionDeniedError("only the city's administrators register services")
    if protocol not in PROTOCOLS:
        raise ValidationError(f"protocol must be one of {', '.join(PROTOCOLS)}", field="protocol")
    name = name.strip()
    if not name or len(name) > 200:
        raise ValidationError("a service needs a name of at most 200 characters", field="name")
    unknown_fields = sorted(set(release) - set(RELEASABLE))
    if unknown_fields:
        raise ValidationError(
            f"cannot release {', '.join(unknown_fields)}; known: {', '.join(RELEASABLE)}",
            field="release",
        )
    known = {s.number for s in list_schools(svc)}
    unknown = sorted(set(schools) - known)
    if unknown:
        raise ValidationError(f"unknown school number(s): {', '.join(unknown)}", field="schools")
    slug = _SLUG.sub("-", name.lower()).strip("-")[:40] or "client"
    new_id = client_id or f"{slug}-{secrets.token_hex(4)}"
    plain = secrets.token_urlsafe(32) if secret else None
    now = svc.clock()
    row = client_store.ClientRow(
        new_id,
        protocol,
        name,
        tuple(sorted(set(schools))),
        tuple(r for r in RELEASABLE if r in release),
        config,
        _hash(plain) if plain else None,
        now,
        actor.label,
        None,
    )
    with write_connection(svc.engine) as conn:
        existing = client_store.get(conn, new_id)
        if existing is not None and existing.removed_at is None:
            raise ConflictError(f"a service with id {new_id} is registered")
        if any(
            c.protocol == protocol and c.name.lower() == name.lower()
            for c in client_store.list_all(conn)
        ):
            raise ConflictError(f"a {protocol} service named {name} is registered")
        if existing is not None:  # re-registering a removed SAML entity id
            client_store.delete(conn, new_id)
        client_store.insert(conn, row)
        audit.record(
            conn,
            [
                AuditEntry(
                    now,
                    actor.label,
                    "client.add",
                    "client",
                    new_id,
                    None,
                    {
                        "protocol": protocol,
                        "name": name,
                        "schools": list(row.schools),
                        "release": list(row.release),
                    },
                )
            ],
        )
    return _client(row), plain


def get(svc: Services, client_id: str) -> ServiceClient | None:
    """An active registration, or None (unknown or removed)."""
    with read_connection(svc.engine) as conn:
        row = client_store.get(conn, client_id)
    return _client(row) if row is not None and row.removed_at is None else None


def verify_secret(svc: Services, client_id: str, secret: str) -> bool:
    with read_connection(svc.engine) as conn:
        row = client_store.get(conn, client_id)
    expected = row.secret_hash if row is not None and row.removed_at is None else None
    # Compare even for unknown clients, so the answer takes the same time.
    ok = hmac.compare_digest(_hash(secret), expected or "0" * 64)
    return ok and expected is not None


def list_clients(svc: Services, actor: Actor) -> list[ServiceClient]:
    if not may_manage_tokens(actor):
        raise PermissionDeniedError("only the city's administrators see registered services")
    with read_connection(svc.engine) as conn:
        return [_client(r) for r in client_store.list_all(conn)]


def show(svc: Services, actor: Actor, client_id: str) -> ServiceClient:
    if not may_manage_tokens(actor):
        raise PermissionDeniedError("only the city's administrators see registered services")
    found = get(svc, client_id)
    if found is None:
        raise NotFoundError(f"no registered service {client_id}")
    return found


def remove(svc: Services, actor: Actor, client_id: str) -> ServiceClient:
    """Unregister: its secret stops working at once; its id is never given to another."""
    found = show(svc, actor, client_id)
    now = svc.clock()
    with write_connection(svc.engine) as conn:
        client_store.mark_removed(conn, client_id, now)
        audit.record(
            conn,
            [
                AuditEntry(
                    now,
                    actor.label,
                    "client.remove",
                    "client",
                    client_id,
                    None,
                    {"protocol": found.protocol},
                )
            ],
        )
    return found
