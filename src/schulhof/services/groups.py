"""Use cases for groups (classes, courses, workgroups) and memberships."""

from __future__ import annotations

from collections import Counter

from schulhof.access.actors import Actor
from schulhof.access.rules import may_manage_schools
from schulhof.domain.changes import EntityType, Operation
from schulhof.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    ValidationError,
)
from schulhof.domain.model import Group, GroupKind, MemberRole, Membership, SourceLink, new_id
from schulhof.services.runtime import Services
from schulhof.services.snapshots import group_state, membership_entity_id, membership_state
from schulhof.services.views import GroupView
from schulhof.store import groups as group_store
from schulhof.store import persons as person_store
from schulhof.store import schools as school_store
from schulhof.store.database import read_connection
from schulhof.store.unit_of_work import unit_of_work


def list_groups(
    svc: Services, *, school: str | None = None, kind: GroupKind | None = None
) -> list[GroupView]:
    with read_connection(svc.engine) as conn:
        found = group_store.load_all(conn, school=school, kind=kind)
        sizes = Counter(m.group_id for m in group_store.members(conn, [g.id for g in found]))
    return [GroupView(g, sizes[g.id]) for g in found]


def get_group(svc: Services, group_id: str) -> GroupView:
    with read_connection(svc.engine) as conn:
        group = group_store.load_one(conn, group_id)
        if group is None:
            raise NotFoundError(f"no group {group_id}")
        return GroupView(group, len(group_store.members(conn, [group_id])))


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


def add_member(
    svc: Services,
    actor: Actor,
    group_id: str,
    person_id: str,
    role: MemberRole,
    *,
    homeroom_teacher: bool = False,
) -> Membership:
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        group = group_store.load_one(uow.conn, group_id)
        if group is None:
            raise NotFoundError(f"no group {group_id}")
        if not may_manage_schools(actor, {group.school_number}):
            raise PermissionDeniedError(f"not allowed to manage school {group.school_number}")
        person = person_store.load_one(uow.conn, person_id)
        if person is None:
            raise NotFoundError(f"no person {person_id}")
        if group.school_number not in person.school_numbers:
            raise ValidationError(
                f"{person.username} has no role at school {group.school_number}", field="person_id"
            )
        membership = Membership(group_id, person_id, role, homeroom_teacher)
        existing = [
            m for m in group_store.memberships_of(uow.conn, person_id) if m.group_id == group_id
        ]
        if existing:
            if existing[0] == membership:
                return membership
            group_store.update_members(uow.conn, [membership])
            op = Operation.UPDATE
        else:
            group_store.add_members(uow.conn, [membership])
            op = Operation.CREATE
        uow.record(
            EntityType.MEMBERSHIP,
            op,
            membership_entity_id(group_id, person_id),
            [group.school_number],
            membership_state(membership, group.school_number),
        )
    return membership


def remove_member(svc: Services, actor: Actor, group_id: str, person_id: str) -> None:
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        group = group_store.load_one(uow.conn, group_id)
        if group is None:
            raise NotFoundError(f"no group {group_id}")
        if not may_manage_schools(actor, {group.school_number}):
            raise PermissionDeniedError(f"not allowed to manage school {group.school_number}")
        existing = [
            m for m in group_store.memberships_of(uow.conn, person_id) if m.group_id == group_id
        ]
        if not existing:
            return
        group_store.remove_members(uow.conn, [(group_id, person_id)])
        uow.record(
            EntityType.MEMBERSHIP,
            Operation.DELETE,
            membership_entity_id(group_id, person_id),
            [group.school_number],
            membership_state(existing[0], group.school_number),
        )
