"""Use cases for groups (classes, courses, workgroups) and memberships.

Reads are scoped like people: the authority sees every group, school admins and services
the groups of their schools, a teacher the groups they teach. A group outside the reader's
scope is "not found", as for none; one the reader sees but may not change is 403.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from dataclasses import dataclass

import sqlalchemy as sa

from schulhof.access import rules
from schulhof.access.actors import Actor, ActorKind
from schulhof.access.rules import may_manage_schools
from schulhof.domain.changes import EntityType, Operation
from schulhof.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from schulhof.domain.model import Group, GroupKind, MemberRole, Membership, SourceLink, new_id
from schulhof.services import persons
from schulhof.services.runtime import Services
from schulhof.services.snapshots import group_state, membership_entity_id, membership_state
from schulhof.services.views import GroupView, MemberView
from schulhof.store import groups as group_store
from schulhof.store import persons as person_store
from schulhof.store import schools as school_store
from schulhof.store.database import read_connection
from schulhof.store.groups import GroupFilter, GroupKey
from schulhof.store.unit_of_work import UnitOfWork, unit_of_work


def list_groups(
    svc: Services, *, school: str | None = None, kind: GroupKind | None = None
) -> list[GroupView]:
    """Every group, unscoped: for the operator's own tools (CLI, importers). Faces that
    act for someone use `list_groups_for`."""
    with read_connection(svc.engine) as conn:
        found = group_store.load_all(conn, school=school, kind=kind)
        sizes = Counter(m.group_id for m in group_store.members(conn, [g.id for g in found]))
    return [GroupView(g, sizes[g.id]) for g in found]


def scoped_filter(actor: Actor, f: GroupFilter) -> GroupFilter | None:
    """`f` narrowed to the groups `actor` may read; None if that is nothing."""
    if rules.sees_every_school(actor):
        return f
    if f.school is not None and not rules.may_read_school(actor, f.school):
        return None
    if actor.kind in (ActorKind.SCHOOL_ADMIN, ActorKind.SERVICE):
        return dataclasses.replace(f, schools=actor.schools)
    if actor.kind is ActorKind.TEACHER and actor.person_id is not None:
        return dataclasses.replace(f, schools=actor.schools, taught_by=actor.person_id)
    return None


def list_groups_for(
    svc: Services,
    actor: Actor,
    f: GroupFilter,
    *,
    after: GroupKey | None = None,
    limit: int | None = None,
) -> list[GroupView]:
    """Groups `actor` may read, ordered by school number, kind, name and id."""
    scoped = scoped_filter(actor, f)
    if scoped is None:
        return []
    with read_connection(svc.engine) as conn:
        found = group_store.list_page(conn, scoped, after=after, limit=limit)
        sizes = group_store.member_counts(conn, [g.id for g in found])
    return [GroupView(g, sizes.get(g.id, 0)) for g in found]


def _may_read(conn: sa.Connection, actor: Actor, group: Group) -> bool:
    if not rules.may_read_school(actor, group.school_number):
        return False
    if rules.sees_every_school(actor) or actor.kind in (ActorKind.SCHOOL_ADMIN, ActorKind.SERVICE):
        return True
    if actor.kind is ActorKind.TEACHER and actor.person_id is not None:
        return group_store.teaches(conn, actor.person_id, group.id)
    return False


def _load_readable(conn: sa.Connection, actor: Actor, group_id: str) -> Group:
    group = group_store.load_one(conn, group_id)
    if group is None or not _may_read(conn, actor, group):
        raise NotFoundError(f"no group {group_id}")  # the same for hidden and missing
    return group


def _load_for_write(uow: UnitOfWork, actor: Actor, group_id: str) -> Group:
    group = _load_readable(uow.conn, actor, group_id)
    if not may_manage_schools(actor, {group.school_number}):
        raise PermissionDeniedError(f"not allowed to manage school {group.school_number}")
    return group


def get_group(svc: Services, actor: Actor, group_id: str) -> GroupView:
    with read_connection(svc.engine) as conn:
        group = _load_readable(conn, actor, group_id)
        return GroupView(group, group_store.member_counts(conn, [group.id]).get(group.id, 0))


@dataclass(frozen=True, slots=True)
class MemberPage:
    items: list[MemberView]
    next_after: str | None  # the username to continue after; None: this was the last page


def list_members(
    svc: Services, actor: Actor, group_id: str, *, after: str | None = None, limit: int = 100
) -> MemberPage:
    """Members by username, each as `actor` may see them. Members `actor` may not read
    are left out, so a page can hold fewer than `limit` items while `next_after` is set."""
    with read_connection(svc.engine) as conn:
        group = _load_readable(conn, actor, group_id)
        rows = group_store.members_page(conn, group.id, after_username=after, limit=limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    views = persons.readable_views(
        svc, actor, [m.person_id for m, _ in rows], audit_as="person.list"
    )
    by_id = {v.person.id: v for v in views}
    items = [MemberView(m, by_id[m.person_id]) for m, _ in rows if m.person_id in by_id]
    return MemberPage(items, rows[-1][1] if more else None)


def add_group(
    svc: Services,
    actor: Actor,
    school: str,
    kind: GroupKind,
    name: str,
    sources: tuple[SourceLink, ...] = (),
) -> Group:
    if not may_manage_schools(actor, {school}):
        raise PermissionDeniedError(f"not allowed to manage school {school}")
    if not name.strip():
        raise ValidationError("a group needs a name", field="name")
    group = Group(new_id(), school, kind, name.strip(), sources)
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        school_ids = school_store.ids_by_number(uow.conn)
        if school not in school_ids:
            raise NotFoundError(f"no school {school}")
        if any(
            g.name == group.name for g in group_store.load_all(uow.conn, school=school, kind=kind)
        ):
            raise ConflictError(f"{kind} {group.name} exists at school {school}")
        group_store.insert(uow.conn, [group], school_ids, uow.now)
        uow.record(EntityType.GROUP, Operation.CREATE, group.id, [school], group_state(group))
    return group


def delete_group(svc: Services, actor: Actor, group_id: str) -> Group:
    """The group and its memberships go; the log records each membership, then the group."""
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        group = _load_for_write(uow, actor, group_id)
        school = [group.school_number]
        for m in group_store.members(uow.conn, [group.id]):
            uow.record(
                EntityType.MEMBERSHIP,
                Operation.DELETE,
                membership_entity_id(m.group_id, m.person_id),
                school,
                membership_state(m, group.school_number),
            )
        group_store.delete(uow.conn, [group.id])
        uow.record(EntityType.GROUP, Operation.DELETE, group.id, school, group_state(group))
    return group


def add_member(
    svc: Services,
    actor: Actor,
    group_id: str,
    person_id: str,
    role: MemberRole,
    *,
    homeroom_teacher: bool = False,
) -> Membership:
    return put_member(svc, actor, group_id, person_id, role, homeroom_teacher=homeroom_teacher)[0]


def put_member(
    svc: Services,
    actor: Actor,
    group_id: str,
    person_id: str,
    role: MemberRole,
    *,
    homeroom_teacher: bool = False,
) -> tuple[Membership, bool]:
    """Add the person to the group, or change their membership; True if it is new."""
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        group = _load_for_write(uow, actor, group_id)
        person = person_store.load_one(uow.conn, person_id)
        if person is None or not rules.may_read_person(actor, person):
            raise NotFoundError(f"no person {person_id}")
        if group.school_number not in person.school_numbers:
            raise ValidationError(
                f"{person.username} has no role at school {group.school_number}", field="person_id"
            )
        membership = Membership(group.id, person.id, role, homeroom_teacher)
        existing = [
            m for m in group_store.memberships_of(uow.conn, person.id) if m.group_id == group.id
        ]
        if existing:
            if existing[0] == membership:
                return membership, False
            group_store.update_members(uow.conn, [membership])
            op = Operation.UPDATE
        else:
            group_store.add_members(uow.conn, [membership])
            op = Operation.CREATE
        uow.record(
            EntityType.MEMBERSHIP,
            op,
            membership_entity_id(group.id, person.id),
            [group.school_number],
            membership_state(membership, group.school_number),
        )
    return membership, op is Operation.CREATE


def remove_member(svc: Services, actor: Actor, group_id: str, person_id: str) -> None:
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        group = _load_for_write(uow, actor, group_id)
        existing = [
            m for m in group_store.memberships_of(uow.conn, person_id) if m.group_id == group.id
        ]
        if not existing:
            return
        group_store.remove_members(uow.conn, [(group.id, person_id)])
        uow.record(
            EntityType.MEMBERSHIP,
            Operation.DELETE,
            membership_entity_id(group.id, person_id),
            [group.school_number],
            membership_state(existing[0], group.school_number),
        )
