"""The live entry index: built once from a snapshot, then kept current from the change log.

`Directory` is plain data plus the rules that turn change records into entries; it does no
I/O. `follow` (at the bottom) is the loop that feeds it: every `interval` seconds it reads
the records after its cursor through the services (in a worker thread, with the numbers
new entries need) and applies them on the event loop, so a search never sees a half-applied
batch. There is no full reload while the log has the records.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from schulhof.domain.changes import ChangeRecord, EntityType, Operation
from schulhof.domain.model import Context, GroupKind, LifecycleState, Person, Role, SourceLink
from schulhof.domain.snapshot import Snapshot
from schulhof.protocols.ldap import dn as dns
from schulhof.protocols.ldap.entries import (
    Entry,
    GroupInfo,
    container_entries,
    group_entry,
    person_dn,
    person_entry,
    role_group,
    role_group_key,
    school_group,
)
from schulhof.services import changes as change_service
from schulhof.services import ldap_numbers
from schulhof.services.export import directory_snapshot
from schulhof.services.runtime import Services

log = logging.getLogger(__name__)
NO_GROUP = "role:*:none"  # the gidNumber of a person without any role


def person_from_state(state: dict[str, Any]) -> Person:
    """A Person from the change log's JSON state (services/snapshots.person_state)."""

    def date(v: str | None) -> dt.date | None:
        return dt.date.fromisoformat(v) if v else None

    return Person(
        id=state["id"],
        username=state["username"],
        given_name=state["given_name"],
        family_name=state["family_name"],
        birth_date=date(state.get("birth_date")),
        email=state.get("email"),
        state=LifecycleState(state["state"]),
        disabled_at=dt.datetime.fromisoformat(state["disabled_at"])
        if state.get("disabled_at")
        else None,
        delete_after=date(state.get("delete_after")),
        sources=tuple(SourceLink(s["system"], s["id"]) for s in state.get("sources", ())),
        contexts=tuple(
            Context(c["school"], Role(c["role"]), bool(c.get("primary")))
            for c in state.get("contexts", ())
        ),
        version=int(state.get("version", 1)),
    )


def role_keys(person: Person) -> list[str]:
    keys = []
    for c in person.contexts:
        keys += [role_group_key(c.school_number, c.role), role_group_key(None, c.role)]
    return list(dict.fromkeys(keys))


def primary_group_key(person: Person) -> str:
    if not person.contexts:
        return NO_GROUP
    c = next((c for c in person.contexts if c.primary), person.contexts[0])
    return role_group_key(c.school_number, c.role)


