"""Passwords: initial ones made when handed out, hashed with argon2id, shown once.

Initial passwords are readable (syllables and digits, no l/I/0/O to misread on a letter)
and strong enough for their short life: ~43 bits (75^6 syllables × 64 digit pairs); they
must be changed at the first sign-in.
Hashing costs tens of milliseconds by design, so callers on an event loop run these
functions in a worker thread.
"""

from __future__ import annotations

import secrets
from functools import lru_cache

import sqlalchemy as sa
from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from schulhof.access.actors import Actor
from schulhof.access.rules import may_reset_password
from schulhof.domain.errors import NotFoundError, ValidationError
from schulhof.domain.model import Person, Role, SchoolType
from schulhof.domain.password_policy import (
    PasswordCheck,
    PasswordRejected,
    check_new_password,
    policy_for,
)
from schulhof.services import audit, nt_hashes, sessions
from schulhof.services.persons import load_readable, taught_by
from schulhof.services.runtime import Services
from schulhof.services.settings import Argon2Params
from schulhof.store import credentials as credential_store
from schulhof.store import persons as person_store
from schulhof.store import schools as school_store
from schulhof.store.audit import AuditEntry
from schulhof.store.database import read_connection, write_connection

_CONSONANTS = "bdfghkmnprstvwz"
_VOWELS = "aeiou"
_DIGITS = "23456789"  # no 0/1: they read as O/l on a printed letter


@lru_cache(maxsize=8)
def hasher_for(params: Argon2Params) -> PasswordHash:
    """argon2id with these costs; verifying a hash made with other costs asks for a rehash."""
    return PasswordHash(
        (
            Argon2Hasher(
                time_cost=params.time_cost,
                memory_cost=params.memory_kib,
                parallelism=params.parallelism,
            ),
        )
    )


hasher = hasher_for(Argon2Params())  # the production default


def generate_password() -> str:
    """E.g. `bamo-kitu-resa-47`: six syllables and two digits (2-9)."""
    syllables = [secrets.choice(_CONSONANTS) + secrets.choice(_VOWELS) for _ in range(6)]
    words = ["".join(syllables[i : i + 2]) for i in range(0, 6, 2)]
    digits = secrets.choice(_DIGITS) + secrets.choice(_DIGITS)
    return "-".join(words) + f"-{digits}"


def reset_password(svc: Services, actor: Actor, ref: str) -> tuple[Person, str]:
    """A new initial password (must be changed at next sign-in), returned once."""
    person = load_readable(svc, actor, ref)
    taught = taught_by(svc, actor)
    if not may_reset_password(actor, person, taught=taught):
        raise NotFoundError(f"no person {ref}")  # as if unknown: no existence leak
    password = generate_password()
    _store(svc, actor, person, password, must_change=True)
    # A reset is also what an admin does for a stolen account: whoever holds a session or a
    # refresh token of the old password is signed out (and the services told).
    sessions.end_all_for(svc, person.id)
    return person, password


def set_password(
    svc: Services, actor: Actor, ref: str, password: str, *, temporary: bool
) -> Person:
    """Set a password chosen by an operator or admin; it must satisfy the person's policy
    (a temporary one too: it is typed by a child on the first day)."""
    person = load_readable(svc, actor, ref)
    if not may_reset_password(actor, person):
        raise NotFoundError(f"no person {ref}")
    try:
        check_new_password(password_check(svc, person), password)
    except PasswordRejected as exc:
        raise ValidationError(str(exc), field="password") from exc
    _store(svc, actor, person, password, must_change=temporary)
    sessions.end_all_for(svc, person.id)
    return person


def password_check(svc: Services, person: Person) -> PasswordCheck:
    """The policy of this person (docs/design/signin.md) with the names it must avoid."""
    return PasswordCheck(
        policy_for(person.roles, primary_child=is_primary_child(svc, person)),
        person.username,
        tuple(n for n in (person.given_name, person.family_name) if n),
    )


def is_primary_child(svc: Services, person: Person) -> bool:
    """A student whose every school is a primary school (Grundschule)."""
    with read_connection(svc.engine) as conn:
        return is_primary_child_in(conn, person)


def is_primary_child_in(conn: sa.Connection, person: Person) -> bool:
    if not person.contexts or any(c.role is not Role.STUDENT for c in person.contexts):
        return False
    types = school_store.types_by_number(conn, person.school_numbers)
    return bool(types) and all(t is SchoolType.GS for t in types.values())


def store_new_password(
    svc: Services, actor: Actor, person: Person, password: str, *, must_change: bool
) -> None:
    """Hash and store (the one path every password write takes)."""
    _store(svc, actor, person, password, must_change=must_change)


def _store(
    svc: Services, actor: Actor, person: Person, password: str, *, must_change: bool
) -> None:
    hashed = hasher_for(svc.settings.argon2).hash(password)  # outside the transaction: slow
    nt = nt_hashes.for_password(svc, password, must_change=must_change)  # None unless enabled
    now = svc.clock()
    with write_connection(svc.engine) as conn:
        if person_store.load_one(conn, person.id) is None:
            raise NotFoundError(f"no person {person.username}")
        credential_store.put(
            conn, person.id, hashed, must_change=must_change, now=now, by=actor.label, nt_hash=nt
        )
        audit.record(
            conn,
            [
                AuditEntry(
                    now,
                    actor.label,
                    "password.set" if not must_change else "password.reset",
                    "person",
                    person.id,
                    person.school_numbers[0] if person.school_numbers else None,
                    {"must_change": must_change},
                )
            ],
        )


def verify(
    password_hash: str, password: str, params: Argon2Params | None = None
) -> tuple[bool, str | None]:
    """(valid, a new hash if the parameters changed since)."""
    return hasher_for(params or Argon2Params()).verify_and_update(password, password_hash)
