"""The one error tree of Schulhof. Every package raises subclasses of `SchulhofError`.

Faces map these to their codes in one place each (HTTP status, LDAP result code, exit code).
"""

from __future__ import annotations


class SchulhofError(Exception):
    """Base of every error Schulhof raises on purpose."""


class NotFoundError(SchulhofError):
    """The named thing does not exist (or the actor may not know that it does)."""


class ConflictError(SchulhofError):
    """The write would break a uniqueness or state rule (duplicate school number, …)."""


class ValidationError(SchulhofError):
    """Input does not satisfy the domain rules; `field` names what is wrong."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class PermissionDeniedError(SchulhofError):
    """The actor may not do this."""


class StaleWriteError(SchulhofError):
    """The caller's version of the entity is older than the stored one."""


class ConfigurationError(SchulhofError):
    """A setting or database URL is unusable."""
