"""Running an import: plan against the directory inside the write transaction, guard, apply.

The planner is handed in by the caller (the importers package): this module owns the
transaction and the safety rules, not the formats.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import sqlalchemy as sa

from schulhof.access.actors import Actor
from schulhof.access.rules import may_manage_schools
from schulhof.domain.errors import PermissionDeniedError
from schulhof.domain.model import LifecycleState
from schulhof.domain.snapshot import Snapshot
from schulhof.services import sessions
from schulhof.services.batch import Batch, apply_batch
from schulhof.services.runtime import Services
from schulhof.store.database import read_connection
from schulhof.store.snapshot import load_snapshot
from schulhof.store.unit_of_work import unit_of_work

GUARD_MIN_PEOPLE = 5  # below this many leavers a school is never held (tiny schools)
_IMPORT_LOCK = 0x5C401  # PostgreSQL advisory lock: one import at a time per authority

P = TypeVar("P")


@dataclass(frozen=True, slots=True)
class GuardFinding:
    scope: str  # a school number, or "authority"
    leaving: int
    active: int
    limit: float

    def message(self) -> str:
        where = "the authority" if self.scope == "authority" else f"school {self.scope}"
        share = self.leaving / self.active if self.active else 1.0
        return (
            f"{where}: {self.leaving} of {self.active} active people would be disabled "
            f"({share:.0%}, limit {self.limit:.0%})"
        )


@dataclass(slots=True)
class Outcome(Generic[P]):
    plan: P
    batch: Batch
    applied: bool = False
    held: bool = False
    findings: list[GuardFinding] = field(default_factory=list)
    last_seq: int = 0


def guard(snap: Snapshot, batch: Batch, services: Services) -> list[GuardFinding]:
    """Which schools (and whether the authority) would lose more people than allowed."""
    active_at: Counter[str] = Counter()
    active_total = 0
    for p in snap.persons.values():
        if p.state is LifecycleState.ACTIVE:
            active_total += 1
            for nr in p.school_numbers:
                active_at[nr] += 1
    leaving_at: Counter[str] = Counter()
    leaving_total = 0
    for before, after in batch.changed_persons:
        if before.state is LifecycleState.ACTIVE and after.state is not LifecycleState.ACTIVE:
            leaving_total += 1
            for nr in before.school_numbers:
                leaving_at[nr] += 1
    s = services.settings
    findings = [
        GuardFinding(nr, n, active_at[nr], s.guard_school_share)
        for nr, n in sorted(leaving_at.items())
        if n >= GUARD_MIN_PEOPLE and n > s.guard_school_share * active_at[nr]
    ]
    if leaving_total >= GUARD_MIN_PEOPLE and leaving_total > s.guard_authority_share * active_total:
        findings.append(
            GuardFinding("authority", leaving_total, active_total, s.guard_authority_share)
        )
    return findings


def schools_touched(batch: Batch, snap: Snapshot) -> set[str]:
    """Every school whose data the batch changes (people, groups, memberships)."""
    touched = {s.number for s in batch.new_schools + batch.changed_schools}
    for p in batch.new_persons:
        touched.update(p.school_numbers)
    for before, after in batch.changed_persons:
        touched.update(before.school_numbers, after.school_numbers)
    touched.update(g.school_number for g in batch.new_groups + batch.deleted_groups)
    touched.update(after.school_number for _, after in batch.renamed_groups)
    groups = {g.id: g.school_number for g in batch.new_groups}
    groups.update((gid, g.school_number) for gid, g in snap.groups.items())
    for m in batch.added_members + batch.changed_members + batch.removed_members:
        touched.add(groups[m.group_id])
    return touched


def check_scope(actor: Actor, batch: Batch, snap: Snapshot) -> None:
    """An import may only change schools the actor manages (nothing to change is fine)."""
    touched = schools_touched(batch, snap)
    if touched and not may_manage_schools(actor, touched):
        raise PermissionDeniedError("this import touches schools the actor may not manage")


def run_import(
    services: Services,
    actor: Actor,
    planner: Callable[[Snapshot, dt.datetime], tuple[P, Batch]],
    *,
    dry_run: bool = False,
    approve: bool = False,
) -> Outcome[P]:
    """Plan and, unless this is a dry run or the guard holds it, apply in one transaction."""
    if dry_run:
        with read_connection(services.engine) as conn:
            now = services.clock()
            snap = load_snapshot(conn, now)
            plan, batch = planner(snap, now)
        check_scope(actor, batch, snap)
        return Outcome(plan, batch, findings=guard(snap, batch, services), last_seq=snap.last_seq)
    with unit_of_work(services.engine, actor.label, services.clock()) as uow:
        if uow.conn.dialect.name == "postgresql":
            uow.conn.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _IMPORT_LOCK})
        snap = load_snapshot(uow.conn, uow.now)
        plan, batch = planner(snap, uow.now)
        check_scope(actor, batch, snap)
        findings = guard(snap, batch, services)
        outcome = Outcome(plan, batch, findings=findings, last_seq=snap.last_seq)
        if findings and not approve:
            outcome.held = True
            uow.abort()
            return outcome
        if batch.is_empty():
            uow.abort()
            return outcome
        apply_batch(uow, batch, snap)
        outcome.applied = True
    outcome.last_seq = uow.last_seq or snap.last_seq
    for before, after in batch.changed_persons:
        if before.state is LifecycleState.ACTIVE and after.state is LifecycleState.DISABLED:
            # Gone from the school's export: signed out, and the OIDC clients are told.
            sessions.end_all_for(services, after.id)
    return outcome
