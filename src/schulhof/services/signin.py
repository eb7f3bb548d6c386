"""Checking a person's password, for every face that signs people in (the sign-in page, OIDC,
SAML, LDAP binds): one throttle, one hash, one audit trail.

Throttling is counted in the database so that every worker sees the same counts
(docs/design/signin.md): per account and per address, with growing delays after a few free
failures. A throttled attempt is refused before its password is checked, so waiting gives
no answer. An unknown username is checked against a dummy hash and looks like a wrong
password. A right password with other costs than the current ones is re-hashed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import sqlalchemy as sa

from schulhof.access.actors import Actor, ActorKind
from schulhof.domain.errors import NotFoundError, SchulhofError
from schulhof.domain.model import LifecycleState, Person
from schulhof.domain.password_policy import PasswordRejected, check_new_password
from schulhof.services import audit, nt_hashes, passwords, sessions
from schulhof.services.runtime import Services
from schulhof.services.settings import Argon2Params
from schulhof.store import credentials as credential_store
from schulhof.store import persons as person_store
from schulhof.store import signin as signin_store
from schulhof.store.audit import AuditEntry
from schulhof.store.database import read_connection, write_connection

Reason = Literal["invalid", "throttled", "disabled"]


@dataclass(frozen=True, slots=True)
class ThrottleRule:
    free: int  # failures allowed before delays start
    first_delay: int  # seconds, doubled with each further failure
    max_delay: int
    quiet: dt.timedelta  # a key without failures for this long starts again

    def wait(self, failures: int, last_at: dt.datetime, now: dt.datetime) -> int:
        if failures < self.free or now - last_at > self.quiet:
            return 0
        delay = min(self.max_delay, self.first_delay * 2 ** (failures - self.free))
        left = (last_at + dt.timedelta(seconds=delay) - now).total_seconds()
        return max(0, int(left + 0.999))


ACCOUNT = ThrottleRule(5, 2, 15 * 60, dt.timedelta(hours=1))
# A six-character password is guessable: its account gets fewer tries and longer waits.
CHILD_ACCOUNT = ThrottleRule(3, 4, 30 * 60, dt.timedelta(hours=2))
# A whole school signs in from one NAT address: lenient, a ceiling against spraying.
ADDRESS = ThrottleRule(50, 1, 5 * 60, dt.timedelta(minutes=15))


class SignInRefused(SchulhofError):  # noqa: N818 - the contract's name
    """`reason`: invalid (unknown user or wrong password: one answer for both), throttled
    (wait `retry_after` seconds), disabled (right password, but the account is not active)."""

    def __init__(self, reason: Reason, retry_after: int = 0) -> None:
        super().__init__(
            {
                "invalid": "username or password is wrong",
                "throttled": f"too many failed sign-ins; try again in {retry_after} s",
                "disabled": "this account is disabled",
            }[reason]
        )
        self.reason: Reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True, slots=True)
class Verified:
    person: Person
    must_change: bool


# Verified against for an unknown username, so that answer takes as long as a wrong password.
# Made with the configured costs, so that it takes exactly as long as a real check.
@lru_cache(maxsize=4)
def _dummy_hash(params: Argon2Params) -> str:
    return passwords.hasher_for(params).hash("schulhof-no-such-person")


def _account_key(person_id: str) -> str:
    return f"account:{person_id}"


def _address_key(address: str) -> str:
    return f"address:{address}"


def verify_password(
    svc: Services,
    username: str,
    password: str,
    *,
    address: str,
    channel: str,
    relayed: bool = False,
) -> Verified:
    """The person behind `username` and `password`, or SignInRefused. `relayed`: `address`
    is a trusted relay of many people's sign-ins (a RADIUS server binding over LDAP for a
    whole WLAN), counted per account only — its address would lock everyone out."""
    now = svc.clock()
    username = username.strip().lower()
    with read_connection(svc.engine) as conn:
        person_id = person_store.id_by_username(conn, username) if username else None
        person = person_store.load_one(conn, person_id) if person_id else None
        credential = credential_store.get(conn, person_id) if person_id else None
        keys = ([] if relayed else [_address_key(address)]) + (
            [_account_key(person_id)] if person_id else []
        )
        counts = signin_store.failures(conn, keys)
        child = person is not None and passwords.is_primary_child_in(conn, person)
    account_rule = CHILD_ACCOUNT if child else ACCOUNT
    wait = 0
    if (a := counts.get(_address_key(address))) is not None:
        wait = ADDRESS.wait(a.failures, a.last_at, now)
    if person_id and (c := counts.get(_account_key(person_id))) is not None:
        wait = max(wait, account_rule.wait(c.failures, c.last_at, now))
    if wait:
        _audit(svc, now, person, username, "signin.throttled", channel, address)
        raise SignInRefused("throttled", wait)

    params = svc.settings.argon2
    if person is None or credential is None:
        passwords.verify(_dummy_hash(params), password, params)
        valid, new_hash = False, None
    else:
        valid, new_hash = passwords.verify(credential.password_hash, password, params)

    if not valid:
        with write_connection(svc.engine) as conn:
            if not relayed:
                signin_store.add_failure(conn, _address_key(address), now, quiet=ADDRESS.quiet)
            if person is not None:
                signin_store.add_failure(
                    conn, _account_key(person.id), now, quiet=account_rule.quiet
                )
            _audit_in(conn, now, person, username, "signin.failed", channel, address)
        raise SignInRefused("invalid")

    assert person is not None
    assert credential is not None
    if person.state is not LifecycleState.ACTIVE:
        _audit(svc, now, person, username, "signin.disabled", channel, address)
        raise SignInRefused("disabled")
    # With `[ldap] nt_hash` switched on after this password was set, its NT hash is made
    # now, while the password is at hand (services/nt_hashes.py).
    nt = (
        None
        if credential.has_nt_hash
        else nt_hashes.for_password(svc, password, must_change=credential.must_change)
    )
    with write_connection(svc.engine) as conn:
        if _account_key(person.id) in counts:
            signin_store.clear_failures(conn, _account_key(person.id))
        if nt is not None:
            credential_store.set_nt_hash(conn, person.id, credential.password_hash, nt)
        if new_hash is not None:  # costs changed since this hash was made
            credential_store.put(
                conn,
                person.id,
                new_hash,
                must_change=credential.must_change,
                now=now,
                by="system:rehash",
            )
        _audit_in(conn, now, person, username, "signin.success", channel, address)
    return Verified(person, credential.must_change)


def change_password(
    svc: Services,
    person_id: str,
    old: str | None,
    new: str,
    *,
    address: str,
    keep_sid: str | None = None,
) -> None:
    """A person changes their own password. `old` is checked (throttled like a sign-in)
    unless the caller has just verified it (None). Other sessions of the person end."""
    with read_connection(svc.engine) as conn:
        person = person_store.load_one(conn, person_id)
    if person is None:
        raise NotFoundError("no such person")
    if old is not None:
        verify_password(svc, person.username, old, address=address, channel="password-change")
    check_new_password(passwords.password_check(svc, person), new, old=old)
    me = Actor(ActorKind.PERSON, person.username, person_id=person.id)
    passwords.store_new_password(svc, me, person, new, must_change=False)
    sessions.password_changed(svc, person.id)
    sessions.end_all_for(svc, person.id, except_sid=keep_sid)


__all__ = [
    "PasswordRejected",
    "SignInRefused",
    "Verified",
    "change_password",
    "verify_password",
]


def _audit(
    svc: Services,
    now: dt.datetime,
    person: Person | None,
    username: str,
    action: str,
    channel: str,
    address: str,
) -> None:
    with write_connection(svc.engine) as conn:
        _audit_in(conn, now, person, username, action, channel, address)


def _audit_in(
    conn: sa.Connection,
    now: dt.datetime,
    person: Person | None,
    username: str,
    action: str,
    channel: str,
    address: str,
) -> None:
    # A username that names nobody is not kept: people type their password into it.
    detail: dict[str, object] = {"channel": channel, "address": address}
    if person is None:
        detail["unknown_user"] = True
    audit.record(
        conn,
        [
            AuditEntry(
                now,
                f"person:{person.username}" if person else "anonymous",
                action,
                "person",
                person.id if person else None,
                person.school_numbers[0] if person and person.school_numbers else None,
                detail,
            )
        ],
    )
