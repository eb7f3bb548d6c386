"""What readers hand to the planner: validated records that remember where they came from.

Readers turn files into these (and into `RowError`s for what they could not read); the
planner compares them with the directory. Nothing here touches the database.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from schulhof.domain.model import GroupKind, MemberRole, Role, SchoolType


@dataclass(frozen=True, slots=True)
class Origin:
    """File (as the user named it, relative to the import root) and 1-based line."""

    file: str
    line: int


@dataclass(frozen=True, slots=True)
class RowError:
    file: str
    line: int
    field: str
    message: str

    def as_dict(self) -> dict[str, str | int]:
        return {"file": self.file, "line": self.line, "field": self.field, "message": self.message}


class RecordStatus(enum.StrEnum):
    ACTIVE = "active"
    TO_BE_DELETED = "tobedeleted"  # OneRoster delta: remove this record


class FeedMode(enum.StrEnum):
    FULL = "full"  # a snapshot: whatever is missing for the schools in scope has left
    DELTA = "delta"  # only changes: what is missing is unchanged


@dataclass(frozen=True, slots=True)
class SourceKey:
    system: str
    source_id: str


@dataclass(frozen=True, slots=True)
class SchoolRecord:
    origin: Origin
    key: SourceKey
    number: str
    name: str
    type: SchoolType = SchoolType.OTHER
    status: RecordStatus = RecordStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class PersonRecord:
    """One person as a source sees them, with their roles at the schools of this feed.

    `key` is None for sources without stable ids for this person (a student of the
    school-office export: the student number is local to one school and changes with the
    school); then `local_key` carries that number and matching falls back to
    given name + family name + birth date.
    """

    origin: Origin
    key: SourceKey | None
    given_name: str
    family_name: str
    birth_date: dt.date | None
    roles: tuple[tuple[str, Role], ...]  # (school number, role)
    primary_school: str | None = None
    username: str | None = None
    email: str | None = None
    local_key: SourceKey | None = None
    status: RecordStatus = RecordStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class GroupRecord:
    origin: Origin
    key: SourceKey
    school_number: str
    kind: GroupKind
    name: str
    status: RecordStatus = RecordStatus.ACTIVE


@dataclass(frozen=True, slots=True)
class MembershipRecord:
    """A person in a group. Persons are named by the key their record carries
    (`PersonRecord.key`, or `local_key` when that is None)."""

    origin: Origin
    group: SourceKey
    person: SourceKey
    role: MemberRole
    homeroom_teacher: bool = False
    status: RecordStatus = RecordStatus.ACTIVE


@dataclass(slots=True)
class Feed:
    """Everything one import run read, ready to plan.

    `scope` is the set of school numbers this feed describes completely (for a FULL feed:
    people of these schools missing from it lose their context there). `coverage` narrows
    that per school to the roles whose files were present (a school-office folder with the
    students' file but no staff file says nothing about the teachers); a school in `scope`
    without an entry in `coverage` is complete for every role.
    """

    source: str  # "oneroster" or "sis"
    mode: FeedMode
    scope: set[str] = field(default_factory=set)
    coverage: dict[str, frozenset[Role]] = field(default_factory=dict)
    schools: list[SchoolRecord] = field(default_factory=list)
    persons: list[PersonRecord] = field(default_factory=list)
    groups: list[GroupRecord] = field(default_factory=list)
    memberships: list[MembershipRecord] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
