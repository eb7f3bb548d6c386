"""Password rules per role: what a new password must satisfy (pure, no I/O).

Children at primary schools get a shorter minimum (six characters they can type on a tablet)
— the sign-in throttling of their accounts is stricter to make up for it
(docs/design/signin.md). Staff passwords guard other people's data and are the longest.
Every rejection carries a `code` and its parameters, so each face words it in its language.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from schulhof.domain.errors import ValidationError
from schulhof.domain.model import Role

_STAFF_ROLES = frozenset({Role.TEACHER, Role.STAFF, Role.SCHOOL_ADMIN})


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    name: str  # "staff", "default", "primary_child"
    min_length: int
    # Shorter than this, a password must mix at least two kinds of characters.
    mixed_below: int = 16


STAFF = PasswordPolicy("staff", 12)
DEFAULT = PasswordPolicy("default", 10)
PRIMARY_CHILD = PasswordPolicy("primary_child", 6, mixed_below=0)
MAX_LENGTH = 256  # argon2 takes any length; this only keeps requests bounded


class PasswordRejected(ValidationError):  # noqa: N818 - the contract's name
    """A new password breaks the policy. `code`: too_short, too_long, too_simple,
    contains_name, unchanged, mismatch; `params`: values for the message."""

    def __init__(self, code: str, message: str, **params: int | str) -> None:
        super().__init__(message, field="new_password")
        self.code = code
        self.params: dict[str, int | str] = dict(params)


def policy_for(roles: Iterable[Role], *, primary_child: bool) -> PasswordPolicy:
    """The strictest policy any of the person's roles asks for."""
    roles = frozenset(roles)
    if roles & _STAFF_ROLES:
        return STAFF
    if primary_child and roles <= {Role.STUDENT}:
        return PRIMARY_CHILD
    return DEFAULT


@dataclass(frozen=True, slots=True)
class PasswordCheck:
    policy: PasswordPolicy
    username: str
    names: tuple[str, ...] = field(default=())


def check_new_password(check: PasswordCheck, new: str, *, old: str | None = None) -> None:
    """Raise PasswordRejected when `new` does not satisfy the policy."""
    policy = check.policy
    if len(new) < policy.min_length:
        raise PasswordRejected(
            "too_short",
            f"the new password needs at least {policy.min_length} characters",
            min_length=policy.min_length,
        )
    if len(new) > MAX_LENGTH:
        raise PasswordRejected(
            "too_long",
            f"the new password may have at most {MAX_LENGTH} characters",
            max_length=MAX_LENGTH,
        )
    if old is not None and new == old:
        raise PasswordRejected("unchanged", "the new password must differ from the old one")
    lowered = new.casefold()
    for name in (check.username, *check.names):
        part = name.casefold()
        if len(part) >= 3 and part in lowered:
            raise PasswordRejected(
                "contains_name", "the new password must not contain your name or username"
            )
    if len(new) < policy.mixed_below and _kinds(new) < 2:
        raise PasswordRejected(
            "too_simple",
            f"a password shorter than {policy.mixed_below} characters must mix letters "
            "with digits or other characters",
            mixed_below=policy.mixed_below,
        )
    if len(set(new)) <= 2:
        raise PasswordRejected("too_simple", "the new password repeats one or two characters")


def _kinds(password: str) -> int:
    letters = any(c.isalpha() for c in password)
    digits = any(c.isdigit() for c in password)
    other = any(not c.isalnum() for c in password)
    return letters + digits + other
