"""What an import did or would do, for people (the plan) and machines (the JSON summary)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from schulhof.importers.records import RowError


@dataclass(frozen=True, slots=True)
class NewAccount:
    username: str
    given_name: str
    family_name: str
    school: str
    classes: tuple[str, ...]
    role: str


@dataclass(frozen=True, slots=True)
class Change:
    username: str
    detail: str  # "family_name: Weiss → Weiß", "91000 → 91007", …


@dataclass(frozen=True, slots=True)
class HeldRecord:
    file: str
    line: int
    name: str
    reason: str
    candidates: tuple[str, ...]  # usernames


@dataclass(slots=True)
class ImportPlan:
    source: str
    mode: str
    created: list[NewAccount] = field(default_factory=list)
    updated: list[Change] = field(default_factory=list)
    moved: list[Change] = field(default_factory=list)
    disabled: list[Change] = field(default_factory=list)
    enabled: list[Change] = field(default_factory=list)
    unchanged: int = 0
    schools_created: list[str] = field(default_factory=list)
    groups_created: list[str] = field(default_factory=list)
    groups_renamed: list[str] = field(default_factory=list)
    groups_deleted: list[str] = field(default_factory=list)
    memberships_added: int = 0
    memberships_removed: int = 0
    memberships_changed: int = 0
    review: list[HeldRecord] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


@dataclass(slots=True)
class ImportReport:
    plan: ImportPlan
    errors: list[RowError]
    applied: bool
    held: bool
    held_reasons: list[str]
    dry_run: bool
    last_seq: int = 0
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        """Exit code 0: applied, or nothing to do, and not held."""
        if self.held or self.dry_run:
            return not self.held and not self.errors
        return not self.errors or self.applied

    def summary(self) -> dict[str, Any]:
        p = self.plan
        return {
            "source": p.source,
            "mode": p.mode,
            "dry_run": self.dry_run,
            "applied": self.applied,
            "created": len(p.created),
            "updated": len(p.updated),
            "moved": len(p.moved),
            "disabled": len(p.disabled),
            "enabled": len(p.enabled),
            "deleted": 0,  # imports never delete: `schulhof lifecycle run` does, after grace
            "unchanged": p.unchanged,
            "review": len(p.review),
            "schools_created": len(p.schools_created),
            "groups_created": len(p.groups_created),
            "groups_renamed": len(p.groups_renamed),
            "groups_deleted": len(p.groups_deleted),
            "memberships_added": p.memberships_added,
            "memberships_removed": p.memberships_removed,
            "memberships_changed": p.memberships_changed,
            "held": self.held,
            "held_reasons": self.held_reasons,
            "errors": [e.as_dict() for e in self.errors],
            "notes": p.notes,
            "last_seq": self.last_seq,
            "seconds": {k: round(v, 3) for k, v in self.seconds.items()},
        }
