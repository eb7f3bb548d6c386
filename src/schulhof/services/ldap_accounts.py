"""Who may bind to the LDAP face: service accounts (service tokens) and people themselves.

A service account is a service token with a name fit for a DN; its password is the token,
so hashing, expiry and revocation are the API's (services/tokens.py). People bind with
their own password through the sign-in's check and throttle (services/signin.py). Both
checks are blocking (database, argon2): call them from a thread.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from schulhof.access.actors import Actor, ActorKind
from schulhof.access.rules import NT_HASH_GRANT
from schulhof.domain.errors import ConflictError, ValidationError
from schulhof.services import audit, signin, tokens
from schulhof.services.runtime import Services
from schulhof.services.schools import list_schools

_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


@dataclass(frozen=True, slots=True)
class BindRefused:
    """Why a person's bind was refused: invalid (wrong, unknown, disabled, no password —
    one answer), throttled (try again in `retry_after` seconds), must_change (the password
    is a temporary one)."""

    reason: Literal["invalid", "throttled", "must_change"]
    retry_after: int = 0


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
    expires_days: int | None = None,
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
    if attributes is not None:  # the LDAP spelling is case-insensitive
        attributes = tuple(
            NT_HASH_GRANT if a.lower() == NT_HASH_GRANT.lower() else a for a in attributes
        )
    scope = schools or tuple(s.number for s in list_schools(svc))
    made = tokens.create_token(
        svc, actor, role=ActorKind.SERVICE, name=name, schools=scope, attributes=attributes,
        expires_days=expires_days,
    )  # fmt: skip
    return NewClient(name, made.token, made.row.id, made.row.schools, made.row.attributes)


def authenticate_client(svc: Services, name: str, password: str) -> Actor | None:
    """The service actor behind `name` and `password`, or None."""
    actor = tokens.authenticate(svc, password)
    if actor is None or actor.kind is not ActorKind.SERVICE:
        return None
    return actor if actor.name.lower() == name.lower() else None


def authenticate_person(
    svc: Services, username: str, password: str, *, address: str
) -> Actor | BindRefused:
    """The person as an actor that reads only themselves, or why not.

    The check is the sign-in's (`signin.verify_password`, channel "ldap"): the same
    argon2 hashes, the same throttle counted in the database per account and address, the
    same audit trail. Unknown, disabled, without a password or a wrong one all give
    "invalid". A right but temporary password (must_change) is refused too: a WLAN must not
    accept the password printed on a letter for ever; the person changes it at the sign-in
    page first. Binds from a relay (`[ldap] relay_addresses`: a RADIUS server binding for a
    whole WLAN) are counted per account only.
    """
    relayed = svc.settings.is_ldap_relay(address)
    try:
        verified = signin.verify_password(
            svc, username, password, address=address, channel="ldap", relayed=relayed
        )
    except signin.SignInRefused as exc:
        if exc.reason == "throttled":
            return BindRefused("throttled", exc.retry_after)
        return BindRefused("invalid")  # disabled looks like a wrong password over LDAP
    person = verified.person
    if verified.must_change:
        audit.record_event(
            svc, actor=f"person:{person.username}", action="ldap.bind_refused",
            target_id=person.id, school=person.school_numbers[0] if person.school_numbers else None,
            detail={"reason": "must_change", "address": address},
        )  # fmt: skip
        return BindRefused("must_change")
    return Actor(ActorKind.PERSON, person.username, person_id=person.id)
