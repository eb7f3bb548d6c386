"""The change log's vocabulary: what kind of entity changed, and how.

A record's `state` is the entity's new state as plain JSON values (no secrets), enough for
a school server to apply it offline without asking for anything else.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any


class EntityType(enum.StrEnum):
    SCHOOL = "school"
    PERSON = "person"
    CONTEXT = "context"
    GROUP = "group"
    MEMBERSHIP = "membership"
    GUARDIAN_LINK = "guardian_link"


class Operation(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass(frozen=True, slots=True)
class ChangeRecord:
    seq: int
    at: dt.datetime
    actor: str
    entity: EntityType
    op: Operation
    entity_id: str
    schools: tuple[str, ...]
    state: dict[str, Any]

    @property
    def kind(self) -> str:
        return f"{self.entity}.{self.op}"
