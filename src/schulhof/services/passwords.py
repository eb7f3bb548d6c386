"""Passwords: initial ones made when handed out, hashed with argon2id, shown once.

Initial passwords are readable (syllables and digits, no l/I/0/O to misread on a letter)
and strong enough for their short life: ~43 bits (75^6 syllables × 64 digit pairs); they
must be changed at the first sign-in.
Hashing costs tens of milliseconds by design, so callers on an event loop run these
functions in a worker thread.
"""

from __future__ import annotations

import secrets

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from schulhof.access.actors import Actor
from schulhof.access.rules import may_reset_password
from schulhof.domain.errors import NotFoundError, ValidationError
from schulhof.domain.model import Person
from schulhof.services import audit
from schulhof.services.persons import load_readable, taught_by
from schulhof.services.runtime import Services
from schulhof.store import credentials as credential_store
from schulhof.store import persons as person_store
from schulhof.store.audit import AuditEntry
from schulhof.store.database import write_connection

_CONSONANTS = "bdfghkmnprstvwz"
_VOWELS = "aeiou"
_DIGITS = "23456789"  # no 0/1: they read as O/l on a printed letter
MIN_LENGTH = 10

hasher = PasswordHash((Argon2Hasher(),))


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
    return person, password


def set_password(
    svc: Services, actor: Actor, ref: str, password: str, *, temporary: bool
) -> Person:
    if len(password) < MIN_LENGTH:
        raise ValidationError(
            f"a password needs at least {MIN_LENGTH} characters", field="password"
        )
    person = load_readable(svc, actor, ref)
    if not may_reset_password(actor, person):
        raise NotFoundError(f"no person {ref}")
    _store(svc, actor, person, password, must_change=temporary)
    return person


def _store(
    svc: Services, actor: Actor, person: Person, password: str, *, must_change: bool
) -> None:
    hashed = hasher.hash(password)  # outside the transaction: it takes a while
    now = svc.clock()
    with write_connection(svc.engine) as conn:
        if person_store.load_one(conn, person.id) is None:
            raise NotFoundError(f"no person {person.username}")
        credential_store.put(
            conn, person.id, hashed, must_change=must_change, now=now, by=actor.label
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


def verify(password_hash: str, password: str) -> tuple[bool, str | None]:
    """(valid, a new hash if the parameters changed since)."""
    return hasher.verify_and_update(password, password_hash)
