"""The whole directory in memory, indexed for planning an import. Pure data.

A city (52k people, 190k memberships) fits in a few hundred MB; a state-sized import
plans school by school on the same structure.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from schulhof.domain.model import Group, Membership, Person, School


@dataclass(slots=True)
class PendingReview:
    id: str
    candidates: tuple[str, ...]


@dataclass(slots=True)
class Snapshot:
    schools: dict[str, School] = field(default_factory=dict)  # by number
    school_by_source: dict[tuple[str, str], str] = field(default_factory=dict)
    persons: dict[str, Person] = field(default_factory=dict)
    person_by_source: dict[tuple[str, str], str] = field(default_factory=dict)
    groups: dict[str, Group] = field(default_factory=dict)
    group_by_source: dict[tuple[str, str], str] = field(default_factory=dict)
    memberships: dict[tuple[str, str], Membership] = field(default_factory=dict)
    taken_usernames: set[str] = field(default_factory=set)
    pending_reviews: dict[str, PendingReview] = field(default_factory=dict)  # by record key
    rejections: set[tuple[str, str]] = field(default_factory=set)
    last_seq: int = 0
