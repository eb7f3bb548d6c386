"""A batch of directory changes, planned elsewhere (an import) and applied here in bulk.

The planner states the desired *after* state of each changed person; `apply_batch` works out
the row changes (columns, contexts, sources) and the change-log records from before/after.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from schulhof.domain.changes import EntityType, Operation
from schulhof.domain.model import Context, Group, Membership, Person, School, SourceLink
from schulhof.domain.snapshot import Snapshot
from schulhof.services.snapshots import (
    context_entity_id,
    context_state,
    group_state,
    membership_entity_id,
    membership_state,
    person_state,
    school_state,
)
from schulhof.store import groups as group_store
from schulhof.store import persons as person_store
from schulhof.store import reviews as review_store
from schulhof.store import schools as school_store
from schulhof.store.unit_of_work import UnitOfWork


@dataclass(frozen=True, slots=True)
class ReviewDraft:
    record_key: str
    record: dict[str, Any]
    candidates: tuple[str, ...]
    reason: str


@dataclass(slots=True)
class Batch:
    new_schools: list[School] = field(default_factory=list)
    changed_schools: list[School] = field(default_factory=list)
    new_persons: list[Person] = field(default_factory=list)
    changed_persons: list[tuple[Person, Person]] = field(default_factory=list)  # before, after
    new_groups: list[Group] = field(default_factory=list)
    renamed_groups: list[tuple[Group, Group]] = field(default_factory=list)
    deleted_groups: list[Group] = field(default_factory=list)
    added_members: list[Membership] = field(default_factory=list)
    changed_members: list[Membership] = field(default_factory=list)
    removed_members: list[Membership] = field(default_factory=list)
    reviews: list[ReviewDraft] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not any(
            (
                self.new_schools,
                self.changed_schools,
                self.new_persons,
                self.changed_persons,
                self.new_groups,
                self.renamed_groups,
                self.deleted_groups,
                self.added_members,
                self.changed_members,
                self.removed_members,
                self.reviews,
            )
        )


def apply_batch(uow: UnitOfWork, batch: Batch, snap: Snapshot) -> None:
    """Write the batch. Order matters: schools before the people and groups that refer to
    them; removals before additions so unique names and links can move in one run."""
    conn, now = uow.conn, uow.now
    # 1. schools
    school_store.insert(conn, batch.new_schools, now)
    for s in batch.changed_schools:
        school_store.update(conn, s, now)
        known = snap.schools[s.number].sources
        school_store.add_sources(conn, s.id, [k for k in s.sources if k not in known])
    for s in batch.new_schools:
        uow.record(EntityType.SCHOOL, Operation.CREATE, s.id, [s.number], school_state(s))
    for s in batch.changed_schools:
        uow.record(EntityType.SCHOOL, Operation.UPDATE, s.id, [s.number], school_state(s))
    school_ids = {n: s.id for n, s in snap.schools.items()}
    school_ids.update({s.number: s.id for s in batch.new_schools})
    group_school = {g.id: g.school_number for g in snap.groups.values()}
    group_school.update({g.id: g.school_number for g in batch.new_groups})

    # 2. memberships out, groups out
    group_store.remove_members(conn, [(m.group_id, m.person_id) for m in batch.removed_members])
    for m in batch.removed_members:
        nr = group_school[m.group_id]
        uow.record(
            EntityType.MEMBERSHIP,
            Operation.DELETE,
            membership_entity_id(m.group_id, m.person_id),
            [nr],
            membership_state(m, nr),
        )
    group_store.delete(conn, [g.id for g in batch.deleted_groups])
    for g in batch.deleted_groups:
        uow.record(EntityType.GROUP, Operation.DELETE, g.id, [g.school_number], group_state(g))

    # 3. persons: changes first, so a source link one person gives up (a school-local
    # number the office gave to a new student) is free when the new person takes it
    _apply_person_changes(uow, batch.changed_persons, school_ids)
    person_store.insert(conn, batch.new_persons, school_ids, now)
    for p in batch.new_persons:
        uow.record(EntityType.PERSON, Operation.CREATE, p.id, p.school_numbers, person_state(p))
        for c in p.contexts:
            uow.record(
                EntityType.CONTEXT,
                Operation.CREATE,
                context_entity_id(p.id, c),
                [c.school_number],
                context_state(p.id, c),
            )

    # 4. groups in (renames via a temporary name when the new name is still taken)
    taken = {(g.school_number, g.kind, g.name) for g in snap.groups.values()}
    taken -= {(g.school_number, g.kind, g.name) for g in batch.deleted_groups}
    renames = [(b, a) for b, a in batch.renamed_groups if b.name != a.name]
    for before, after in renames:
        if (after.school_number, after.kind, after.name) in taken:
            group_store.rename(conn, before.id, f"~{before.id}")
    for _, after in renames:
        group_store.rename(conn, after.id, after.name)
    for _, after in batch.renamed_groups:
        uow.record(
            EntityType.GROUP, Operation.UPDATE, after.id, [after.school_number], group_state(after)
        )
    group_store.insert(conn, batch.new_groups, school_ids, now)
    for g in batch.new_groups:
        uow.record(EntityType.GROUP, Operation.CREATE, g.id, [g.school_number], group_state(g))
    new_links = [
        (g.id, link)
        for before, g in batch.renamed_groups
        for link in g.sources
        if link not in before.sources
    ]
    group_store.add_sources(conn, new_links)

    # 5. memberships in
    group_store.add_members(conn, batch.added_members)
    group_store.update_members(conn, batch.changed_members)
    for op, items in (
        (Operation.CREATE, batch.added_members),
        (Operation.UPDATE, batch.changed_members),
    ):
        for m in items:
            nr = group_school[m.group_id]
            uow.record(
                EntityType.MEMBERSHIP,
                op,
                membership_entity_id(m.group_id, m.person_id),
                [nr],
                membership_state(m, nr),
            )

    # 6. the review queue (not part of the directory, not in the change log)
    for r in batch.reviews:
        existing = snap.pending_reviews.get(r.record_key)
        review_store.upsert(
            conn,
            existing.id if existing else None,
            r.record_key,
            json.dumps(r.record, ensure_ascii=False, default=str),
            [str(c) for c in r.candidates],
            r.reason,
            now,
        )


def _apply_person_changes(
    uow: UnitOfWork, changes: list[tuple[Person, Person]], school_ids: dict[str, str]
) -> None:
    conn, now = uow.conn, uow.now
    column_updates: list[Person] = []
    ctx_add: list[tuple[str, Context]] = []
    ctx_remove: list[tuple[str, Context]] = []
    primary: list[tuple[str, Context]] = []
    src_add: list[tuple[str, SourceLink]] = []
    src_remove: list[tuple[str, SourceLink]] = []
    for before, after in changes:
        column_updates.append(after)
        old = {(c.school_number, c.role): c for c in before.contexts}
        new = {(c.school_number, c.role): c for c in after.contexts}
        ctx_remove.extend((after.id, c) for k, c in old.items() if k not in new)
        ctx_add.extend((after.id, c) for k, c in new.items() if k not in old)
        changed_primary = [
            c for k, c in new.items() if k in old and c.primary and not old[k].primary
        ]
        primary.extend((after.id, c) for c in changed_primary)
        src_remove.extend((after.id, s) for s in before.sources if s not in after.sources)
        src_add.extend((after.id, s) for s in after.sources if s not in before.sources)
    person_store.remove_sources(conn, src_remove)
    person_store.remove_contexts(conn, ctx_remove, school_ids)
    person_store.update_many(conn, column_updates, now)
    person_store.add_sources(conn, src_add)
    person_store.add_contexts(conn, ctx_add, school_ids)
    # Where the primary moved to another context, clear the old mark (one statement each).
    for pid, c in primary:
        person_store.set_primary(conn, pid, c, school_ids)
    removed_by_person: dict[str, list[Context]] = defaultdict(list)
    for pid, c in ctx_remove:
        removed_by_person[pid].append(c)
    added_by_person: dict[str, list[Context]] = defaultdict(list)
    for pid, c in ctx_add:
        added_by_person[pid].append(c)
    for before, after in changes:
        for c in removed_by_person.get(after.id, ()):
            uow.record(
                EntityType.CONTEXT,
                Operation.DELETE,
                context_entity_id(after.id, c),
                [c.school_number],
                context_state(after.id, c),
            )
        for c in added_by_person.get(after.id, ()):
            uow.record(
                EntityType.CONTEXT,
                Operation.CREATE,
                context_entity_id(after.id, c),
                [c.school_number],
                context_state(after.id, c),
            )
        schools = set(after.school_numbers) | set(before.school_numbers)
        uow.record(EntityType.PERSON, Operation.UPDATE, after.id, schools, person_state(after))
