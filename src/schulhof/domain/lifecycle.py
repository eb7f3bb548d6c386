"""Lifecycle rules: when a person is disabled, when deleted, when a username is free again."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from schulhof.domain.model import Role

USERNAME_QUARANTINE = dt.timedelta(days=365)


@dataclass(frozen=True, slots=True)
class GracePeriods:
    """Days between losing the last context (disabled) and deletion, per role."""

    student: int = 90
    staff: int = 180

    def for_roles(self, roles: set[Role]) -> int:
        # Staff-like roles keep the longer period: their data is needed for handover.
        if roles & {Role.TEACHER, Role.STAFF, Role.SCHOOL_ADMIN}:
            return self.staff
        return self.student


def delete_after(disabled_at: dt.datetime, roles: set[Role], periods: GracePeriods) -> dt.date:
    return (disabled_at + dt.timedelta(days=periods.for_roles(roles))).date()


def username_free_after(deleted_at: dt.datetime) -> dt.datetime:
    return deleted_at + USERNAME_QUARANTINE
