"""Who may bind to the LDAP face: service accounts (service tokens) and people themselves.

A service account is a service token with a name fit for a DN; its password is the token,
so hashing, expiry and revocation are the API's (services/tokens.py). People bind with
their own password. Both checks are blocking (database, argon2): call them from a thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from schulhof.access.actors import Actor, ActorKind
from schulhof.domain.errors import ConflictError, ValidationError
from schulhof.domain.model import LifecycleState
from schulhof.services import passwords, tokens
from schulhof.services.runtime import Services
from schulhof.services.schools import list_schools
from schulhof.store import credentials as credential_store
from schulhof.store import persons as person_store
from schulhof.store.database import read_connection

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
# Verified against for an unknown person, so that answer takes as long as a wrong password.
_DUMMY_HASH = passwords.hasher.hash("schulhof-no-such-person")


@dataclass(frozen=True, slots=True)
class NewClient:
    name: str
    password: str  # shown once
    token_id: str
    schools: tuple[str, ...]
    attributes: tuple[str, ...] | None


def add_client(
    svc: Services,
    actor: Actor,
    *,
    name: str,
    schools: tuple[str, ...] = (),
    attributes: tuple[str, ...] | None = None,
) -> NewClient:
    """A read-only service account. Without `schools`: every school that exists now."""
    if not _NAME.fullmatch(name):
        raise ValidationError(
            "an LDAP client name is letters, digits, '.', '_' and '-' (at most 64)", field="name"
        )
    active = [
        t
        for t in tokens.list_tokens(svc, actor)
        if t.role == ActorKind.SERVICE and t.revoked_at is None
    ]
    if any(t.name.lower() == name.lower() for t in active):
        raise ConflictError(f"a service named {name} exists")
    scope = schools or tuple(s.number for s in list_schools(svc))
    made = tokens.create_token(
        svc, actor, role=ActorKind.SERVICE, name=name, schools=scope, attributes=attributes
    )
    return NewClient(name, made.token, made.row.id, made.row.schools, made.row.attributes)


def authenticate_client(svc: Services, name: str, password: str) -> Actor | None:
    """The service actor behind `name` and `password`, or None."""
    actor = tokens.authenticate(svc, password)
    if actor is None or actor.kind is not ActorKind.SERVICE:
        return None
    return actor if actor.name.lower() == name.lower() else None


def authenticate_person(svc: Services, username: str, password: str) -> Actor | None:
    """The person as an actor that reads only themselves, or None: unknown, disabled, no
    password or a wrong one all look the same to the caller."""
    with read_connection(svc.engine) as conn:
        person_id = person_store.id_by_username(conn, username)
        person = person_store.load_one(conn, person_id) if person_id else None
        credential = credential_store.get(conn, person_id) if person_id else None
    if person is None or credential is None:
        passwords.verify(_DUMMY_HASH, password)
        return None
    valid, _ = passwords.verify(credential.password_hash, password)
    if not valid or person.state is not LifecycleState.ACTIVE:
        return None
    return Actor(ActorKind.PERSON, person.username, person_id=person.id)
