"""Loading the whole directory in a handful of bulk queries (no per-person round trips)."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections import defaultdict
from typing import Any

import sqlalchemy as sa

from schulhof.domain.model import (
    Context,
    Group,
    GroupKind,
    LifecycleState,
    MemberRole,
    Membership,
    Person,
    Role,
    School,
    SchoolType,
    SourceLink,
)
from schulhof.domain.snapshot import PendingReview, Snapshot
from schulhof.store import changelog
from schulhof.store.tables import (
    contexts,
    group_sources,
    groups,
    memberships,
    person_sources,
    persons,
    retired_usernames,
    review_items,
    review_rejections,
    school_sources,
    schools,
)


def _aware(value: dt.datetime | None) -> dt.datetime | None:
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def _school_type(raw: str) -> SchoolType:
    try:
        return SchoolType(raw)
    except ValueError:
        return SchoolType.OTHER


def load_snapshot(conn: sa.Connection, now: dt.datetime) -> Snapshot:
    snap = Snapshot()
    number_by_id: dict[uuid.UUID, str] = {}
    school_links: dict[uuid.UUID, list[SourceLink]] = defaultdict(list)
    for r in conn.execute(sa.select(school_sources)):
        school_links[r.school_id].append(SourceLink(r.system, r.source_id))
    for r in conn.execute(sa.select(schools)):
        number_by_id[r.id] = r.number
        snap.schools[r.number] = School(
            r.id, r.number, r.name, _school_type(r.type), tuple(school_links[r.id])
        )
        for link in school_links[r.id]:
            snap.school_by_source[(link.system, link.source_id)] = r.number

    links: dict[uuid.UUID, list[SourceLink]] = defaultdict(list)
    for r in conn.execute(
        sa.select(person_sources.c.system, person_sources.c.source_id, person_sources.c.person_id)
    ):
        links[r.person_id].append(SourceLink(r.system, r.source_id))
        snap.person_by_source[(r.system, r.source_id)] = r.person_id
    ctx: dict[uuid.UUID, list[Context]] = defaultdict(list)
    roles = {r.value: r for r in Role}
    for r in conn.execute(
        sa.select(
            contexts.c.person_id, contexts.c.school_id, contexts.c.role, contexts.c.is_primary
        )
    ):
        ctx[r.person_id].append(Context(number_by_id[r.school_id], roles[r.role], r.is_primary))
    states = {s.value: s for s in LifecycleState}
    cols = [
        persons.c.id,
        persons.c.username,
        persons.c.given_name,
        persons.c.family_name,
        persons.c.birth_date,
        persons.c.email,
        persons.c.state,
        persons.c.disabled_at,
        persons.c.delete_after,
        persons.c.version,
    ]
    for r in conn.execute(sa.select(*cols)):
        mine = ctx.get(r.id, [])
        mine.sort(key=lambda c: (not c.primary, c.school_number, c.role))
        snap.persons[r.id] = Person(
            r.id,
            r.username,
            r.given_name,
            r.family_name,
            r.birth_date,
            r.email,
            states[r.state],
            _aware(r.disabled_at),
            r.delete_after,
            tuple(links.get(r.id, ())),
            tuple(mine),
            r.version,
        )
        snap.taken_usernames.add(r.username)
    snap.taken_usernames.update(
        conn.execute(
            sa.select(retired_usernames.c.username).where(retired_usernames.c.free_after > now)
        ).scalars()
    )

    group_links: dict[uuid.UUID, list[SourceLink]] = defaultdict(list)
    for r in conn.execute(sa.select(group_sources)):
        group_links[r.group_id].append(SourceLink(r.system, r.source_id))
        snap.group_by_source[(r.system, r.source_id)] = r.group_id
    kinds = {k.value: k for k in GroupKind}
    for r in conn.execute(sa.select(groups.c.id, groups.c.school_id, groups.c.kind, groups.c.name)):
        snap.groups[r.id] = Group(
            r.id, number_by_id[r.school_id], kinds[r.kind], r.name, tuple(group_links.get(r.id, ()))
        )
    member_roles = {m.value: m for m in MemberRole}
    for r in conn.execute(sa.select(memberships)):
        snap.memberships[(r.group_id, r.person_id)] = Membership(
            r.group_id, r.person_id, member_roles[r.role], r.homeroom_teacher
        )

    for r in conn.execute(
        sa.select(review_items.c.id, review_items.c.record_key, review_items.c.candidates).where(
            review_items.c.status == "pending"
        )
    ):
        ids: list[Any] = json.loads(r.candidates)
        snap.pending_reviews[r.record_key] = PendingReview(r.id, tuple(uuid.UUID(i) for i in ids))
    for r in conn.execute(sa.select(review_rejections)):
        snap.rejections.add((r.record_key, r.person_id))
    snap.last_seq = changelog.last_seq(conn)
    return snap
