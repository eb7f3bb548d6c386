"""Loading the whole directory in a handful of bulk queries (no per-person round trips)."""

from __future__ import annotations

import datetime as dt
import json
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
    SourceLink,
)
from schulhof.domain.snapshot import PendingReview, Snapshot
from schulhof.store import changelog
from schulhof.store.schools import school_type
from schulhof.store.tables import (
    group_sources,
    groups,
    retired_usernames,
    review_items,
    review_rejections,
    school_sources,
    schools,
)
from schulhof.store.timestamps import aware


def _fetch(conn: sa.Connection, sql: str) -> list[Any]:
    """All rows through the driver's own cursor, inside the connection's transaction."""
    raw = conn.connection.dbapi_connection
    assert raw is not None
    cur = raw.cursor()
    try:
        cur.execute(sql)
        return list(cur.fetchall())
    finally:
        cur.close()


def load_snapshot(conn: sa.Connection, now: dt.datetime) -> Snapshot:
    snap = Snapshot()
    number_by_id: dict[str, str] = {}
    school_links: dict[str, list[SourceLink]] = defaultdict(list)
    for r in conn.execute(sa.select(school_sources)):
        school_links[r.school_id].append(SourceLink(r.system, r.source_id))
    for r in conn.execute(sa.select(schools)):
        number_by_id[r.id] = r.number
        snap.schools[r.number] = School(
            r.id, r.number, r.name, school_type(r.type), tuple(school_links[r.id])
        )
        for link in school_links[r.id]:
            snap.school_by_source[(link.system, link.source_id)] = r.number

    # The hot tables are read with plain driver SQL: no per-value type processing, and
    # identical contexts share one object (a city has ~1,000 distinct ones for 52k people).
    sqlite = conn.dialect.name == "sqlite"
    links: dict[str, list[SourceLink]] = defaultdict(list)
    by_source = snap.person_by_source
    for system, source_id, person_id in _fetch(
        conn, "SELECT system, source_id, person_id FROM person_sources"
    ):
        links[person_id].append(SourceLink(system, source_id))
        by_source[(system, source_id)] = person_id
    ctx: dict[str, list[Context]] = defaultdict(list)
    shared: dict[tuple[str, str, bool], Context] = {}
    roles = {r.value: r for r in Role}
    for person_id, school_id, role, is_primary in _fetch(
        conn, "SELECT person_id, school_id, role, is_primary FROM contexts"
    ):
        key = (school_id, role, bool(is_primary))
        c = shared.get(key)
        if c is None:
            c = shared[key] = Context(number_by_id[school_id], roles[role], bool(is_primary))
        ctx[person_id].append(c)
    states = {s.value: s for s in LifecycleState}
    no_links: tuple[SourceLink, ...] = ()
    for (
        pid,
        username,
        given,
        family,
        birth,
        email,
        state,
        disabled_at,
        delete_after,
        version,
    ) in _fetch(
        conn,
        "SELECT id, username, given_name, family_name, birth_date, email, state, "
        "disabled_at, delete_after, version FROM persons",
    ):
        mine = ctx.get(pid)
        if mine is None:
            mine_t: tuple[Context, ...] = ()
        else:
            if len(mine) > 1:
                mine.sort(key=lambda c: (not c.primary, c.school_number, c.role))
            mine_t = tuple(mine)
        if sqlite:
            birth = dt.date.fromisoformat(birth) if birth else None
            delete_after = dt.date.fromisoformat(delete_after) if delete_after else None
            disabled_at = dt.datetime.fromisoformat(disabled_at) if disabled_at else None
        snap.persons[pid] = Person(
            pid,
            username,
            given,
            family,
            birth,
            email,
            states[state],
            aware(disabled_at),
            delete_after,
            tuple(links[pid]) if pid in links else no_links,
            mine_t,
            version,
        )
    snap.taken_usernames.update(p.username for p in snap.persons.values())
    snap.taken_usernames.update(
        conn.execute(
            sa.select(retired_usernames.c.username).where(retired_usernames.c.free_after > now)
        ).scalars()
    )

    group_links: dict[str, list[SourceLink]] = defaultdict(list)
    for r in conn.execute(sa.select(group_sources)):
        group_links[r.group_id].append(SourceLink(r.system, r.source_id))
        snap.group_by_source[(r.system, r.source_id)] = r.group_id
    kinds = {k.value: k for k in GroupKind}
    for r in conn.execute(sa.select(groups.c.id, groups.c.school_id, groups.c.kind, groups.c.name)):
        snap.groups[r.id] = Group(
            r.id, number_by_id[r.school_id], kinds[r.kind], r.name, tuple(group_links.get(r.id, ()))
        )
    member_roles = {m.value: m for m in MemberRole}
    members = snap.memberships
    for group_id, person_id, role, homeroom in _fetch(
        conn, "SELECT group_id, person_id, role, homeroom_teacher FROM memberships"
    ):
        members[(group_id, person_id)] = Membership(
            group_id, person_id, member_roles[role], bool(homeroom)
        )

    for r in conn.execute(
        sa.select(review_items.c.id, review_items.c.record_key, review_items.c.candidates).where(
            review_items.c.status == "pending"
        )
    ):
        ids: list[Any] = json.loads(r.candidates)
        snap.pending_reviews[r.record_key] = PendingReview(r.id, tuple(str(i) for i in ids))
    for r in conn.execute(sa.select(review_rejections)):
        snap.rejections.add((r.record_key, r.person_id))
    snap.last_seq = changelog.last_seq(conn)
    return snap
