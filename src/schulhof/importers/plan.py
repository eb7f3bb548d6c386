"""Planning an import: a feed against a snapshot of the directory → a batch and its report.

Pure: no I/O, no clock (the caller passes `now`). The same plan serves `--dry-run`, the
guard and the real run. Order of the steps matters:

1. schools, so every later step can name a school by number;
2. groups, so memberships can name a group by id;
3. matching every person record to a directory person (link → exact name → review → new);
4. each matched or new person's desired state (names, contexts, sources, lifecycle);
5. people the full feed no longer lists lose the contexts it covers;
6. memberships of the feed's groups, then memberships at schools a person has left;
7. the report, classifying each person once (created, moved, disabled, enabled, updated).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from schulhof.domain import lifecycle, usernames
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
    new_id,
)
from schulhof.domain.snapshot import Snapshot
from schulhof.domain.transliteration import fold
from schulhof.importers.matching import ExactKey, PersonIndex, exact_key, folded_key
from schulhof.importers.records import (
    Feed,
    FeedMode,
    PersonRecord,
    RecordStatus,
    SourceKey,
)
from schulhof.importers.report import Change, HeldRecord, ImportPlan, NewAccount
from schulhof.services.batch import Batch, ReviewDraft
from schulhof.services.settings import Settings

_MEMBER_CONTEXT_ROLES = {
    MemberRole.STUDENT: (Role.STUDENT,),
    MemberRole.TEACHER: (Role.TEACHER, Role.STAFF, Role.SCHOOL_ADMIN),
}


def key_text(key: SourceKey) -> str:
    return f"{key.system}/{key.source_id}"


def record_key(rec: PersonRecord) -> SourceKey:
    key = rec.key or rec.local_key
    if key is None:  # readers always give one of the two
        raise ValueError(f"{rec.origin.file}:{rec.origin.line}: record without a key")
    return key


def _lossy_variant(new: str, old: str) -> bool:
    """`new` is `old` as a Windows-1252 program had to write it (`Lukasz` for `Łukasz`)."""
    if new == old or fold(new) != fold(old):
        return False
    try:
        new.encode("cp1252")
    except UnicodeEncodeError:
        return False
    try:
        old.encode("cp1252")
    except UnicodeEncodeError:
        return True
    return False


@dataclass(slots=True)
class _Desired:
    records: list[PersonRecord]
    leaving: bool = False  # a delta's tobedeleted row


class Planner:
    def __init__(
        self,
        feed: Feed,
        snap: Snapshot,
        now: dt.datetime,
        settings: Settings,
        *,
        allow_removals: bool = True,
    ) -> None:
        self.feed, self.snap, self.now, self.settings = feed, snap, now, settings
        self.allow_removals = allow_removals
        self.plan = ImportPlan(feed.source, feed.mode.value)
        self.batch = Batch()
        self.school_numbers: set[str] = set(snap.schools)
        self.group_by_key: dict[SourceKey, str] = {}
        self.groups_after: dict[str, Group] = {}
        self.feed_groups: set[str] = set()
        self.deleted_groups: set[str] = set()
        self.pid_by_key: dict[SourceKey, str] = {}
        self.wanted: dict[str, _Desired] = {}
        self.new_ids: set[str] = set()
        self.protected: set[str] = set()
        self.after: dict[str, Person] = {}
        self.member_changes: dict[str, list[str]] = defaultdict(list)
        self.delta_schools = self._delta_schools()
        self.records = [_with_key(r, feed.source) for r in feed.persons]
        self._school_sets: dict[str, frozenset[str]] = {}
        self._claimed_as_student: set[str] = set()
        self._bases: dict[tuple[str, str, str, dt.date | None], str] = {}
        self._contexts: dict[tuple[str, Role], tuple[Context, ...]] = {}

    # -- coverage ---------------------------------------------------------------------
    def _delta_schools(self) -> set[str]:
        """Schools a delta speaks for: those of its source system (all OneRoster orgs)."""
        found = {r.number for r in self.feed.schools}
        found.update(
            nr
            for (system, _), nr in self.snap.school_by_source.items()
            if system == self.feed.source
        )
        return found

    def covered(self, school: str, role: Role) -> bool:
        """Does this feed speak for `role` at `school` (so absence means: not there)?"""
        if role is Role.SCHOOL_ADMIN:
            return False  # admin rights are given in Schulhof, never by a feed
        if self.feed.mode is FeedMode.DELTA:
            return school in self.delta_schools
        if school not in self.feed.scope:
            return False
        roles = self.feed.coverage.get(school)
        return roles is None or role in roles

    @staticmethod
    def _own_id(entities: dict[str, Person] | dict[str, Group], key: SourceKey) -> str | None:
        """A source id that is our own id (a file we exported comes back): that entity,
        unless it is already linked to another id of the same system."""
        entity = entities.get(key.source_id)
        if entity is None or any(s.system == key.system for s in entity.sources):
            return None
        return key.source_id

    # -- 1. schools -------------------------------------------------------------------
    def plan_schools(self) -> None:
        for rec in self.feed.schools:
            if rec.status is RecordStatus.TO_BE_DELETED:
                self.plan.notes.append(
                    f"school {rec.number} marked for deletion: ignored "
                    "(schools are closed by the authority, not by a feed)"
                )
                continue
            link = SourceLink(rec.key.system, rec.key.source_id)
            number = self.snap.school_by_source.get((link.system, link.source_id), rec.number)
            existing = self.snap.schools.get(number)
            if existing is None:
                school = School(
                    new_id(), rec.number, rec.name or f"Schule {rec.number}", rec.type, (link,)
                )
                self.batch.new_schools.append(school)
                self.school_numbers.add(school.number)
                self.plan.schools_created.append(f"{school.number} {school.name}")
                continue
            name = rec.name or existing.name
            kind = existing.type if rec.type is SchoolType.OTHER else rec.type
            sources = existing.sources if link in existing.sources else (*existing.sources, link)
            after = dataclasses.replace(existing, name=name, type=kind, sources=sources)
            if after != existing:
                self.batch.changed_schools.append(after)

    # -- 2. groups --------------------------------------------------------------------
    def plan_groups(self) -> None:
        names_in_use: dict[tuple[str, GroupKind, str], str] = {
            (g.school_number, g.kind, g.name): g.id for g in self.snap.groups.values()
        }
        systems = {rec.key.system for rec in self.feed.groups}
        for rec in self.feed.groups:
            link = SourceLink(rec.key.system, rec.key.source_id)
            gid = self.snap.group_by_source.get((link.system, link.source_id))
            if gid is None:
                gid = self._own_id(self.snap.groups, rec.key)
            if rec.status is RecordStatus.TO_BE_DELETED:
                if gid is not None and self.allow_removals:
                    self.deleted_groups.add(gid)
                continue
            if rec.school_number not in self.school_numbers:
                self.plan.notes.append(
                    f"{rec.origin.file}:{rec.origin.line}: group {rec.name} "
                    f"of unknown school {rec.school_number} skipped"
                )
                continue
            if gid is not None:
                before = self.snap.groups[gid]
                after = before
                if link not in before.sources:  # found by our own id: remember the link
                    after = dataclasses.replace(after, sources=(*before.sources, link))
                if before.name != rec.name:
                    name = self._free_name(
                        names_in_use, rec.school_number, before.kind, rec.name, gid
                    )
                    after = dataclasses.replace(after, name=name)
                    self.plan.groups_renamed.append(
                        f"{before.school_number}: {before.name} → {name}"
                    )
                    names_in_use[(after.school_number, after.kind, name)] = gid
                if after is not before:
                    self.batch.renamed_groups.append((before, after))
                self.groups_after[gid] = after
            else:
                adopt = names_in_use.get((rec.school_number, rec.kind, rec.name))
                if adopt is None and rec.kind is GroupKind.COURSE:
                    # OneRoster knows no workgroups: a "scheduled" class may be one of ours.
                    adopt = names_in_use.get((rec.school_number, GroupKind.WORKGROUP, rec.name))
                if (
                    adopt is not None
                    and adopt in self.snap.groups
                    and adopt not in self.feed_groups
                    and not any(s.system in systems for s in self.snap.groups[adopt].sources)
                ):
                    # A group made by hand with the same name: the feed takes it over.
                    before = self.snap.groups[adopt]
                    after = dataclasses.replace(before, sources=(*before.sources, link))
                    self.batch.renamed_groups.append((before, after))
                    gid = adopt
                    self.groups_after[gid] = after
                else:
                    name = self._free_name(
                        names_in_use, rec.school_number, rec.kind, rec.name, None
                    )
                    group = Group(new_id(), rec.school_number, rec.kind, name, (link,))
                    self.batch.new_groups.append(group)
                    self.plan.groups_created.append(f"{group.school_number}: {group.name}")
                    names_in_use[(group.school_number, group.kind, name)] = group.id
                    gid = group.id
                    self.groups_after[gid] = group
            self.group_by_key[rec.key] = gid
            self.feed_groups.add(gid)
        if self.feed.mode is FeedMode.FULL and self.allow_removals:
            for g in self.snap.groups.values():
                if g.id in self.feed_groups or not self.covered(g.school_number, Role.STUDENT):
                    continue
                if any(
                    s.system in systems or s.system == f"sis:{g.school_number}" for s in g.sources
                ):
                    self.deleted_groups.add(g.id)
        for gid in sorted(self.deleted_groups):
            g = self.snap.groups[gid]
            self.batch.deleted_groups.append(g)
            self.plan.groups_deleted.append(f"{g.school_number}: {g.name}")

    @staticmethod
    def _free_name(
        in_use: dict[tuple[str, GroupKind, str], str],
        school: str,
        kind: GroupKind,
        name: str,
        own: str | None,
    ) -> str:
        candidate, n = name, 1
        while in_use.get((school, kind, candidate), own) != own:
            n += 1
            candidate = f"{name} ({n})"
        return candidate

    # -- 3. matching ------------------------------------------------------------------
    def match(self) -> None:
        records = self.records
        assigned: list[str | None] = [None] * len(records)
        claimed_systems: dict[str, set[str]] = defaultdict(set)
        for i, rec in enumerate(records):
            for key in (rec.key, rec.local_key):
                if key is not None and assigned[i] is None:
                    assigned[i] = self.snap.person_by_source.get((key.system, key.source_id))
            if assigned[i] is None and rec.key is not None:
                assigned[i] = self._own_id(self.snap.persons, rec.key)
            pid = assigned[i]
            if pid is not None and rec.key is None and not self._plausible(rec, pid):
                # A school-local number given to someone else (offices reuse them): this
                # is not the person who had it. Match by name and birth date instead.
                self.plan.notes.append(
                    f"{rec.origin.file}:{rec.origin.line}: number {record_key(rec).source_id} "
                    f"belonged to {self.snap.persons[pid].username}, whose name and birth "
                    "date differ: treated as another person"
                )
                assigned[i] = pid = None
            if pid is not None:
                claimed_systems[pid].add(record_key(rec).system)
                if _is_student(rec):
                    self._claimed_as_student.add(pid)
        index: PersonIndex | None = None
        new_by_exact: dict[ExactKey, tuple[str, set[str], bool]] = {}
        for i, rec in enumerate(records):
            if assigned[i] is not None or rec.status is RecordStatus.TO_BE_DELETED:
                continue
            key = record_key(rec)
            if self.snap.persons:
                if index is None:
                    index = PersonIndex(self.snap.persons.values())
                if self._match_existing(rec, key, index, claimed_systems, assigned, i):
                    continue
            ek = exact_key(rec.given_name, rec.family_name, rec.birth_date)
            twin = new_by_exact.get(ek) if rec.birth_date is not None else None
            if twin is not None and key.system not in twin[1]:
                if twin[2] and _is_student(rec):
                    # Two pupils of the same name and birthday at two schools: a child
                    # attends one school, so these are two children. Never merged.
                    self.plan.notes.append(
                        f"{rec.origin.file}:{rec.origin.line}: {rec.given_name} "
                        f"{rec.family_name}, born {rec.birth_date}, is a pupil at another "
                        "school too: two accounts made"
                    )
                else:
                    assigned[i] = twin[0]  # staff working at two schools: one person
                    twin[1].add(key.system)
                    continue
            pid = new_id()
            self.new_ids.add(pid)
            new_by_exact[ek] = (pid, {key.system}, _is_student(rec))
            assigned[i] = pid
            if _is_student(rec):
                self._claimed_as_student.add(pid)
        for i, rec in enumerate(records):
            pid = assigned[i]
            if pid is None:
                continue
            for key in (rec.key, rec.local_key):
                if key is not None:
                    self.pid_by_key[key] = pid
            desired = self.wanted.setdefault(pid, _Desired([]))
            if rec.status is RecordStatus.TO_BE_DELETED:
                desired.leaving = True
            else:
                desired.records.append(rec)

    def _plausible(self, rec: PersonRecord, pid: str) -> bool:
        """Is the holder of a school-local number plausibly this record's person? A name
        change keeps the birth date, a corrected birth date keeps the name."""
        p = self.snap.persons[pid]
        if rec.birth_date is None or p.birth_date is None or rec.birth_date == p.birth_date:
            return True
        a = exact_key(rec.given_name, rec.family_name, None)
        b = exact_key(p.given_name, p.family_name, None)
        return a == b or folded_key(*a) == folded_key(*b)

    def _match_existing(
        self,
        rec: PersonRecord,
        key: SourceKey,
        index: PersonIndex,
        claimed_systems: dict[str, set[str]],
        assigned: list[str | None],
        i: int,
    ) -> bool:
        """Exact match → assigned; near or ambiguous → review. True if the record is handled."""
        text = key_text(key)
        exact = [
            pid
            for pid in index.exact_matches(rec.given_name, rec.family_name, rec.birth_date)
            if (text, pid) not in self.snap.rejections and key.system not in claimed_systems[pid]
        ]
        if len(exact) == 1 and _is_student(rec) and exact[0] in self._claimed_as_student:
            # The person is still a pupil at another school in this same feed.
            self._review(
                rec, exact, "same name and birth date as a pupil still listed at another school"
            )
            return True
        if len(exact) == 1:
            assigned[i] = exact[0]
            claimed_systems[exact[0]].add(key.system)
            if _is_student(rec):
                self._claimed_as_student.add(exact[0])
            return True
        if len(exact) > 1:
            self._review(rec, exact, "several people with this name and birth date")
            return True
        near = [
            pid
            for pid in index.near_matches(rec.given_name, rec.family_name, rec.birth_date)
            if (text, pid) not in self.snap.rejections
        ]
        if near:
            self._review(rec, near, "similar name or birth date: same person?")
            return True
        return False

    def _review(self, rec: PersonRecord, candidates: list[str], reason: str) -> None:
        key = record_key(rec)
        self.protected.update(candidates)
        names = tuple(self.snap.persons[c].username for c in candidates)
        self.plan.review.append(
            HeldRecord(
                rec.origin.file,
                rec.origin.line,
                f"{rec.given_name} {rec.family_name}",
                reason,
                names,
            )
        )
        self.batch.reviews.append(
            ReviewDraft(
                key_text(key), _record_json(rec, self.feed.source), tuple(candidates), reason
            )
        )

    # -- 4. desired state of listed people ---------------------------------------------
    def plan_people(self) -> None:
        for pid, desired in self.wanted.items():
            if pid in self.new_ids:
                self._new_person(pid, desired.records)
            else:
                self._changed_person(self.snap.persons[pid], desired)

    def _roles(self, records: Iterable[PersonRecord]) -> list[tuple[str, Role]]:
        found: dict[tuple[str, Role], None] = {}
        for rec in records:
            for nr, role in rec.roles:
                if nr in self.school_numbers:
                    found[(nr, role)] = None
        return list(found)

    def _new_person(self, pid: str, records: list[PersonRecord]) -> None:
        first = records[0]
        pairs = self._roles(records)
        if len(pairs) == 1:  # the usual case, with shared Context objects
            nr, role_ = pairs[0]
            key = (nr, role_)
            shared = self._contexts.get(key)
            if shared is None:
                shared = self._contexts[key] = (Context(nr, role_, True),)
            contexts = shared
        else:
            primary_school = next((r.primary_school for r in records if r.primary_school), None)
            contexts = _contexts(pairs, primary_school, keep=None)
        role = contexts[0].role if contexts else None
        username = self._username(first, role)
        sources = tuple(
            dict.fromkeys(
                SourceLink(k.system, k.source_id)
                for r in records
                for k in (r.key, r.local_key)
                if k is not None
            )
        )
        person = Person(
            pid,
            username,
            first.given_name,
            first.family_name,
            first.birth_date,
            first.email,
            sources=sources,
            contexts=contexts,
        )
        if not contexts:
            person = dataclasses.replace(
                person,
                state=LifecycleState.DISABLED,
                disabled_at=self.now,
                delete_after=self.now.date(),
            )
        self.after[pid] = person

    def _username(self, rec: PersonRecord, role: Role | None) -> str:
        taken = self.snap.taken_usernames
        wanted = rec.username.strip().lower() if rec.username else None
        if (
            self.settings.keep_source_usernames
            and wanted
            and usernames.is_valid_username(wanted)
            and wanted not in taken
        ):
            taken.add(wanted)
            return wanted
        template = self.settings.template_for(role)
        # Names repeat a lot in a city; the base depends on the birth date only if the
        # template uses it.
        uses_birth = "{birth" in template or "{yy" in template
        key = (rec.given_name, rec.family_name, template, rec.birth_date if uses_birth else None)
        base = self._bases.get(key)
        if base is None:
            base = self._bases[key] = usernames.base_username(
                rec.given_name, rec.family_name, template=template, birth_date=rec.birth_date
            )
        name = usernames.pick_username(base, taken.__contains__)
        taken.add(name)
        return name

    def _changed_person(self, before: Person, desired: _Desired) -> None:
        records = desired.records
        pairs = self._roles(records)
        if not self.allow_removals and not desired.leaving:
            kept = list(before.contexts)
        else:
            kept = [c for c in before.contexts if not self.covered(c.school_number, c.role)]
        if len(kept) + len(pairs) == len(before.contexts) and {
            (c.school_number, c.role) for c in before.contexts if c not in kept
        } == set(pairs):
            contexts = before.contexts  # the usual case: the feed says what we know
        else:
            primary_school = next((r.primary_school for r in records if r.primary_school), None)
            contexts = _contexts(pairs, primary_school, keep=kept)
        username, given, family = before.username, before.given_name, before.family_name
        birth, email = before.birth_date, before.email
        if records:
            first = records[0]
            given = _name(first.given_name, given)
            family = _name(first.family_name, family)
            birth = first.birth_date or birth
            email = first.email if first.email is not None else email
            wanted = first.username.lower() if first.username else None
            if (
                self.settings.keep_source_usernames
                and wanted
                and wanted != username
                and usernames.is_valid_username(wanted)
                and wanted not in self.snap.taken_usernames
            ):
                self.snap.taken_usernames.add(wanted)
                username = wanted
        after = Person(
            before.id,
            username,
            given,
            family,
            birth,
            email,
            before.state,
            before.disabled_at,
            before.delete_after,
            self._sources(before, records, contexts),
            contexts,
            before.version,
        )
        self.after[before.id] = before if after == before else self._lifecycle(before, after)

    def _sources(
        self, before: Person, records: list[PersonRecord], contexts: tuple[Context, ...]
    ) -> tuple[SourceLink, ...]:
        keys = [k for r in records for k in (r.key, r.local_key) if k is not None]
        if (
            contexts is before.contexts
            and all(SourceLink(k.system, k.source_id) in before.sources for k in keys)
            and not any(
                s.system.startswith("sis:")
                and s.system in {k.system for k in keys}
                and SourceKey(s.system, s.source_id) not in keys
                for s in before.sources
            )
        ):
            return before.sources
        local_systems = {r.local_key.system for r in records if r.local_key is not None}
        schools_after = {c.school_number for c in contexts}
        links: list[SourceLink] = []
        for s in before.sources:
            if s.system.startswith("sis:"):
                school = s.system[4:]
                if school not in schools_after:
                    continue  # a school-local number means nothing once the person has left
                if s.system in local_systems and SourceKey(s.system, s.source_id) not in keys:
                    continue  # the school gave the student a new number
            links.append(s)
        for k in keys:
            link = SourceLink(k.system, k.source_id)
            if link not in links:
                links.append(link)
        return tuple(links)

    def _lifecycle(self, before: Person, after: Person) -> Person:
        if not after.contexts and after.state is LifecycleState.ACTIVE:
            return dataclasses.replace(
                after,
                state=LifecycleState.DISABLED,
                disabled_at=self.now,
                delete_after=lifecycle.delete_after(
                    self.now, set(before.roles), self.settings.grace
                ),
            )
        if after.contexts and not before.contexts and before.state is LifecycleState.DISABLED:
            # Disabled for having left; back within the grace period: the same account.
            return dataclasses.replace(
                after, state=LifecycleState.ACTIVE, disabled_at=None, delete_after=None
            )
        return after

    # -- 5. people the full feed no longer lists ------------------------------------------
    def plan_missing(self) -> None:
        if self.feed.mode is not FeedMode.FULL or not self.allow_removals:
            return
        for person in self.snap.persons.values():
            if person.id in self.wanted or person.id in self.protected:
                continue
            gone = [c for c in person.contexts if self.covered(c.school_number, c.role)]
            if not gone:
                continue
            rest = tuple(c for c in person.contexts if c not in gone)
            if rest and not any(c.primary for c in rest):
                rest = (dataclasses.replace(rest[0], primary=True), *rest[1:])
            after = dataclasses.replace(person, contexts=rest)
            after = dataclasses.replace(after, sources=self._sources(person, [], rest))
            self.after[person.id] = self._lifecycle(person, after)

    # -- 6. memberships -------------------------------------------------------------------
    def plan_memberships(self) -> None:
        desired: dict[tuple[str, str], Membership] = {}
        removed: list[tuple[str, str]] = []
        skipped = 0
        school_of = {gid: g.school_number for gid, g in self.snap.groups.items()}
        school_of.update((gid, g.school_number) for gid, g in self.groups_after.items())
        group_by_key, pid_by_key = self.group_by_key, self.pid_by_key
        deleted, current_members = self.deleted_groups, self.snap.memberships
        has_context_at = self._has_context_at
        for rec in self.feed.memberships:
            gid = group_by_key.get(rec.group)
            if gid is None:
                gid = self.snap.group_by_source.get((rec.group.system, rec.group.source_id))
            pid = pid_by_key.get(rec.person)
            if pid is None:
                pid = self.snap.person_by_source.get((rec.person.system, rec.person.source_id))
            if gid is None or pid is None or gid in deleted:
                continue  # unresolved people are in review; unknown groups were reported
            if rec.status is RecordStatus.TO_BE_DELETED:
                if (gid, pid) in current_members:
                    removed.append((gid, pid))
                continue
            if not has_context_at(pid, school_of[gid]):
                skipped += 1
                continue
            desired[(gid, pid)] = Membership(gid, pid, rec.role, rec.homeroom_teacher)
        if skipped:
            self.plan.notes.append(
                f"{skipped} memberships skipped: the person has no role at the group's school"
            )
        current_in_feed_groups: list[tuple[str, str]] = []
        left_school: dict[str, set[str]] = {}
        for pid, after in self.after.items():
            before = self.snap.persons.get(pid)
            if before is not None and before is not after and before.contexts != after.contexts:
                lost = {c.school_number for c in before.contexts} - {
                    c.school_number for c in after.contexts
                }
                if lost:
                    left_school[pid] = lost
        for (gid, pid), m in self.snap.memberships.items():
            if gid in self.deleted_groups:
                self._remove(m)
                continue
            left = left_school.get(pid)
            if left and school_of[gid] in left:
                self._remove(m)
                desired.pop((gid, pid), None)
                continue
            if gid in self.feed_groups and self.feed.mode is FeedMode.FULL:
                current_in_feed_groups.append((gid, pid))
        if self.allow_removals:
            for gid, pid in current_in_feed_groups:
                if (gid, pid) in desired or pid in self.protected:
                    continue
                m = self.snap.memberships[(gid, pid)]
                school = self._group(gid).school_number
                if any(self.covered(school, r) for r in _MEMBER_CONTEXT_ROLES[m.role]):
                    self._remove(m)
        for gid, pid in removed:
            if self.allow_removals:
                self._remove(self.snap.memberships[(gid, pid)])
        new_ids = self.new_ids
        for key, m in desired.items():
            current = current_members.get(key)
            if current is None:
                self.batch.added_members.append(m)
                if m.person_id not in new_ids:  # a new person's classes are in `created`
                    self._note_member(m, "+")
            elif current != m:
                self.batch.changed_members.append(m)
                self.plan.memberships_changed += 1
                self.member_changes[m.person_id].append(f"~{self._group(m.group_id).name}")
        self.plan.memberships_added = len(self.batch.added_members)
        self.plan.memberships_removed = len(self.batch.removed_members)

    def _group(self, gid: str) -> Group:
        return self.groups_after.get(gid) or self.snap.groups[gid]

    def _has_context_at(self, pid: str, school: str) -> bool:
        found = self._school_sets.get(pid)
        if found is None:
            person = self.after.get(pid) or self.snap.persons.get(pid)
            found = frozenset(c.school_number for c in person.contexts) if person else frozenset()
            self._school_sets[pid] = found
        return school in found

    def _remove(self, m: Membership) -> None:
        self.batch.removed_members.append(m)
        self._note_member(m, "-")

    def _note_member(self, m: Membership, sign: str) -> None:
        g = self._group(m.group_id)
        if g.kind is GroupKind.CLASS:
            self.member_changes[m.person_id].append(f"{sign}{g.name}")

    # -- 7. report ------------------------------------------------------------------------
    def classify(self) -> None:
        classes: dict[str, list[str]] = defaultdict(list)
        for m in self.batch.added_members:
            g = self._group(m.group_id)
            if g.kind is GroupKind.CLASS:
                classes[m.person_id].append(g.name)
        seen: set[str] = set()
        for pid, after in self.after.items():
            seen.add(pid)
            before = self.snap.persons.get(pid)
            if before is None:
                self.batch.new_persons.append(after)
                primary = after.contexts[0] if after.contexts else None
                self.plan.created.append(
                    NewAccount(
                        after.username,
                        after.given_name,
                        after.family_name,
                        primary.school_number if primary else "",
                        tuple(classes[pid]),
                        primary.role.value if primary else "",
                    )
                )
                continue
            if after == before:
                if self.member_changes.get(pid):
                    self.plan.updated.append(
                        Change(before.username, "classes: " + " ".join(self.member_changes[pid]))
                    )
                else:
                    self.plan.unchanged += 1
                continue
            after = dataclasses.replace(after, version=before.version + 1)
            self.batch.changed_persons.append((before, after))
            self._describe(before, after)
        for pid, changes in self.member_changes.items():
            if pid not in seen and pid in self.snap.persons:
                self.plan.updated.append(
                    Change(self.snap.persons[pid].username, "classes: " + " ".join(changes))
                )

    def _describe(self, before: Person, after: Person) -> None:
        name = before.username
        if before.state is LifecycleState.ACTIVE and after.state is not LifecycleState.ACTIVE:
            left = ", ".join(before.school_numbers)
            self.plan.disabled.append(
                Change(name, f"left {left}; delete after {after.delete_after}")
            )
            return
        if before.state is not LifecycleState.ACTIVE and after.state is LifecycleState.ACTIVE:
            self.plan.enabled.append(Change(name, f"back at {', '.join(after.school_numbers)}"))
            return
        lost = [nr for nr in before.school_numbers if nr not in after.school_numbers]
        gained = [nr for nr in after.school_numbers if nr not in before.school_numbers]
        if lost and gained:
            self.plan.moved.append(Change(name, f"{', '.join(lost)} → {', '.join(gained)}"))
            return
        fields = []
        for f in ("username", "given_name", "family_name", "birth_date", "email"):
            old, new = getattr(before, f), getattr(after, f)
            if old != new:
                fields.append(f"{f}: {old} → {new}")
        if before.contexts != after.contexts:
            fields.append(
                "roles: " + " ".join(f"{c.role.value}@{c.school_number}" for c in after.contexts)
            )
        if self.member_changes.get(after.id):
            fields.append("classes: " + " ".join(self.member_changes[after.id]))
        if before.sources != after.sources and not fields:
            fields.append("source links")
        self.plan.updated.append(Change(name, "; ".join(fields)))

    def run(self) -> tuple[ImportPlan, Batch]:
        self.plan_schools()
        self.plan_groups()
        self.match()
        self.plan_people()
        self.plan_missing()
        self.plan_memberships()
        self.classify()
        if not self.allow_removals:
            self.plan.notes.append("rows were skipped as invalid: nobody is removed in this run")
        return self.plan, self.batch


def _contexts(
    pairs: list[tuple[str, Role]], primary_school: str | None, keep: list[Context] | None
) -> tuple[Context, ...]:
    kept = list(keep or [])
    have = {(c.school_number, c.role) for c in kept}
    merged = kept + [Context(nr, role) for nr, role in pairs if (nr, role) not in have]
    if not merged:
        return ()
    old_primary = next((c for c in kept if c.primary), None)
    if old_primary is not None:
        chosen = old_primary
    else:
        chosen = next((c for c in merged if c.school_number == primary_school), merged[0])
    return tuple(
        dataclasses.replace(
            c, primary=(c.school_number, c.role) == (chosen.school_number, chosen.role)
        )
        for c in merged
    )


def _is_student(rec: PersonRecord) -> bool:
    return any(role is Role.STUDENT for _, role in rec.roles)


def _with_key(rec: PersonRecord, source: str) -> PersonRecord:
    """A record without any id (office staff without a staff number) gets a school-local
    key made of name and birth date, so it is recognised the same way next time."""
    if rec.key is not None or rec.local_key is not None:
        return rec
    school = rec.primary_school or (rec.roles[0][0] if rec.roles else "none")
    birth = rec.birth_date.isoformat() if rec.birth_date else ""
    local = SourceKey(
        f"{source}:{school}", f"name:{fold(rec.given_name)}|{fold(rec.family_name)}|{birth}"
    )
    return dataclasses.replace(rec, local_key=local)


def _name(new: str, old: str) -> str:
    return old if _lossy_variant(new, old) else new


def _record_json(rec: PersonRecord, source: str) -> dict[str, object]:
    return {
        "source": source,
        "file": rec.origin.file,
        "line": rec.origin.line,
        "key": key_text(rec.key) if rec.key else None,
        "local_key": key_text(rec.local_key) if rec.local_key else None,
        "given_name": rec.given_name,
        "family_name": rec.family_name,
        "birth_date": rec.birth_date.isoformat() if rec.birth_date else None,
        "email": rec.email,
        "username": rec.username,
        "roles": [[nr, role.value] for nr, role in rec.roles],
        "primary_school": rec.primary_school,
    }


def plan_import(
    feed: Feed, snap: Snapshot, now: dt.datetime, settings: Settings, *, allow_removals: bool = True
) -> tuple[ImportPlan, Batch]:
    return Planner(feed, snap, now, settings, allow_removals=allow_removals).run()