class Directory:
    """Entries by normalised DN, with the person/group indexes needed to keep them current."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.base_key = dns.normalize(base)
        self.entries: dict[str, Entry] = {}
        self.children: dict[str, dict[str, Entry]] = defaultdict(dict)
        self.persons: dict[str, Person] = {}
        self.groups: dict[str, GroupInfo] = {}
        self.members: dict[str, set[str]] = defaultdict(set)  # group key → person ids
        self.groups_of: dict[str, set[str]] = defaultdict(set)  # person id → group keys
        self.uid_numbers: dict[str, int] = {}
        self.gid_numbers: dict[str, int] = {}
        self.person_key: dict[str, str] = {}  # person id → entry key
        self.group_key: dict[str, str] = {}  # group key → entry key
        self.group_cn: dict[str, str] = {}  # group key → cn served
        self.cn_owner: dict[str, str] = {}  # lowercase cn → group key
        self.last_seq = 0
        for e in container_entries(base):
            self._put(e)

    # ---- reading -------------------------------------------------------------------------

    def get(self, key: str) -> Entry | None:
        return self.entries.get(key)

    def subtree(self, key: str) -> Iterator[Entry]:
        """The entry and everything below it (depth-first, parents first)."""
        top = self.entries.get(key)
        if top is None:
            return
        yield top
        stack = [key]
        while stack:
            for child_key, child in list(self.children.get(stack.pop(), {}).items()):
                yield child
                stack.append(child_key)

    def one_level(self, key: str) -> list[Entry]:
        return list(self.children.get(key, {}).values())

    def person_entry(self, person_id: str) -> Entry | None:
        key = self.person_key.get(person_id)
        return self.entries.get(key) if key else None

    def group_school(self, group_key: str) -> str | None:
        """The school of a served group; None for authority-wide ones (and unknown keys)."""
        key = self.group_key.get(group_key)
        entry = self.entries.get(key) if key else None
        return entry.school if entry else None

    # ---- building ------------------------------------------------------------------------

    def load(self, snap: Snapshot) -> None:
        for p in snap.persons.values():
            self.persons[p.id] = p
            for k in role_keys(p):
                self._add_member(k, p.id)
        for g in snap.groups.values():
            self.groups[g.id] = school_group(g.id, g.school_number, g.kind, g.name)
        for m in snap.memberships.values():
            if m.group_id in self.groups and m.person_id in self.persons:
                self._add_member(m.group_id, m.person_id)
        self.last_seq = snap.last_seq
        self._refresh(set(self.persons), set(self.groups) | set(self.members))

    def wanted_numbers(self, records: Sequence[ChangeRecord] = ()) -> tuple[set[str], set[str]]:
        """Person ids and group keys (of the index and of `records`) that need a number."""
        uids = set(self.persons)
        gids = set(self.groups) | set(self.members) | {NO_GROUP}
        for r in records:
            if r.op is Operation.DELETE:
                continue
            if r.entity is EntityType.PERSON:
                p = person_from_state(r.state)
                uids.add(p.id)
                gids.update(role_keys(p))
            elif r.entity is EntityType.CONTEXT:
                role = Role(r.state["role"])
                gids.update({role_group_key(r.state["school"], role), role_group_key(None, role)})
            elif r.entity is EntityType.GROUP:
                gids.add(r.entity_id)
        return uids - self.uid_numbers.keys(), gids - self.gid_numbers.keys()

    def apply(self, records: Iterable[ChangeRecord]) -> int:
        """Apply change records in order; returns how many were applied."""
        dirty_people: set[str] = set()
        dirty_groups: set[str] = set()
        n = 0
        for r in records:
            if r.seq <= self.last_seq:
                continue
            self._apply_one(r, dirty_people, dirty_groups)
            self.last_seq = r.seq
            n += 1
        if n:
            self._refresh(dirty_people, dirty_groups)
        return n

    def _apply_one(self, r: ChangeRecord, people: set[str], groups: set[str]) -> None:
        if r.entity is EntityType.PERSON:
            pid = r.entity_id
            old_keys = set(self.groups_of.get(pid, ()))
            if r.op is Operation.DELETE:
                self.persons.pop(pid, None)
                for k in old_keys:
                    self._remove_member(k, pid)
                groups.update(old_keys)
                people.add(pid)
                return
            person = person_from_state(r.state)
            before = self.persons.get(pid)
            self.persons[pid] = person
            old_roles = {k for k in old_keys if k.startswith("role:")}
            new_roles = set(role_keys(person))
            for k in old_roles - new_roles:
                self._remove_member(k, pid)
            for k in new_roles:
                self._add_member(k, pid)
            people.add(pid)
            if before is None or before.username != person.username:
                groups.update(old_keys | new_roles)  # the username is in member and memberUid
            else:
                groups.update(old_roles ^ new_roles)
        elif r.entity is EntityType.CONTEXT:
            # The person record that follows carries the contexts too; this keeps role groups
            # right should a writer record only the context.
            pid = r.state["person_id"]
            known = self.persons.get(pid)
            if known is None:
                return
            ctx = Context(r.state["school"], Role(r.state["role"]), bool(r.state.get("primary")))
            same = [
                c
                for c in known.contexts
                if (c.school_number, c.role) != (ctx.school_number, ctx.role)
            ]
            contexts = tuple(same) if r.op is Operation.DELETE else (*same, ctx)
            self.persons[pid] = _replace_contexts(known, contexts)
            for k in set(self.groups_of.get(pid, ())):
                if k.startswith("role:"):
                    self._remove_member(k, pid)
                    groups.add(k)
            for k in role_keys(self.persons[pid]):
                self._add_member(k, pid)
                groups.add(k)
            people.add(pid)
        elif r.entity is EntityType.GROUP:
            gid = r.entity_id
            if r.op is Operation.DELETE:
                self.groups.pop(gid, None)
                for pid in self.members.pop(gid, set()):
                    self.groups_of[pid].discard(gid)
                    people.add(pid)
                groups.add(gid)
                return
            s = r.state
            self.groups[gid] = school_group(gid, s["school"], GroupKind(s["kind"]), s["name"])
            groups.add(gid)
            people.update(self.members.get(gid, ()))
        elif r.entity is EntityType.MEMBERSHIP:
            gid, pid = r.state["group_id"], r.state["person_id"]
            if r.op is Operation.DELETE:
                self._remove_member(gid, pid)
            else:
                self._add_member(gid, pid)
            groups.add(gid)
            people.add(pid)

    def _add_member(self, group_key: str, person_id: str) -> None:
        self.members[group_key].add(person_id)
        self.groups_of[person_id].add(group_key)

    def _remove_member(self, group_key: str, person_id: str) -> None:
        members = self.members.get(group_key)
        if members is not None:
            members.discard(person_id)
            if not members:
                del self.members[group_key]
        mine = self.groups_of.get(person_id)
        if mine is not None:
            mine.discard(group_key)
            if not mine:
                del self.groups_of[person_id]

    def _info(self, key: str) -> GroupInfo | None:
        if key in self.groups:
            return self.groups[key]
        if key.startswith("role:"):
            _, school, role = key.split(":", 2)
            if role in {r.value for r in Role}:
                return role_group(None if school == "*" else school, Role(role))
        return None

    def _refresh(self, people: set[str], groups: set[str]) -> None:
        """Rebuild the entries of changed groups first (their DNs feed memberOf), then people."""
        for key in sorted(groups):
            self._drop(self.group_key.pop(key, None))
            cn = self.group_cn.pop(key, None)
            if cn is not None and self.cn_owner.get(cn.lower()) == key:
                del self.cn_owner[cn.lower()]
        for key in sorted(groups):
            info = self._info(key)
            if info is None or (info.kind == "role" and not self.members.get(key)):
                continue
            if key in self.members or info.kind != "role":
                self._put_group(key, info)
        for pid in people:
            self._drop(self.person_key.pop(pid, None))
            person = self.persons.get(pid)
            if person is not None:
                self._put_person(person)
        # A renamed person changes the member values of their groups, which are in `groups`.

    def _unique_cn(self, key: str, wanted: str) -> str:
        cn, n = wanted, 1
        while self.cn_owner.get(cn.lower(), key) != key:
            n += 1
            cn = f"{wanted}-{n}"
        self.cn_owner[cn.lower()] = key
        return cn

    def _put_group(self, key: str, info: GroupInfo) -> None:
        cn = self._unique_cn(key, info.name)
        self.group_cn[key] = cn
        members = []
        for pid in self.members.get(key, ()):
            p = self.persons.get(pid)
            if p is not None:
                members.append((pid, person_dn(p.username, self.base), p.username))
        members.sort(key=lambda m: m[2])
        entry = group_entry(
            info, cn, self.base, gid_number=self.gid_numbers.get(key, 0), members=members
        )
        self.group_key[key] = entry.key
        self._put(entry)

    def _put_person(self, person: Person) -> None:
        groups = []
        for k in self.groups_of.get(person.id, ()):
            entry_key = self.group_key.get(k)
            if entry_key is not None:
                groups.append((k, self.entries[entry_key].dn))
        groups.sort(key=lambda g: g[1].lower())
        entry = person_entry(
            person,
            self.base,
            uid_number=self.uid_numbers.get(person.id, 0),
            gid_number=self.gid_numbers.get(primary_group_key(person), 0),
            groups=groups,
        )
        self.person_key[person.id] = entry.key
        self._put(entry)

    def _put(self, entry: Entry) -> None:
        self.entries[entry.key] = entry
        self.children[dns.parent(entry.key)][entry.key] = entry

    def _drop(self, key: str | None) -> None:
        if key is None:
            return
        if self.entries.pop(key, None) is not None:
            self.children[dns.parent(key)].pop(key, None)


def _replace_contexts(person: Person, contexts: tuple[Context, ...]) -> Person:
    return Person(
        person.id, person.username, person.given_name, person.family_name, person.birth_date,
        person.email, person.state, person.disabled_at, person.delete_after, person.sources,
        contexts, person.version,
    )  # fmt: skip


def build(svc: Services, base: str) -> Directory:
    """A directory with every entry, numbers allocated (blocking: run it in a thread)."""
    snap = directory_snapshot(svc)
    d = Directory(base)
    d.uid_numbers = ldap_numbers.numbers(svc, ldap_numbers.UID)
    d.gid_numbers = ldap_numbers.numbers(svc, ldap_numbers.GID)
    uids = sorted(snap.persons)
    gids = {NO_GROUP, *snap.groups}
    for p in snap.persons.values():
        gids.update(role_keys(p))
    ldap_numbers.assign(svc, ldap_numbers.UID, uids, d.uid_numbers)
    ldap_numbers.assign(svc, ldap_numbers.GID, sorted(gids), d.gid_numbers)
    d.load(snap)
    return d


def fetch(svc: Services, d: Directory, limit: int = 5000) -> list[ChangeRecord]:
    """Records after the index's cursor, with numbers for what they bring (blocking)."""
    records = change_service.changes_after(svc, d.last_seq, limit=limit)
    if records:
        uids, gids = d.wanted_numbers(records)
        ldap_numbers.assign(svc, ldap_numbers.UID, sorted(uids), d.uid_numbers)
        ldap_numbers.assign(svc, ldap_numbers.GID, sorted(gids), d.gid_numbers)
    return records


async def follow(svc: Services, d: Directory, interval: float = 0.5) -> None:
    """Keep `d` current until cancelled. A failed poll is logged and retried."""
    while True:
        try:
            while True:
                records = await asyncio.to_thread(fetch, svc, d)
                if not records:
                    break
                d.apply(records)
        except Exception:  # a database hiccup must not stop the LDAP server
            log.exception("ldap: following the change log failed; retrying")
        await asyncio.sleep(interval)
