"""Use cases for persons: create, read, change, disable, enable, delete.

Order of the write steps matters where noted; each function is one transaction.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence

import sqlalchemy as sa

from schulhof.access import rules
from schulhof.access.actors import Actor, ActorKind
from schulhof.access.rules import may_manage_schools
from schulhof.domain import lifecycle, usernames
from schulhof.domain.changes import EntityType, Operation
from schulhof.domain.errors import (
    ConflictError,
    NotFoundError,
    PermissionDeniedError,
    StaleWriteError,
    ValidationError,
)
from schulhof.domain.model import Context, LifecycleState, Person, PersonDraft, new_id
from schulhof.services import audit, sessions
from schulhof.services.runtime import Services
from schulhof.services.snapshots import (
    context_entity_id,
    context_state,
    membership_entity_id,
    membership_state,
    person_state,
)
from schulhof.services.views import PersonView, parse_id
from schulhof.store import groups as group_store
from schulhof.store import guardians as guardian_store
from schulhof.store import persons as person_store
from schulhof.store import schools as school_store
from schulhof.store.database import read_connection
from schulhof.store.persons import PersonFilter
from schulhof.store.unit_of_work import UnitOfWork, unit_of_work


def _views(
    conn: sa.Connection,
    ids: Sequence[str],
    actor: Actor,
    loaded: dict[str, Person] | None = None,
) -> list[PersonView]:
    """Views as `actor` may see them: contexts and classes of readable schools only (a
    school admin does not learn where else a teacher works), attributes as granted."""
    scope = rules.readable_schools(actor)
    if loaded is None:
        loaded = person_store.load(conn, ids)
    classes = person_store.class_names(conn, ids, schools_in=scope)
    fields = rules.visible_attributes(actor)
    views = []
    for i in ids:
        person = loaded.get(i)
        if person is None:
            continue
        if scope is not None and person.id != actor.person_id:
            person = dataclasses.replace(
                person, contexts=tuple(c for c in person.contexts if c.school_number in scope)
            )
        views.append(PersonView(person, tuple(classes.get(i, ())), fields))
    return views


def scoped_filter(actor: Actor, f: PersonFilter) -> PersonFilter | None:
    """`f` narrowed to what `actor` may read; None if that is nothing."""
    if rules.sees_every_school(actor):
        return f
    if f.school is not None and actor.schools and f.school not in actor.schools:
        return None
    if actor.kind in (ActorKind.SCHOOL_ADMIN, ActorKind.SERVICE):
        return dataclasses.replace(f, schools=actor.schools)
    if actor.kind is ActorKind.TEACHER and actor.person_id is not None:
        narrowed = dataclasses.replace(f, taught_by=actor.person_id)
        return dataclasses.replace(narrowed, schools=actor.schools) if actor.schools else narrowed
    return None


def list_persons(
    svc: Services,
    actor: Actor,
    f: PersonFilter,
    *,
    after_username: str | None = None,
    limit: int | None = None,
) -> list[PersonView]:
    """People `actor` may read, ordered by username (a keyset for paging)."""
    scoped = scoped_filter(actor, f)
    if scoped is None:
        return []
    with read_connection(svc.engine) as conn:
        ids = person_store.list_ids(conn, scoped, after_username=after_username, limit=limit)
        views = _views(conn, ids, actor)
    audit.record_reads(svc, actor, "person.list", [v.person for v in views])
    return views


def _resolve(conn: sa.Connection, ref: str) -> str:
    pid = parse_id(ref)
    if pid is None:
        pid = person_store.id_by_username(conn, ref)
    if pid is None:
        raise NotFoundError(f"no person {ref}")
    return pid


def taught_by(svc: Services, actor: Actor) -> frozenset[str]:
    """Ids of the students the acting teacher teaches (empty for anyone else)."""
    if actor.kind is not ActorKind.TEACHER or actor.person_id is None:
        return frozenset()
    with read_connection(svc.engine) as conn:
        return frozenset(conn.execute(person_store.taught_students(actor.person_id)).scalars())


def load_readable(svc: Services, actor: Actor, ref: str) -> Person:
    """The full person (unfiltered) if `actor` may read them; NotFoundError otherwise —
    the same answer as for nobody, so existence does not leak."""
    with read_connection(svc.engine) as conn:
        person = person_store.load_one(conn, _resolve(conn, ref))
    if person is None:
        raise NotFoundError(f"no person {ref}")
    taught = taught_by(svc, actor) if actor.kind is ActorKind.TEACHER else frozenset()
    if not rules.may_read_person(actor, person, taught=taught):
        raise NotFoundError(f"no person {ref}")
    return person


def get_person(svc: Services, actor: Actor, ref: str) -> PersonView:
    """By id or username, as `actor` may see them."""
    person = load_readable(svc, actor, ref)
    with read_connection(svc.engine) as conn:
        views = _views(conn, [person.id], actor, {person.id: person})
    if not views:
        raise NotFoundError(f"no person {ref}")
    audit.record_reads(svc, actor, "person.read", [person])
    return views[0]


def readable_views(
    svc: Services, actor: Actor, ids: Sequence[str], *, audit_as: str | None
) -> list[PersonView]:
    """Those of `ids` that `actor` may read, in order, as they may see them. `audit_as`
    names the read in the audit trail; None after a write (the change log has it)."""
    taught = taught_by(svc, actor)
    with read_connection(svc.engine) as conn:
        loaded = person_store.load(conn, ids)
        allowed = [
            i for i in ids if i in loaded and rules.may_read_person(actor, loaded[i], taught=taught)
        ]
        views = _views(conn, allowed, actor)
    if audit_as is not None:
        audit.record_reads(svc, actor, audit_as, [v.person for v in views])
    return views


def _check_names(given: str, family: str) -> None:
    if not given.strip():
        raise ValidationError("given name is empty", field="given_name")
    if not family.strip():
        raise ValidationError("family name is empty", field="family_name")


def choose_username(draft: PersonDraft, svc: Services, is_taken: Callable[[str], bool]) -> str:
    if draft.username:
        if not usernames.is_valid_username(draft.username):
            raise ValidationError(f"invalid username {draft.username!r}", field="username")
        if is_taken(draft.username):
            raise ConflictError(f"username {draft.username} is taken")
        return draft.username
    role = next((c.role for c in draft.contexts if c.primary), None)
    if role is None and draft.contexts:
        role = draft.contexts[0].role
    base = usernames.base_username(
        draft.given_name,
        draft.family_name,
        template=svc.settings.template_for(role),
        birth_date=draft.birth_date,
    )
    return usernames.pick_username(base, is_taken)


def with_primary(contexts: Sequence[Context]) -> tuple[Context, ...]:
    """Exactly one primary context: the one marked, else the first."""
    if not contexts:
        return ()
    marked = [c for c in contexts if c.primary]
    chosen = marked[0] if marked else contexts[0]
    return tuple(dataclasses.replace(c, primary=c is chosen) for c in contexts)


def add_person(svc: Services, actor: Actor, draft: PersonDraft) -> Person:
    _check_names(draft.given_name, draft.family_name)
    schools_of = {c.school_number for c in draft.contexts}
    if not may_manage_schools(actor, schools_of or {"*"}):
        raise PermissionDeniedError("not allowed to add people to these schools")
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        school_ids = school_store.ids_by_number(uow.conn)
        missing = sorted(schools_of - school_ids.keys())
        if missing:
            raise NotFoundError(f"no school {', '.join(missing)}")
        for link in draft.sources:
            if person_store.id_by_source(uow.conn, link.system, link.source_id):
                raise ConflictError(f"source link {link.system}:{link.source_id} is in use")
        username = choose_username(
            draft, svc, lambda n: person_store.is_username_taken(uow.conn, n, uow.now)
        )
        person = Person(
            id=new_id(),
            username=username,
            given_name=draft.given_name.strip(),
            family_name=draft.family_name.strip(),
            birth_date=draft.birth_date,
            email=draft.email,
            sources=draft.sources,
            contexts=with_primary(draft.contexts),
        )
        if not rules.may_write_person(actor, person):
            raise PermissionDeniedError("school admins are added by the authority")
        insert_new(uow, person, school_ids)
    return person


def insert_new(uow: UnitOfWork, person: Person, school_ids: dict[str, str]) -> None:
    """Write a new person with their contexts, and log both."""
    person_store.insert(uow.conn, [person], school_ids, uow.now)
    record_person(uow, Operation.CREATE, person)
    for c in person.contexts:
        uow.record(
            EntityType.CONTEXT,
            Operation.CREATE,
            context_entity_id(person.id, c),
            [c.school_number],
            context_state(person.id, c),
        )


def record_person(uow: UnitOfWork, op: Operation, person: Person) -> None:
    uow.record(EntityType.PERSON, op, person.id, person.school_numbers, person_state(person))


def load_for_write(uow: UnitOfWork, actor: Actor, ref: str) -> Person:
    person = person_store.load_one(uow.conn, _resolve(uow.conn, ref))
    if person is None:
        raise NotFoundError(f"no person {ref}")
    if rules.may_write_person(actor, person):
        return person
    if rules.may_read_person(actor, person) and actor.kind is not ActorKind.SCHOOL_ADMIN:
        raise PermissionDeniedError(f"a {actor.kind} may read {person.username}, not change them")
    if rules.may_read_person(actor, person):
        raise PermissionDeniedError(
            f"{person.username} also belongs to a school outside your scope, or is an admin: "
            "only the authority may change them"
        )
    raise NotFoundError(f"no person {ref}")  # as for nobody: existence does not leak


@dataclasses.dataclass(frozen=True, slots=True)
class PersonChanges:
    given_name: str | None = None
    family_name: str | None = None
    birth_date: dt.date | None = None
    email: str | None = None
    username: str | None = None
    clear: frozenset[str] = frozenset()  # optional fields to empty: email, birth_date


def update_person(
    svc: Services,
    actor: Actor,
    ref: str,
    changes: PersonChanges,
    *,
    expected_version: int | None = None,
) -> Person:
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        person = load_for_write(uow, actor, ref)
        if expected_version is not None and expected_version != person.version:
            raise StaleWriteError(f"person {person.id} is at version {person.version}")
        values = {
            k: v for k, v in dataclasses.asdict(changes).items() if v is not None and k != "clear"
        }
        for name in changes.clear:
            if name not in ("email", "birth_date"):
                raise ValidationError(f"{name} cannot be emptied", field=name)
            values[name] = None
        if "username" in values and values["username"] != person.username:
            if not usernames.is_valid_username(values["username"]):
                raise ValidationError(f"invalid username {values['username']!r}", field="username")
            if person_store.is_username_taken(uow.conn, values["username"], uow.now):
                raise ConflictError(f"username {values['username']} is taken")
        updated = dataclasses.replace(person, **values, version=person.version + 1)
        _check_names(updated.given_name, updated.family_name)
        if updated == dataclasses.replace(person, version=person.version + 1):
            return person  # nothing changed: no write, no log record
        person_store.update(uow.conn, updated, uow.now, expected_version=person.version)
        record_person(uow, Operation.UPDATE, updated)
    return updated


def disable_person(svc: Services, actor: Actor, ref: str) -> Person:
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        person = load_for_write(uow, actor, ref)
        if person.state is LifecycleState.DISABLED:
            return person
        updated = disabled(person, uow.now, svc)
        person_store.update(uow.conn, updated, uow.now, expected_version=person.version)
        record_person(uow, Operation.UPDATE, updated)
    # Their sessions were refused from now on anyway; ending them tells the OIDC clients.
    sessions.end_all_for(svc, updated.id)
    return updated


def disabled(person: Person, now: dt.datetime, svc: Services) -> Person:
    """The person as disabled now, due for deletion after the grace period of their roles."""
    return dataclasses.replace(
        person,
        state=LifecycleState.DISABLED,
        disabled_at=now,
        delete_after=lifecycle.delete_after(now, set(person.roles), svc.settings.grace),
        version=person.version + 1,
    )


def enable_person(svc: Services, actor: Actor, ref: str) -> Person:
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        person = load_for_write(uow, actor, ref)
        if person.state is LifecycleState.ACTIVE:
            return person
        updated = dataclasses.replace(
            person,
            state=LifecycleState.ACTIVE,
            disabled_at=None,
            delete_after=None,
            version=person.version + 1,
        )
        person_store.update(uow.conn, updated, uow.now, expected_version=person.version)
        record_person(uow, Operation.UPDATE, updated)
    return updated


def delete_persons_now(uow: UnitOfWork, people: Sequence[Person]) -> None:
    """Remove persons for good: rows go, the username is quarantined for a year, the log
    keeps a tombstone (id, username, state) and no other personal data. What goes with
    them — memberships and guardian links — is logged as deleted too, so a replica that
    follows the log drops exactly the same rows."""
    ids = [p.id for p in people]
    for m, school in group_store.memberships_of_many(uow.conn, ids):
        uow.record(
            EntityType.MEMBERSHIP,
            Operation.DELETE,
            membership_entity_id(m.group_id, m.person_id),
            [school],
            membership_state(m, school),
        )
    by_id = {p.id: p for p in people}
    for link in guardian_store.links_of(uow.conn, ids):
        student = by_id.get(link.student_id)
        uow.record(
            EntityType.GUARDIAN_LINK,
            Operation.DELETE,
            f"{link.guardian_id}:{link.student_id}",
            student.school_numbers if student else [],
            {"guardian_id": link.guardian_id, "student_id": link.student_id},
        )
    person_store.delete(uow.conn, ids)
    person_store.retire_usernames(
        uow.conn, [p.username for p in people], lifecycle.username_free_after(uow.now)
    )
    for p in people:
        uow.record(
            EntityType.PERSON,
            Operation.DELETE,
            p.id,
            p.school_numbers,
            {"id": str(p.id), "username": p.username, "state": LifecycleState.DELETED.value},
        )


def delete_person(
    svc: Services, actor: Actor, ref: str, *, expected_version: int | None = None
) -> Person:
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        person = load_for_write(uow, actor, ref)
        if expected_version is not None and expected_version != person.version:
            raise StaleWriteError(f"person {person.id} is at version {person.version}")
        delete_persons_now(uow, [person])
    return person


def add_context(svc: Services, actor: Actor, ref: str, context: Context) -> Person:
    if not may_manage_schools(actor, {context.school_number}):
        raise PermissionDeniedError(f"not allowed to manage school {context.school_number}")
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        person = load_for_write(uow, actor, ref)
        if any(
            c.school_number == context.school_number and c.role == context.role
            for c in person.contexts
        ):
            return person
        school_ids = school_store.ids_by_number(uow.conn)
        if context.school_number not in school_ids:
            raise NotFoundError(f"no school {context.school_number}")
        new = dataclasses.replace(context, primary=not person.contexts or context.primary)
        if not rules.may_write_person(actor, dataclasses.replace(person, contexts=(new,))):
            raise PermissionDeniedError("school admins are made by the authority")
        person_store.add_contexts(uow.conn, [(person.id, new)], school_ids)
        contexts = (*person.contexts, new)
        if new.primary and person.contexts:
            person_store.set_primary(uow.conn, person.id, new, school_ids)
            contexts = tuple(dataclasses.replace(c, primary=c is new) for c in contexts)
        updated = dataclasses.replace(person, contexts=contexts)
        if updated.state is LifecycleState.DISABLED and updated.disabled_at is not None:
            # Back within the grace period: the same account comes back.
            updated = dataclasses.replace(
                updated, state=LifecycleState.ACTIVE, disabled_at=None, delete_after=None
            )
        updated = dataclasses.replace(updated, version=person.version + 1)
        person_store.update(uow.conn, updated, uow.now, expected_version=person.version)
        uow.record(
            EntityType.CONTEXT,
            Operation.CREATE,
            context_entity_id(person.id, new),
            [new.school_number],
            context_state(person.id, new),
        )
        record_person(uow, Operation.UPDATE, updated)
    return updated


def remove_context(svc: Services, actor: Actor, ref: str, context: Context) -> Person:
    """Take a role at a school away; with no context left the person is disabled at once."""
    if not may_manage_schools(actor, {context.school_number}):
        raise PermissionDeniedError(f"not allowed to manage school {context.school_number}")
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        person = load_for_write(uow, actor, ref)
        match = [
            c
            for c in person.contexts
            if c.school_number == context.school_number and c.role == context.role
        ]
        if not match:
            return person
        school_ids = school_store.ids_by_number(uow.conn)
        person_store.remove_contexts(uow.conn, [(person.id, match[0])], school_ids)
        rest = tuple(c for c in person.contexts if c is not match[0])
        if rest and match[0].primary:
            rest = with_primary(rest)
            person_store.set_primary(uow.conn, person.id, rest[0], school_ids)
        updated = dataclasses.replace(person, contexts=rest, version=person.version + 1)
        if not rest:
            updated = disabled(dataclasses.replace(person, contexts=()), uow.now, svc)
            # Grace period by the roles the person had, not by none.
            updated = dataclasses.replace(
                updated,
                delete_after=lifecycle.delete_after(uow.now, set(person.roles), svc.settings.grace),
            )
        person_store.update(uow.conn, updated, uow.now, expected_version=person.version)
        if all(c.school_number != context.school_number for c in rest):
            _leave_groups(uow, person.id, context.school_number)
        uow.record(
            EntityType.CONTEXT,
            Operation.DELETE,
            context_entity_id(person.id, match[0]),
            [context.school_number],
            context_state(person.id, match[0]),
        )
        record_person(uow, Operation.UPDATE, updated)
    if updated.state is LifecycleState.DISABLED and person.state is LifecycleState.ACTIVE:
        sessions.end_all_for(svc, updated.id)  # the last role is gone: as disable_person
    return updated


def _leave_groups(uow: UnitOfWork, person_id: str, school: str) -> None:
    """No role left at `school`: its groups go too (a member holds a role at the group's
    school, as imports keep it)."""
    for m in group_store.memberships_of(uow.conn, person_id):
        group = group_store.load_one(uow.conn, m.group_id)
        if group is None or group.school_number != school:
            continue
        group_store.remove_members(uow.conn, [(m.group_id, person_id)])
        uow.record(
            EntityType.MEMBERSHIP,
            Operation.DELETE,
            membership_entity_id(m.group_id, person_id),
            [school],
            membership_state(m, school),
        )


def run_lifecycle(svc: Services, actor: Actor) -> list[Person]:
    """Delete everyone whose grace period has run out. Safe to run from cron at any time."""
    with unit_of_work(svc.engine, actor.label, svc.clock()) as uow:
        due = person_store.due_for_deletion(uow.conn, uow.now.date())
        people = list(person_store.load(uow.conn, due).values())
        delete_persons_now(uow, people)
    return people
